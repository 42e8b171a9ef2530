import { createClient } from 'redis';
import type { Directory, NodeInfo } from './directory.ts';

export interface RedisDirectoryOptions {
  url: string;
  prefix?: string;
  /** An entry older than this is a node that died (default 15 s). */
  staleMs?: number;
  log?: (line: string) => void;
}

/**
 * The directory in one Redis hash, `<prefix>:nodes` (node id → NodeInfo JSON). Stale entries are skipped on read and
 * deleted. Commands fail at once while Redis is unreachable (no offline queue); callers retry on their next beat.
 */
export class RedisDirectory implements Directory {
  private readonly client: ReturnType<typeof createClient>;
  private readonly key: string;
  private readonly staleMs: number;
  private connecting: Promise<unknown> | undefined;

  constructor(private readonly options: RedisDirectoryOptions) {
    this.key = `${options.prefix ?? 'tw'}:nodes`;
    this.staleMs = options.staleMs ?? 15_000;
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      commandOptions: { timeout: 3000 },
      socket: { connectTimeout: 3000, reconnectStrategy: (retries) => Math.min(5000, 100 * 2 ** Math.min(retries, 10)) },
    });
    let reported = false;
    this.client.on('error', (err: Error) => {
      if (!reported) options.log?.(`cluster directory: redis error: ${err.message}`);
      reported = true;
    });
    this.client.on('ready', () => (reported = false));
  }

  async announce(info: NodeInfo): Promise<void> {
    await this.ready();
    await this.client.hSet(this.key, info.id, JSON.stringify(info));
  }

  async nodes(): Promise<NodeInfo[]> {
    await this.ready();
    const all = await this.client.hGetAll(this.key);
    const now = Date.now();
    const live: NodeInfo[] = [];
    const stale: string[] = [];
    for (const [id, json] of Object.entries(all)) {
      let info: NodeInfo | undefined;
      try {
        info = JSON.parse(json) as NodeInfo;
      } catch {
        info = undefined;
      }
      if (info && now - Date.parse(info.updated_at) <= this.staleMs) live.push(info);
      else stale.push(id);
    }
    if (stale.length) await this.client.hDel(this.key, stale).catch(() => undefined);
    return live.sort((a, b) => a.started_at.localeCompare(b.started_at));
  }

  async withdraw(id: string): Promise<void> {
    await this.ready();
    await this.client.hDel(this.key, id);
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.close().catch(() => this.client.destroy());
    else if (this.connecting) this.client.destroy();
  }

  private async ready(): Promise<void> {
    if (this.client.isReady) return;
    this.connecting ??= this.client.connect().catch((err: Error) => {
      this.connecting = undefined;
      throw err;
    });
    await this.connecting;
  }
}
