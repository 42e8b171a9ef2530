/**
 * Stopping the process on SIGINT / SIGTERM, for the composition root (src/main.ts).
 *
 * Contract: the first signal stops the app once (later signals are ignored); the process exits 0 when `stop()`
 * resolves, 1 when it rejects or has not resolved within `timeoutMs` (default 5 s). The async stop runs through the
 * bridge helper (house rule 11), so a failing stop is reported and exits 1: it never becomes an unhandled rejection.
 */
import { bridge } from './util/bridge.ts';

export interface ShutdownOptions {
  app: { stop(): Promise<void> };
  /** The process (or, in tests, an EventEmitter with an `exit` stub). */
  proc: { on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown; exit(code: number): void };
  log?: (line: string) => void;
  error?: (line: string) => void;
  timeoutMs?: number;
}

export function exitOnSignals(options: ShutdownOptions): void {
  const { app, proc, timeoutMs = 5000 } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const error = options.error ?? ((line: string) => console.error(line));
  let shuttingDown = false;
  let force: NodeJS.Timeout | undefined;
  const shutdown = bridge(
    async (signal: string) => {
      log(`tickwire: ${signal} received, shutting down`);
      force = setTimeout(() => {
        error(`tickwire: shutdown took over ${timeoutMs / 1000} s; exiting`);
        proc.exit(1);
      }, timeoutMs);
      force.unref();
      await app.stop();
      clearTimeout(force);
      log('tickwire: stopped');
      proc.exit(0);
    },
    {
      onError: (err) => {
        clearTimeout(force);
        error(`tickwire: shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        proc.exit(1);
      },
    },
  );
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => () => {
    if (shuttingDown) return;
    shuttingDown = true;
    shutdown(signal);
  };
  proc.on('SIGINT', onSignal('SIGINT'));
  proc.on('SIGTERM', onSignal('SIGTERM'));
}
