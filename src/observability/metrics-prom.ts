/**
 * The Prometheus implementation of Metrics (prom-client), one Registry per app (never prom-client's global registry,
 * so two apps in one process — tests, a cluster worker — keep separate counts). Every metric is documented in the
 * README ("Metrics"); the names and label sets here are the contract with dashboards and alerts.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric, type MetricObjectWithValues, type MetricValueWithName } from 'prom-client';
import { closeCodeLabel, codeLabel, type MetricSources, type Metrics } from './metrics.ts';

export interface PromMetrics extends Metrics {
  readonly registry: Registry;
  /** The text exposition (what GET /metrics answers) and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

export interface PromMetricsOptions {
  sources: MetricSources;
  /**
   * Node.js process metrics (CPU, memory, handles, GC, event-loop lag) under their standard names (`process_*`,
   * `nodejs_*`). They describe the process, so only the process's entry point turns them on (src/main.ts): each set
   * samples the event loop on a timer, which many apps built in one test process should not multiply.
   */
  processMetrics?: boolean;
}

/** Publish-to-write and broker latencies: 100 µs to 5 s. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

export function createPromMetrics(options: PromMetricsOptions): PromMetrics {
  const registry = new Registry();
  const registers = [registry];
  const src = options.sources;
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  /** A counter fed from a running total read at scrape time (the core counts; we only add the difference). */
  const totalCounter = (name: string, help: string, read: () => number) => {
    let last = 0;
    return new Counter({
      name, help, registers,
      collect() {
        const now = read();
        if (now > last) this.inc(now - last);
        last = now;
      },
    });
  };
  /** A labelled gauge set from a map at scrape time; a label seen once stays (at 0) rather than vanishing. */
  const mapGauge = (name: string, help: string, label: string, read: () => Record<string, number>) => {
    const seen = new Set<string>();
    return new Gauge({
      name, help, labelNames: [label], registers,
      collect() {
        const now = read();
        for (const k of Object.keys(now)) seen.add(k);
        for (const k of seen) this.set({ [label]: k }, now[k] ?? 0);
      },
    });
  };

  mapGauge('tickwire_connections', 'Open WebSocket connections, by endpoint', 'endpoint', () => src.connectionsByEndpoint());
  mapGauge('tickwire_subscriptions', 'Subscriptions (connection x topic), by topic family', 'family',
    () => Object.fromEntries(Object.entries(src.subscriptionsByFamily()).map(([f, v]) => [f, v.subscriptions])));
  mapGauge('tickwire_topics', 'Topics with at least one local subscriber, by topic family', 'family',
    () => Object.fromEntries(Object.entries(src.subscriptionsByFamily()).map(([f, v]) => [f, v.topics])));
  new Gauge({ name: 'tickwire_queued_bytes', help: 'Bytes accepted for clients and not yet taken by the kernel, summed over connections', registers, collect() { this.set(src.queuedBytes()); } });
  totalCounter('tickwire_outbound_messages_total', 'Messages (WebSocket data frames) written to client sockets', () => src.outbound().messages);
  totalCounter('tickwire_outbound_bytes_total', 'Bytes of data frames written to client sockets', () => src.outbound().bytes);
  totalCounter('tickwire_outbound_writes_total', 'Socket writes (one per connection per event-loop turn with something to send)', () => src.outbound().writes);
  new Gauge({
    name: 'tickwire_broker_connected', help: '1 while the pub/sub broker is connected', labelNames: ['broker'], registers,
    collect() { const b = src.broker(); this.reset(); this.set({ broker: b.kind }, b.connected ? 1 : 0); },
  });
  if (src.upstream) {
    const read = src.upstream;
    new Gauge({
      name: 'tickwire_upstream_up', help: '1 while the market source (simulated or IB) last reported healthy', labelNames: ['source'], registers,
      collect() { const u = read(); this.reset(); this.set({ source: u.source }, u.up ? 1 : 0); },
    });
    let last = 0;
    new Counter({
      name: 'tickwire_upstream_errors_total', help: 'Problems reported by the market source (connection lost, farm down, pacing)', labelNames: ['source'], registers,
      collect() { const u = read(); if (u.errors > last) this.inc({ source: u.source }, u.errors - last); last = u.errors; },
    });
  }
  if (src.backtests) {
    const read = src.backtests;
    new Gauge({
      name: 'tickwire_backtests', help: 'Backtest runs by status (queued, running)', labelNames: ['status'], registers,
      collect() { const b = read(); this.set({ status: 'queued' }, b.queued); this.set({ status: 'running' }, b.running); },
    });
  }
  if (src.streams) {
    const read = src.streams;
    mapGauge('tickwire_stream_healthy', 'Stream health (as in /websocket/status): 1 healthy, 0 not, by stream', 'stream',
      () => Object.fromEntries(Object.entries(read()).map(([k, v]) => [k, v ? 1 : 0])));
  }

  const inbound = new Counter({ name: 'tickwire_inbound_messages_total', help: 'Inbound client messages by endpoint, contract type (invalid: did not decode) and outcome (ok or the error code)', labelNames: ['endpoint', 'type', 'outcome'], registers });
  const closes = new Counter({ name: 'tickwire_closes_total', help: 'Closed WebSocket connections by endpoint and close code', labelNames: ['endpoint', 'code'], registers });
  const slow = new Counter({ name: 'tickwire_slow_consumer_closes_total', help: 'Connections closed 4001 because their unsent bytes passed WEBSOCKET_MAX_BUFFERED_BYTES', labelNames: ['endpoint'], registers });
  const recoveries = new Counter({ name: 'tickwire_recoveries_total', help: 'Subscribes with since: recovered (every missed publication replayed) or not, by topic family and reason', labelNames: ['family', 'outcome', 'reason'], registers });
  const lost = new Counter({ name: 'tickwire_continuity_lost_total', help: 'Subscriptions dropped (the client resyncs) because the live path lost continuity, by topic family and reason', labelNames: ['family', 'reason'], registers });
  const published = new Counter({
    name: 'tickwire_published_messages_total', help: 'Publications stored and sent by the broker, by topic family', labelNames: ['family'], registers,
    collect() {
      for (const [family, n] of publishedBy) {
        const before = handedOver.get(family) ?? 0;
        if (n > before) this.inc({ family }, n - before);
        handedOver.set(family, n);
      }
    },
  });
  /** Publications per family since start, counted with a plain add on the publish path and handed over at scrape. */
  const publishedBy = new Map<string, number>();
  const handedOver = new Map<string, number>();
  const refused = new Counter({ name: 'tickwire_broker_publish_errors_total', help: 'Publishes the broker refused (e.g. Redis unreachable), by topic family', labelNames: ['family'], registers });
  const brokerErrors = new Counter({ name: 'tickwire_broker_errors_total', help: 'Failed broker calls made by the hub (history reads, unsubscribes)', registers });
  const brokerLatency = new FastHistogram('tickwire_broker_publish_seconds', 'From a publish to the broker storing and sending it (the Redis round trip)', LATENCY_BUCKETS);
  const delivered = new FastHistogram('tickwire_publish_to_write_seconds', "From a publication reaching this node's hub to its frame being written to every subscriber's socket (once per topic per event-loop turn)", LATENCY_BUCKETS);
  registry.registerMetric(brokerLatency as unknown as Metric);
  registry.registerMetric(delivered as unknown as Metric);
  const http = new Histogram({ name: 'tickwire_http_request_seconds', help: 'HTTP requests by method, route pattern and status', labelNames: ['method', 'route', 'status'], buckets: HTTP_BUCKETS, registers });

  return {
    registry,
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    inbound(endpoint, type, outcome) {
      inbound.inc({ endpoint, type, outcome: outcome === 'ok' ? 'ok' : codeLabel(outcome) });
    },
    closed(endpoint, code) {
      closes.inc({ endpoint, code: closeCodeLabel(code) });
      if (code === 4001) slow.inc({ endpoint });
    },
    recovery(family, recovered, reason) {
      recoveries.inc({ family, outcome: recovered ? 'recovered' : 'not_recovered', reason: recovered ? '' : reasonLabel(reason) });
    },
    lost(family, reason, subscribers) {
      lost.inc({ family, reason: reasonLabel(reason) }, subscribers);
    },
    published(family, seconds) {
      // The one per-publish call: a Map add and a bucket search (prom-client's own observe costs ~1 µs here).
      publishedBy.set(family, (publishedBy.get(family) ?? 0) + 1);
      if (seconds !== undefined) brokerLatency.observe(seconds);
    },
    publishRefused(family) {
      refused.inc({ family });
    },
    brokerError() {
      brokerErrors.inc();
    },
    delivered(seconds) {
      delivered.observe(seconds);
    },
    http(method, route, status, seconds) {
      http.observe({ method: METHODS.has(method) ? method : 'other', route, status: String(status) }, seconds);
    },
  };
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const REASON = /^[a-z][a-z_]{0,31}$/;

function reasonLabel(reason: string | undefined): string {
  return reason && REASON.test(reason) ? reason : 'other';
}

/**
 * An unlabelled histogram whose observe() is a bucket search and three adds, for the per-publish and per-batch
 * latencies (prom-client's Histogram hashes a label object on every observation). Exposed through the registry like
 * any prom-client metric (`get()` returns the same shape).
 */
class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(readonly name: string, readonly help: string, private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    if (i < b.length) this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values: MetricValueWithName<string>[] = [];
    let cumulative = 0;
    this.bounds.forEach((le, i) => {
      cumulative += this.counts[i]!;
      values.push({ metricName: `${this.name}_bucket`, labels: { le }, value: cumulative });
    });
    values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, value: this.count });
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: this.sum });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: this.count });
    return { name: this.name, help: this.help, type: 'histogram' as never, aggregator: 'sum', values } as unknown as MetricObjectWithValues<MetricValueWithName<string>>;
  }
}
