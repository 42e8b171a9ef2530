/**
 * One node of the Redis bench (forked by bench/redis.ts), argv[2] = role, argv[3] = the Redis URL, argv[4] = prefix:
 *   edge       Tickwire's real app (buildApp, the same setup as bench/fanout-server.ts `tickwire`: a market source that
 *              never ticks) on a RedisBroker instead of the in-memory one; it serves the clients and publishes nothing.
 *              IPC: count (subscribers of the topic, connections), mark (CPU, load average).
 *   publisher  a Hub over its own RedisBroker and no gateway; IPC: rate (publish `rate` msg/s on the topic, each
 *              message carrying its publish time), halt, mark (CPU, messages published, publishes skipped because
 *              more than MAX_IN_FLIGHT were awaiting Redis, refused publishes).
 * Every publish run stops by itself after MAX_PUBLISH_MS; the process exits when bench/redis.ts goes away.
 */
import { loadavg } from 'node:os';
import { buildApp } from '../src/app.ts';
import { defaultConfig, type Config } from '../src/config.ts';
import { SimulatedSource } from '../src/market/source-simulated.ts';
import { createRedisBroker } from '../src/pubsub/broker-redis.ts';
import { historyPolicy } from '../src/pubsub/history-policy.ts';
import { Hub } from '../src/pubsub/hub.ts';
import { barMessage, nowMs, serve, TOPIC } from './common.ts';

const MAX_PUBLISH_MS = 30_000;
const MAX_IN_FLIGHT = 2000;

const [role, url, prefix = 'twbench'] = process.argv.slice(2) as [string, string, string?];
const base = defaultConfig();
const config: Config = { ...base, port: 0, host: '127.0.0.1', websocket: { ...base.websocket, maxConnections: 20_000 } };
const broker = await createRedisBroker({ url, prefix, historyPolicy: historyPolicy(config.history), log: () => undefined });

let published = 0;
let skipped = 0;
let refused = 0;
let inFlight = 0;
let generation = 0;
let port = 0;
let hub: Hub;
let connections = () => 0;

if (role === 'edge') {
  const source = new SimulatedSource({ tickIntervalMs: 3_600_000 });
  const app = buildApp(config, { source, broker, log: () => undefined });
  ({ port } = await app.start());
  hub = app.hub;
  connections = () => app.gateway.connectionCount;
} else if (role === 'publisher') {
  hub = new Hub(broker, { onPublishError: () => void refused++ });
} else {
  throw new Error(`unknown role ${role}`);
}

function paced(gen: number, rate: number, until: number): void {
  const t0 = nowMs();
  let sent = 0;
  const step = () => {
    if (gen !== generation) return;
    const t = nowMs();
    if (t > until) return;
    let due = Math.floor(((t - t0) * rate) / 1000) - sent;
    if (due > rate / 50) {
      sent += due - Math.ceil(rate / 50);
      due = Math.ceil(rate / 50);
    }
    for (let i = 0; i < due; i++) {
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped++;
        continue;
      }
      inFlight++;
      void hub.publish(TOPIC, barMessage(published++, nowMs())).finally(() => void inFlight--);
    }
    sent += Math.max(0, due);
    setTimeout(step, 1);
  };
  step();
}

serve(async (msg) => {
  switch (msg.cmd) {
    case 'count':
      return { subscribers: hub.subscriberCount(TOPIC), connections: connections() };
    case 'rate':
      generation++;
      paced(generation, msg.rate, nowMs() + MAX_PUBLISH_MS);
      return {};
    case 'halt':
      generation++;
      return { published };
    case 'mark':
      return { cpu: process.cpuUsage(), at: nowMs(), published, skipped, refused, inFlight, loadavg: loadavg() };
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
});
process.send?.({ ready: true, port });
