import type { HealthMonitor } from './health.ts';
import type { Stream, StreamContext } from './stream.ts';

export interface StreamManagerOptions {
  health: HealthMonitor;
  log: (line: string) => void;
  /** Restart delay after the n-th consecutive failure: min(maxBackoffMs, baseBackoffMs * 2^(n-1)). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Running {
  stream: Stream;
  failures: number;
  restartTimer: NodeJS.Timeout | undefined;
  generation: number;
}

/**
 * Starts, supervises and stops streams. Owns every restart timer, so stopAll() leaves nothing behind. A failing
 * stream never affects the others.
 */
export class StreamManager {
  private readonly running = new Map<string, Running>();
  private stopped = false;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly options: StreamManagerOptions) {
    this.baseBackoffMs = options.baseBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
  }

  async startAll(streams: Stream[]): Promise<void> {
    for (const s of streams) {
      if (this.stopped) return; // stopAll() during a slow start: the streams not yet launched stay unstarted
      const r: Running = { stream: s, failures: 0, restartTimer: undefined, generation: 0 };
      this.running.set(s.name, r);
      this.options.health.register(s.name);
      await this.launch(r);
    }
  }

  async stopAll(): Promise<void> {
    this.stopped = true;
    for (const r of this.running.values()) {
      clearTimeout(r.restartTimer);
      r.generation++;
      await this.safeStop(r.stream);
    }
    this.running.clear();
  }

  private context(r: Running): StreamContext {
    const generation = r.generation;
    const { health } = this.options;
    const current = () => generation === r.generation && !this.stopped;
    return {
      update: () => {
        if (!current()) return;
        r.failures = 0;
        health.recordUpdate(r.stream.name);
      },
      error: (err) => {
        if (current()) health.recordError(r.stream.name, err);
      },
    };
  }

  private async launch(r: Running): Promise<void> {
    try {
      await r.stream.start(this.context(r));
    } catch (err) {
      await this.restart(r, err);
    }
  }

  private async restart(r: Running, err: unknown): Promise<void> {
    r.generation++;
    r.failures++;
    const { health, log } = this.options;
    health.recordError(r.stream.name, err);
    await this.safeStop(r.stream);
    if (this.stopped) return;
    const delay = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** (r.failures - 1));
    log(`stream ${r.stream.name} failed (${err instanceof Error ? err.message : String(err)}); restart in ${delay} ms`);
    r.restartTimer = setTimeout(() => {
      r.restartTimer = undefined;
      if (this.stopped) return;
      health.recordRecovery(r.stream.name);
      health.register(r.stream.name);
      void this.launch(r);
    }, delay);
    r.restartTimer.unref();
  }

  private async safeStop(s: Stream): Promise<void> {
    try {
      await s.stop();
    } catch (err) {
      this.options.log(`stream ${s.name} stop failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
