/**
 * Stream health (seed 002): per stream last_update, error_count (consecutive), recovery_attempts, is_healthy,
 * started_at. Unhealthy after `errorThreshold` consecutive errors or `staleAfterMs` without an update; an update
 * resets the error count.
 */
export interface StreamHealth {
  last_update: string | null;
  error_count: number;
  recovery_attempts: number;
  is_healthy: boolean;
  started_at: string;
  last_error?: string;
  /** When last_error happened: it stays visible after a recovery, so the time says whether it is current. */
  last_error_at?: string;
}

interface Entry {
  startedAt: number;
  lastUpdate: number | undefined;
  errors: number;
  recoveries: number;
  lastError: string | undefined;
  lastErrorAt: number | undefined;
}

export class HealthMonitor {
  private readonly streams = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly errorThreshold: number;
  private readonly staleAfterMs: number;

  constructor(options: { now?: () => number; errorThreshold?: number; staleAfterMs?: number } = {}) {
    this.now = options.now ?? Date.now;
    this.errorThreshold = options.errorThreshold ?? 10;
    this.staleAfterMs = options.staleAfterMs ?? 5 * 60_000;
  }

  register(name: string): void {
    const existing = this.streams.get(name);
    if (existing) existing.startedAt = this.now();
    else this.streams.set(name, { startedAt: this.now(), lastUpdate: undefined, errors: 0, recoveries: 0, lastError: undefined, lastErrorAt: undefined });
  }

  recordUpdate(name: string): void {
    const e = this.entry(name);
    e.lastUpdate = this.now();
    e.errors = 0;
  }

  recordError(name: string, err: unknown): void {
    const e = this.entry(name);
    e.errors += 1;
    e.lastError = err instanceof Error ? err.message : String(err);
    e.lastErrorAt = this.now();
  }

  recordRecovery(name: string): void {
    this.entry(name).recoveries += 1;
  }

  isHealthy(name: string): boolean {
    const e = this.streams.get(name);
    if (!e) return false;
    if (e.errors >= this.errorThreshold) return false;
    const since = e.lastUpdate ?? e.startedAt;
    return this.now() - since <= this.staleAfterMs;
  }

  snapshot(): Record<string, StreamHealth> {
    const out: Record<string, StreamHealth> = {};
    for (const [name, e] of [...this.streams].sort(([a], [b]) => a.localeCompare(b))) {
      out[name] = {
        last_update: e.lastUpdate === undefined ? null : new Date(e.lastUpdate).toISOString(),
        error_count: e.errors,
        recovery_attempts: e.recoveries,
        is_healthy: this.isHealthy(name),
        started_at: new Date(e.startedAt).toISOString(),
        ...(e.lastError ? { last_error: e.lastError, last_error_at: new Date(e.lastErrorAt!).toISOString() } : {}),
      };
    }
    return out;
  }

  private entry(name: string): Entry {
    let e = this.streams.get(name);
    if (!e) {
      this.register(name);
      e = this.streams.get(name)!;
    }
    return e;
  }
}
