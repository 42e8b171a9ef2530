import type { Directory, NodeInfo, Role } from './directory.ts';

export interface ClusterViewOptions {
  directory: Directory;
  /** This node's entry, recomputed on every beat (connection count, symbols ...). */
  self: () => NodeInfo;
  /** How often this node announces itself and reads the others (default 2 s). */
  beatMs?: number;
  /** A node not heard from for this long is gone (default 15 s, the directory's own window). */
  staleMs?: number;
  log: (line: string) => void;
}

/**
 * This node's view of the cluster: announces itself every beat and keeps the latest list of live nodes, so sync
 * callers (status page, symbol checks on an edge) read it without waiting. A failing beat is logged once per outage
 * and retried on the next one; the last good list stays in place meanwhile.
 */
export class ClusterView {
  private list: NodeInfo[] = [];
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private readonly beatMs: number;
  private readonly staleMs: number;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly options: ClusterViewOptions) {
    this.beatMs = options.beatMs ?? 2000;
    this.staleMs = options.staleMs ?? 15_000;
  }

  start(): void {
    if (this.timer) return;
    const beat = () => {
      void this.beat().finally(() => {
        if (this.timer) this.timer = setTimeout(beat, this.beatMs);
      });
    };
    this.timer = setTimeout(beat, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.options.directory.withdraw(this.options.self().id).catch(() => undefined);
    await this.options.directory.close();
  }

  nodes(): NodeInfo[] {
    return this.list;
  }

  /** The oldest live node with this role. */
  first(role: Role): NodeInfo | undefined {
    return this.list.find((n) => n.role === role);
  }

  /** Resolves when a node with this role is known (or after `timeoutMs`, with undefined). */
  async waitFor(role: Role, timeoutMs: number): Promise<NodeInfo | undefined> {
    const until = Date.now() + timeoutMs;
    while (!this.first(role) && Date.now() < until) await new Promise<void>((r) => this.waiters.push(r));
    return this.first(role);
  }

  private async beat(): Promise<void> {
    try {
      await this.options.directory.announce(this.options.self());
      // A node missing from the answer (e.g. Redis restarted empty, before it announces again) is kept until its
      // own last announcement is stale, so an edge does not forget the producer for a beat.
      const fresh = await this.options.directory.nodes();
      const now = Date.now();
      const kept = this.list.filter((n) => !fresh.some((f) => f.id === n.id) && now - Date.parse(n.updated_at) <= this.staleMs);
      this.list = [...fresh, ...kept].sort((a, b) => a.started_at.localeCompare(b.started_at));
      if (this.failing) this.options.log('cluster: directory reachable again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.options.log(`cluster: cannot reach the directory (${(err as Error)?.message ?? String(err)}); retrying every ${this.beatMs} ms`);
      this.failing = true;
    }
    for (const w of this.waiters.splice(0)) w();
  }
}
