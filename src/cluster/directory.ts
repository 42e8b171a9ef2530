/**
 * The cluster directory: every node announces itself (role, HTTP address, connection count, what its market serves)
 * every few seconds; a node that stops announcing drops out after `staleMs`. Edges find the producer here (for the
 * symbol list and to forward backtest requests to it) and `/websocket/status` shows the cluster from it.
 * Implementations: directory-memory.ts (one process), directory-redis.ts.
 */
export type Role = 'standalone' | 'producer' | 'edge';

export interface NodeInfo {
  id: string;
  role: Role;
  /** Base URL of the node's HTTP server, as other nodes reach it. */
  http: string | null;
  pid: number;
  connections: number;
  /** Producer and standalone nodes: the market source and the symbols it serves. */
  market_source: string | null;
  symbols: string[];
  started_at: string;
  updated_at: string;
}

export interface Directory {
  /** Records (or refreshes) this node's entry. */
  announce(info: NodeInfo): Promise<void>;
  /** The nodes that announced within the stale window, oldest first. */
  nodes(): Promise<NodeInfo[]>;
  /** Removes this node's entry (a clean shutdown). */
  withdraw(id: string): Promise<void>;
  close(): Promise<void>;
}

export class MemoryDirectory implements Directory {
  private readonly entries = new Map<string, NodeInfo>();
  async announce(info: NodeInfo): Promise<void> {
    this.entries.set(info.id, info);
  }
  async nodes(): Promise<NodeInfo[]> {
    return [...this.entries.values()];
  }
  async withdraw(id: string): Promise<void> {
    this.entries.delete(id);
  }
  async close(): Promise<void> {}
}
