/**
 * The one helper that bridges synchronous callbacks (IB events, strategy signals) to async work
 * (publishing to the hub, writing to a broker). House rule 11: sync sources, async sinks.
 */

export interface BridgeOptions {
  /**
   * Receives every failure of the bridged function: a rejection of its promise or a synchronous
   * throw. Called at most once per call. If onError itself throws, that error is dropped (there is
   * nobody left to tell), so it never becomes an uncaught exception.
   */
  onError: (err: unknown) => void;
  /**
   * true: each call starts only after the previous call's promise has settled, so the async work
   * runs strictly in call order (a failed call does not block the next). false (default): calls
   * start in call order but run concurrently.
   */
  serialize?: boolean;
}

/** A synchronous function that hands its argument to async work. */
export interface Bridged<A> {
  (arg: A): void;
  /** Resolves the next time no call is pending (so also after calls made while waiting); for shutdown and tests. Never rejects. */
  idle(): Promise<void>;
  /** Number of calls made but not yet settled. */
  readonly pending: number;
}

/**
 * Wraps `fn` so that synchronous callers can fire it and forget.
 *
 * Contract of the returned function: it never throws, it never leaves an unhandled rejection, and it
 * never runs `fn` inside the caller's stack — `fn` always starts in a later microtask, so a listener
 * cannot re-enter the code that called it. Every failure goes to `onError`.
 */
export function bridge<A>(fn: (arg: A) => Promise<unknown> | unknown, options: BridgeOptions): Bridged<A> {
  const { onError, serialize = false } = options;
  let tail: Promise<void> = Promise.resolve();
  let pending = 0;
  let waiters: (() => void)[] = [];

  const report = (err: unknown): void => {
    try {
      onError(err);
    } catch {
      // dropped on purpose: see BridgeOptions.onError
    }
  };
  const settle = (): void => {
    pending--;
    if (pending === 0) {
      const ws = waiters;
      waiters = [];
      for (const w of ws) w();
    }
  };
  // `async` turns a synchronous throw of fn into a rejection as well.
  const run = async (arg: A): Promise<void> => {
    try {
      await fn(arg);
    } catch (err) {
      report(err);
    } finally {
      settle();
    }
  };

  const bridged = ((arg: A): void => {
    pending++;
    if (serialize) {
      tail = tail.then(() => run(arg));
    } else {
      void Promise.resolve().then(() => run(arg));
    }
  }) as Bridged<A>;
  bridged.idle = () => (pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)));
  Object.defineProperty(bridged, 'pending', { get: () => pending });
  return bridged;
}
