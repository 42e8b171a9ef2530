/**
 * GET /metrics over real sockets: scraped before and after a scripted session (connect, subscribe, a bad message, a
 * recovery and a failed one, a server close with a code, a client close), the expected series move, and no label
 * value is a topic name or a symbol.
 */
import { expect } from 'chai';
import { TestClient } from '../support/client.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';

type Samples = Map<string, number>;

/** The text exposition as `name{a="x",b="y"}` → value (labels sorted, so keys are stable). */
function parse(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels = m[2] ? [...m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => `${l[1]}="${l[2]}"`).sort().join(',') : '';
    out.set(labels ? `${m[1]}{${labels}}` : m[1]!, Number(m[3]));
  }
  return out;
}

function key(name: string, labels: Record<string, string> = {}): string {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  return l ? `${name}{${l}}` : name;
}

describe('observability: GET /metrics', function () {
  this.timeout(30_000);
  let server: TestServer;
  const clients: TestClient[] = [];

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  async function scrape(): Promise<{ samples: Samples; text: string; type: string | null }> {
    const res = await fetch(server.http('/metrics'));
    expect(res.status).to.equal(200);
    const text = await res.text();
    return { samples: parse(text), text, type: res.headers.get('content-type') };
  }

  const open = async (path: string) => {
    const c = await TestClient.open(server.ws(path));
    clients.push(c);
    return c;
  };

  it('moves the connection, message, close, recovery, publish and latency series after a scripted session; labels carry no topic', async () => {
    const before = await scrape();
    expect(before.type).to.match(/^text\/plain; version=0\.0\.4/);
    const v0 = (k: string) => before.samples.get(k) ?? 0;

    const ep = '/api/v1/ws';
    const endpoint = 'operationEndpoint';
    // connect, subscribe, get a live update
    const a = await open(ep);
    const sub = await a.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
    expect(sub.payload.status).to.equal('ok');
    const update = await a.next((m) => m.type === 'bars.update' && m.topic === 'bars:AAPL:1' && m.seq !== undefined, { timeoutMs: 10_000 });
    // a bad message
    a.send('{not json');
    await a.next((m) => m.type === 'error' && m.payload?.code === 'INVALID_JSON');
    const during = await scrape();
    const endpointIds = [...during.samples.keys()].filter((k) => k.startsWith('tickwire_connections{')).map((k) => k);
    expect(endpointIds.join(' '), 'connections by endpoint').to.contain(`endpoint="${endpoint}"`);
    expect(during.samples.get(key('tickwire_connections', { endpoint }))).to.equal(1);
    expect(during.samples.get(key('tickwire_subscriptions', { family: 'bars' }))).to.be.at.least(1);
    expect(during.samples.get(key('tickwire_topics', { family: 'bars' }))).to.be.at.least(1);

    // the client goes away with 1000; a new one recovers from the last seq it saw, another gives a foreign epoch
    a.ws.close(1000, 'bye');
    expect((await a.closed()).code).to.equal(1000);
    const b = await open(ep);
    const recovered = await b.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL', since: { epoch: sub.payload.asOf.epoch, offset: update.seq } } });
    expect(recovered.payload.recovered).to.equal(true);
    const c = await open(ep);
    const notRecovered = await c.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL', since: { epoch: 'not-this-epoch', offset: 1 } } });
    expect(notRecovered.payload.recovered).to.equal(false);
    expect(notRecovered.payload.reason).to.equal('epoch');
    // a server close with a code: over the inbound rate (burst 20), closed 4002
    for (let i = 0; i < 40; i++) c.send({ type: 'ping' });
    expect((await c.closed()).code).to.equal(4002);

    // Closes are counted when the socket is gone: wait until both show, then read everything from one scrape.
    let after = await scrape();
    await waitUntil(async () => {
      after = await scrape();
      return (after.samples.get(key('tickwire_closes_total', { endpoint, code: '1000' })) ?? 0) > v0(key('tickwire_closes_total', { endpoint, code: '1000' }))
        && (after.samples.get(key('tickwire_closes_total', { endpoint, code: '4002' })) ?? 0) > v0(key('tickwire_closes_total', { endpoint, code: '4002' }));
    }, 'closes 1000 and 4002 counted', 5000);
    const moved = (k: string) => (after.samples.get(k) ?? 0) - v0(k);

    expect(moved(key('tickwire_inbound_messages_total', { endpoint, type: 'bars.subscribe', outcome: 'ok' })), 'subscribes ok').to.equal(3);
    expect(moved(key('tickwire_inbound_messages_total', { endpoint, type: 'unknown', outcome: 'INVALID_JSON' })), 'INVALID_JSON').to.equal(1);
    expect(moved(key('tickwire_inbound_messages_total', { endpoint, type: 'unknown', outcome: 'RATE_LIMITED' })), 'RATE_LIMITED').to.equal(1);
    expect(moved(key('tickwire_inbound_messages_total', { endpoint, type: 'ping', outcome: 'ok' })), 'pings answered').to.be.at.least(1);
    expect(moved(key('tickwire_recoveries_total', { family: 'bars', outcome: 'recovered', reason: '' })), 'recovered').to.equal(1);
    expect(moved(key('tickwire_recoveries_total', { family: 'bars', outcome: 'not_recovered', reason: 'epoch' })), 'not recovered (epoch)').to.equal(1);
    expect(moved('tickwire_outbound_messages_total'), 'messages out').to.be.at.least(5);
    expect(moved('tickwire_outbound_bytes_total'), 'bytes out').to.be.greaterThan(moved('tickwire_outbound_messages_total'));
    expect(moved('tickwire_outbound_writes_total'), 'socket writes').to.be.at.least(1);
    expect(moved(key('tickwire_published_messages_total', { family: 'bars' })), 'bars published').to.be.at.least(1);
    expect(moved('tickwire_publish_to_write_seconds_count'), 'publish-to-write observations').to.be.at.least(1);
    expect(moved('tickwire_broker_publish_seconds_count'), 'broker publish observations').to.be.at.least(1);
    expect(moved(key('tickwire_http_request_seconds_count', { method: 'GET', route: '/metrics', status: '200' })), 'scrapes counted').to.be.at.least(2);
    expect(after.samples.get(key('tickwire_connections', { endpoint })), 'b is still open').to.equal(1);
    expect(after.samples.get(key('tickwire_broker_connected', { broker: 'memory' }))).to.equal(1);
    expect(after.samples.get(key('tickwire_upstream_up', { source: 'simulated' }))).to.equal(1);
    expect(after.samples.get(key('tickwire_backtests', { status: 'running' }))).to.equal(0);
    expect(after.samples.has('tickwire_queued_bytes')).to.equal(true);
    expect(after.samples.get(key('tickwire_slow_consumer_closes_total', { endpoint })) ?? 0).to.equal(0);

    // Bounded labels: no value names a topic, a symbol or a connection.
    const values = [...after.text.matchAll(/="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    expect(values.length).to.be.greaterThan(10);
    for (const v of values) {
      expect(v, 'a label value').to.not.match(/:|AAPL|MSFT/);
    }
    // Every series of ours is tickwire_*: process metrics are the process entry point's (src/main.ts) to add.
    for (const k of after.samples.keys()) expect(k).to.match(/^tickwire_/);
  });
});
