import type { Broker, BrokerEventHandler, HistoryOptions, HistoryResult, PublishOptions, StreamPosition } from '../pubsub/broker.ts';
import { backoffDelay } from '../util/backoff.ts';

/** A broker that cannot be used yet: it is connecting (or retrying) to its server. */
export class BrokerNotReadyError extends Error {
  readonly code = 'BROKER_UNAVAILABLE';
  constructor(what: string) {
    super(`${what}: the pub/sub broker is not connected yet`);
  }
}

export interface ConnectingBrokerOptions {
  /** Builds and connects a broker; rejects when its server cannot be reached (a fresh broker is made per attempt). */
  connect: () => Promise<Broker>;
  /** Where the broker is, for log lines (e.g. the Redis URL without credentials). */
  describe: string;
  log: (line: string) => void;
  backoff?: { initialMs: number; maxMs: number };
}

/**
 * Startup rule for a networked broker: the node does not wait for it. `start()` tries to connect and, while the
 * server is unreachable, logs one clear line per attempt and retries with backoff (0.5 s doubling to 5 s, jittered).
 * Until the first connection every call rejects with BrokerNotReadyError (subscribes answer UNAVAILABLE, the node is
 * not ready); after it, calls go to the connected broker, which handles later outages itself.
 */
export class ConnectingBroker implements Broker {
  private inner: Broker | undefined;
  private handler: BrokerEventHandler | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly readyWaiters: (() => void)[] = [];
  private attempts = 0;

  constructor(private readonly options: ConnectingBrokerOptions) {}

  get ready(): boolean {
    return this.inner !== undefined;
  }

  /** Starts connecting in the background; resolves at once. */
  start(): void {
    if (this.inner || this.timer || this.closed) return;
    void this.attempt();
  }

  /** Resolves once connected. */
  whenReady(): Promise<void> {
    if (this.inner) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  setHandler(handler: BrokerEventHandler): void {
    this.handler = handler;
    this.inner?.setHandler(handler);
  }

  subscribe(topic: string): Promise<void> {
    return this.use(`subscribe ${topic}`, (b) => b.subscribe(topic));
  }

  unsubscribe(topic: string): Promise<void> {
    return this.inner ? this.inner.unsubscribe(topic) : Promise.resolve();
  }

  publish(topic: string, data: string, options?: PublishOptions): Promise<StreamPosition> {
    return this.use(`publish ${topic}`, (b) => b.publish(topic, data, options));
  }

  setSnapshot(topic: string, snapshot: readonly string[]): Promise<StreamPosition> {
    return this.use(`snapshot ${topic}`, (b) => b.setSnapshot(topic, snapshot));
  }

  history(topic: string, options: HistoryOptions): Promise<HistoryResult> {
    return this.use(`history ${topic}`, (b) => b.history(topic, options));
  }

  /** Waits for the connection, then watches the cluster's interest. */
  async watchInterest(): Promise<void> {
    await this.whenReady();
    if (!this.inner?.watchInterest) throw new Error('this broker has no cluster interest');
    await this.inner.watchInterest();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.inner?.close();
  }

  private use<T>(what: string, call: (b: Broker) => Promise<T>): Promise<T> {
    return this.inner ? call(this.inner) : Promise.reject(new BrokerNotReadyError(what));
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    if (this.closed) return;
    try {
      const broker = await this.options.connect();
      if (this.closed) {
        await broker.close();
        return;
      }
      if (this.handler) broker.setHandler(this.handler);
      this.inner = broker;
      if (this.attempts > 0) this.options.log(`broker: connected to ${this.options.describe} after ${this.attempts} failed attempt(s)`);
      for (const w of this.readyWaiters.splice(0)) w();
      this.handler?.onConnectionChange?.('up');
    } catch (err) {
      const delay = backoffDelay(this.attempts++, { initialMs: this.options.backoff?.initialMs ?? 500, maxMs: this.options.backoff?.maxMs ?? 5000, factor: 2, jitter: 0.2 });
      this.options.log(`broker: cannot reach ${this.options.describe} (${(err as Error)?.message ?? String(err)}); retrying in ${(delay / 1000).toFixed(1)} s`);
      this.timer = setTimeout(() => void this.attempt(), delay);
      this.timer.unref();
    }
  }
}
