/**
 * The typed client recovers by itself (issue 11): positions per topic, `since` after every reconnect, no duplicate
 * and no gap handed to handlers, `onRecovery` per topic. Real gateway behind a TCP proxy (to drop connections the
 * way a network does) for the end-to-end cases; scripted `ws` servers for exact frames (duplicates, gaps).
 */
import { expect } from 'chai';
import type { WebSocket as ServerSocket } from 'ws';
import { connect, type RecoveryEvent } from '../../src/client/node.ts';
import type * as T from '../../generated/types.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { waitFor, waitUntil } from '../support/wait.ts';
import { first, scriptedServer } from './helpers.ts';
import { tcpProxy, type TcpProxy } from './proxy.ts';

const fast = { backoff: { initialMs: 20, maxMs: 100 } };
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The highest `seq` the server has published on a bars topic, seen by a plain subscriber connected directly. */
async function watchTop(server: TestServer, topic: `bars:${string}:${T.Resolution}`) {
  const watcher = connect(server.http(''), '/api/v1/ws', { recover: false });
  let top = 0;
  watcher.on('bars.update', (m) => m.seq !== undefined && (top = Math.max(top, m.seq)));
  await watcher.subscribe(topic);
  return { top: () => top, close: () => watcher.close() };
}

describe('client recovery: against a real gateway', function () {
  this.timeout(30_000);
  let server: TestServer;
  let proxy: TcpProxy;

  beforeEach(async () => {
    server = await startServer({ websocket: { priceUpdateIntervalMs: 50, portfolioUpdateIntervalMs: 50 } });
    proxy = await tcpProxy(server.port);
  });
  afterEach(async () => {
    await proxy.close();
    await server.stop();
  });

  it('/api/v1/ws: after a dropped connection, resubscribes with since and hands every missed bars.update over once, in order', async () => {
    const topic = 'bars:AAPL:1';
    const client = connect(proxy.url, '/api/v1/ws', fast);
    const watcher = await watchTop(server, topic);
    try {
      const seqs: number[] = [];
      let snapshots = 0;
      client.on('bars.update', (m) => (m.seq === undefined ? snapshots++ : seqs.push(m.seq)));
      const events: RecoveryEvent[] = [];
      client.onRecovery((e) => events.push(e));
      const reply = await client.subscribe(topic);
      expect(reply.payload.recovered).to.equal(false);
      expect(events, 'a first subscribe is no recovery').to.deep.equal([]);
      await waitFor(() => seqs.length >= 3);
      expect(client.positions()[topic]).to.deep.equal({ epoch: reply.payload.asOf.epoch, offset: seqs.at(-1) });

      const snapshotsBefore = snapshots;
      proxy.hold();
      proxy.cut();
      await waitFor(() => client.state !== 'open');
      const lastBefore = seqs.at(-1)!;
      // The server goes on publishing while the client is away.
      await waitUntil(() => watcher.top() >= lastBefore + 5, () => `5 publications after ${lastBefore}; top ${watcher.top()}`);
      proxy.release();

      const event = await first(client.onRecovery.bind(client), 10_000, 'onRecovery');
      expect(event).to.deep.include({ topic, recovered: true, cause: 'reconnect' });
      expect(event.since).to.deep.equal({ epoch: reply.payload.asOf.epoch, offset: lastBefore });
      expect(event.asOf.offset).to.be.at.least(lastBefore + 5);
      const target = watcher.top() + 3;
      await waitUntil(() => (seqs.at(-1) ?? 0) >= target, () => `seq ${target}; got up to ${seqs.at(-1)}`, 10_000);
      // Every publication since the first subscribe, exactly once, in order: the replay joined the live updates.
      expect(seqs).to.deep.equal(range(reply.payload.asOf.offset + 1, seqs.at(-1)!));
      expect(snapshots, 'a recovered topic gets no snapshot').to.equal(snapshotsBefore);
      expect(events).to.have.length(1);
    } finally {
      client.close();
      watcher.close();
    }
  });

  it('/ws: the reconnect carries ?since= for every held stream; prices continue without a gap or a duplicate', async () => {
    const client = connect(proxy.url, '/ws', fast);
    try {
      const seqs: number[] = [];
      let priceSnapshots = 0;
      client.on('price_update', (m) => (m.seq === undefined ? priceSnapshots++ : seqs.push(m.seq)));
      const events: RecoveryEvent[] = [];
      client.onRecovery((e) => events.push(e));
      // Hold three streams: trades is dropped, and must not come back with the reconnect.
      await client.unsubscribe(['trades']);
      await waitFor(() => seqs.length >= 3);
      expect(Object.keys(client.positions())).to.have.members(['dashboard:prices', 'dashboard:signals', 'dashboard:portfolio']);
      const lastBefore = seqs.at(-1)!;
      const snapshotsBefore = priceSnapshots; // 0 or 1: a fresh server may have no prices yet at connect
      proxy.hold();
      proxy.cut();
      await waitFor(() => client.state !== 'open');
      proxy.release();
      await waitUntil(() => events.length >= 3, () => `3 recovery events; got ${JSON.stringify(events)}`, 10_000);
      expect(events.map((e) => e.topic)).to.have.members(['dashboard:prices', 'dashboard:signals', 'dashboard:portfolio']);
      for (const e of events) expect(e, e.topic).to.deep.include({ recovered: true, cause: 'reconnect' });
      expect(events.find((e) => e.topic === 'dashboard:prices')!.since.offset).to.equal(lastBefore);
      const target = lastBefore + 5;
      await waitUntil(() => (seqs.at(-1) ?? 0) >= target, () => `seq ${target}; got up to ${seqs.at(-1)}`, 10_000);
      expect(seqs).to.deep.equal(range(seqs[0]!, seqs.at(-1)!));
      expect(priceSnapshots, 'the recovered prices stream gets no snapshot').to.equal(snapshotsBefore);
      // A marker request: answered after everything sent before it; the restored streams are the three held.
      const held = await client.unsubscribe(['trades']);
      expect(held.streams).to.have.members(['prices', 'signals', 'portfolio']);
    } finally {
      client.close();
    }
  });

  it('seed-003 market-data: the reconnect URL carries since; candles continue without a gap or a duplicate', async () => {
    const client = connect(proxy.url, '/api/ws/stream/market-data/{symbol}', { ...fast, params: { symbol: 'AAPL' } });
    try {
      const seqs: number[] = [];
      client.on('candle', (m) => m.seq !== undefined && seqs.push(m.seq));
      const connected: T.StreamConnectedMessage[] = [];
      client.on('connected', (m) => connected.push(m));
      await waitFor(() => seqs.length >= 3);
      const topic = Object.keys(connected[0]!.data.positions ?? {})[0]!;
      expect(topic).to.equal('market-data:AAPL:1');
      expect(client.positions()[topic]!.offset).to.be.at.least(seqs.at(-1)!);
      const lastBefore = client.positions()[topic]!.offset;
      proxy.cut();
      const event = await first(client.onRecovery.bind(client), 10_000, 'onRecovery');
      expect(event).to.deep.include({ topic, recovered: true, cause: 'reconnect' });
      expect(event.since.offset).to.equal(lastBefore);
      expect(connected[1]!.data.positions![topic]).to.include({ recovered: true });
      const target = lastBefore + 5;
      await waitUntil(() => (seqs.at(-1) ?? 0) >= target, () => `seq ${target}; got up to ${seqs.at(-1)}`, 10_000);
      expect(seqs).to.deep.equal(range(seqs[0]!, seqs.at(-1)!));
    } finally {
      client.close();
    }
  });

  it('a server restart loses the history: onRecovery says recovered false (epoch), a snapshot follows, then live updates', async () => {
    const topic = 'bars:MSFT:1';
    const port = server.port;
    const client = connect(server.http(''), '/api/v1/ws', fast);
    const dash = connect(server.http(''), '/ws', fast);
    try {
      const got: T.BarsUpdateMessage[] = [];
      client.on('bars.update', (m) => got.push(m));
      const reply = await client.subscribe(topic);
      await waitFor(() => got.some((m) => m.seq !== undefined));
      await waitFor(() => Object.keys(dash.positions()).length === 4);
      await server.stop();
      await proxy.close();
      server = await startServer({ port, websocket: { priceUpdateIntervalMs: 50, portfolioUpdateIntervalMs: 50 } });
      proxy = await tcpProxy(server.port);
      const dashEvents: RecoveryEvent[] = [];
      dash.onRecovery((e) => dashEvents.push(e));
      const event = await first(client.onRecovery.bind(client), 10_000, 'onRecovery');
      expect(event).to.deep.include({ topic, recovered: false, reason: 'epoch', cause: 'reconnect' });
      expect(event.since.epoch).to.equal(reply.payload.asOf.epoch);
      expect(event.asOf.epoch).to.not.equal(reply.payload.asOf.epoch);
      const from = got.length;
      await waitFor(() => got.slice(from).some((m) => m.seq !== undefined), 10_000);
      const after = got.slice(from);
      // The snapshot (the current bar, no seq; when the fresh server has one yet) comes before any update.
      const firstUpdate = after.findIndex((m) => m.seq !== undefined);
      expect(after.slice(firstUpdate).every((m) => m.seq !== undefined)).to.equal(true);
      expect(firstUpdate).to.be.at.most(1);
      for (const m of after.filter((x) => x.seq !== undefined)) expect(m.seq).to.be.greaterThan(event.asOf.offset);
      expect(client.positions()[topic]!.epoch).to.equal(event.asOf.epoch);
      await waitUntil(() => dashEvents.length === 4, () => `4 dashboard recovery events; got ${JSON.stringify(dashEvents)}`, 10_000);
      for (const e of dashEvents) expect(e, e.topic).to.deep.include({ recovered: false, reason: 'epoch' });
    } finally {
      client.close();
      dash.close();
    }
  });
});

// ---------------------------------------------------------------- scripted servers: exact frames

const barMsg = (seq: number | undefined, topic = 'bars:AAPL:1'): T.BarsUpdateMessage => ({
  type: 'bars.update',
  topic,
  ...(seq !== undefined ? { seq } : {}),
  payload: { time: 1_700_000_000_000 + (seq ?? 0) * 60_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: seq ?? 0 },
});

function subscribed(id: string, asOf: T.StreamPosition, recovered: boolean, reason?: T.RecoveryReason): T.BarsSubscribeResponseMessage {
  return { type: 'bars.subscribe.response', id, payload: { status: 'ok', message: 'Subscribed to bars:AAPL:1', topic: 'bars:AAPL:1', asOf, recovered, ...(reason ? { reason } : {}) } };
}

/** Records what a scripted server receives, and answers requests through `answer`. */
function scripted(answer: (m: any, socket: ServerSocket, n: number) => void) {
  const received: any[] = [];
  return {
    received,
    onConnection(socket: ServerSocket, n: number) {
      socket.on('message', (data) => {
        const m = JSON.parse(String(data));
        received.push({ ...m, connection: n });
        answer(m, socket, n);
      });
    },
  };
}

const send = (socket: ServerSocket, ...messages: object[]) => {
  for (const m of messages) socket.send(JSON.stringify(m));
};

describe('client recovery: duplicates, gaps and close 4005 (scripted servers)', function () {
  this.timeout(15_000);

  it('a duplicate seq is never handed to handlers; a gap resubscribes the topic with since and the replay fills it', async () => {
    let subscribes = 0;
    const script = scripted((m, socket) => {
      if (m.type === 'bars.unsubscribe') send(socket, { type: 'bars.unsubscribe.response', id: m.id, payload: { status: 'ok', message: 'Unsubscribed', topic: 'bars:AAPL:1' } });
      if (m.type !== 'bars.subscribe') return;
      if (++subscribes === 3) {
        // A subscribe of a topic already live: the server's no-op answer (its node's position, not this client's).
        send(socket, subscribed(m.id, { epoch: 'e1', offset: 99 }, false));
      } else if (!m.payload.since) {
        // seq 2 twice, 1 again, then 5: 4 (and 3) were lost on the way.
        send(socket, subscribed(m.id, { epoch: 'e1', offset: 0 }, false), barMsg(undefined), barMsg(1), barMsg(2), barMsg(2), barMsg(1), barMsg(3), barMsg(5), barMsg(6));
      } else {
        // The replay after since, stale duplicates, then a live one.
        send(socket, subscribed(m.id, { epoch: 'e1', offset: 6 }, true), barMsg(4), barMsg(5), barMsg(6), barMsg(6), barMsg(5), barMsg(7));
      }
    });
    const fake = await scriptedServer((s, n) => script.onConnection(s, n));
    const client = connect(fake.url, '/api/v1/ws', fast);
    try {
      const seqs: (number | undefined)[] = [];
      client.on('bars.update', (m) => seqs.push(m.seq));
      const events: RecoveryEvent[] = [];
      client.onRecovery((e) => events.push(e));
      await client.subscribe('bars:AAPL:1');
      await waitUntil(() => seqs.at(-1) === 7, () => `seq 7; got ${JSON.stringify(seqs)}`);
      expect(seqs).to.deep.equal([undefined, 1, 2, 3, 4, 5, 6, 7]);
      expect(script.received.map((r) => [r.type, r.payload?.since])).to.deep.equal([
        ['bars.subscribe', undefined],
        ['bars.unsubscribe', undefined],
        ['bars.subscribe', { epoch: 'e1', offset: 3 }],
      ]);
      expect(events).to.deep.equal([{ topic: 'bars:AAPL:1', recovered: true, asOf: { epoch: 'e1', offset: 6 }, since: { epoch: 'e1', offset: 3 }, cause: 'gap' }]);
      expect(client.positions()).to.deep.equal({ 'bars:AAPL:1': { epoch: 'e1', offset: 7 } });
      expect(fake.connections(), 'a gap on /api/v1/ws is fixed on the same connection').to.equal(1);
      // Subscribing again to a live topic resumes nothing: no since, no recovery event, the count stays.
      await client.subscribe('bars:AAPL:1');
      expect(script.received.at(-1)).to.deep.include({ type: 'bars.subscribe', payload: { symbol: 'AAPL', resolution: '1' } });
      expect(events).to.have.length(1);
      expect(client.positions()).to.deep.equal({ 'bars:AAPL:1': { epoch: 'e1', offset: 7 } });
    } finally {
      client.close();
      await fake.close();
    }
  });

  it('close 4005: reconnects and resubscribes with since; recovered false (expired) is reported, then the snapshot and updates after asOf', async () => {
    const script = scripted((m, socket, n) => {
      if (m.type !== 'bars.subscribe') return;
      if (n === 1) {
        send(socket, subscribed(m.id, { epoch: 'e1', offset: 10 }, false), barMsg(11), barMsg(12));
        setImmediate(() => socket.close(4005, 'continuity lost; reconnect and recover'));
      } else {
        send(socket, subscribed(m.id, { epoch: 'e1', offset: 40 }, false, 'expired'), barMsg(undefined), barMsg(40), barMsg(41));
      }
    });
    const fake = await scriptedServer((s, n) => script.onConnection(s, n));
    const client = connect(fake.url, '/api/v1/ws', fast);
    try {
      const seqs: (number | undefined)[] = [];
      const order: string[] = [];
      client.on('bars.update', (m) => {
        seqs.push(m.seq);
        order.push(`update ${m.seq ?? 'snapshot'}`);
      });
      client.onRecovery((e) => order.push(`recovery ${e.recovered} ${e.reason}`));
      await client.subscribe('bars:AAPL:1');
      await waitUntil(() => seqs.at(-1) === 41, () => `seq 41; got ${JSON.stringify(seqs)}`);
      expect(client.lastClose?.code).to.equal(4005);
      expect(script.received.map((r) => r.payload.since)).to.deep.equal([undefined, { epoch: 'e1', offset: 12 }]);
      // The event comes before the snapshot; seq 40 (not after asOf) is not handed on.
      expect(order).to.deep.equal(['update 11', 'update 12', 'recovery false expired', 'update snapshot', 'update 41']);
    } finally {
      client.close();
      await fake.close();
    }
  });

  it('stream endpoints: a gap reconnects with the since query parameter; the replay fills it', async () => {
    const topic = 'market-data:AAPL:1';
    const urls: string[] = [];
    const candle = (seq: number): T.MarketCandleMessage => ({
      type: 'candle', seq, topic, timestamp: new Date().toISOString(),
      data: { symbol: 'AAPL', resolution: '1', closed: false, bar: { time: 1_700_000_000_000, open: 1, high: 2, low: 0.5, close: seq, volume: seq } },
    });
    const connected = (positions: T.PositionsMap): T.StreamConnectedMessage => ({
      type: 'connected', timestamp: new Date().toISOString(), data: { stream: 'market-data', message: 'hi', symbol: 'AAPL', resolution: '1', positions },
    });
    const fake = await scriptedServer((socket, n, req) => {
      urls.push(req.url!);
      if (n === 1) send(socket, connected({ [topic]: { asOf: { epoch: 'e1', offset: 0 }, recovered: false } }), candle(1), candle(2), candle(4), candle(5));
      else send(socket, connected({ [topic]: { asOf: { epoch: 'e1', offset: 5 }, recovered: true } }), candle(3), candle(4), candle(5), candle(6));
    });
    const client = connect(fake.url, '/api/ws/stream/market-data/{symbol}', { ...fast, params: { symbol: 'AAPL' } });
    try {
      const seqs: number[] = [];
      client.on('candle', (m) => seqs.push(m.seq!));
      const event = await first(client.onRecovery.bind(client), 5000, 'onRecovery');
      await waitUntil(() => seqs.at(-1) === 6, () => `seq 6; got ${JSON.stringify(seqs)}`);
      expect(seqs).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect(event).to.deep.equal({ topic, recovered: true, asOf: { epoch: 'e1', offset: 5 }, since: { epoch: 'e1', offset: 2 }, cause: 'gap' });
      expect(client.lastClose?.code).to.equal(4005);
      expect(urls[0]).to.equal('/api/ws/stream/market-data/AAPL');
      const since = new URL(urls[1]!, 'ws://x').searchParams.get('since');
      expect(JSON.parse(since!)).to.deep.equal({ [topic]: { epoch: 'e1', offset: 2 } });
      expect(client.url, 'client.url stays the endpoint URL').to.match(/\/market-data\/AAPL$/);
    } finally {
      client.close();
      await fake.close();
    }
  });

  it('recover: false sends no since, drops nothing, and never reports a recovery', async () => {
    const script = scripted((m, socket, n) => {
      if (m.type !== 'bars.subscribe') return;
      send(socket, subscribed(m.id, { epoch: 'e1', offset: 0 }, false), barMsg(1), barMsg(1), barMsg(3));
      if (n === 1) setImmediate(() => socket.close(4005, 'continuity lost; reconnect and recover'));
    });
    const fake = await scriptedServer((s, n) => script.onConnection(s, n));
    const client = connect(fake.url, '/api/v1/ws', { ...fast, recover: false });
    try {
      const seqs: (number | undefined)[] = [];
      client.on('bars.update', (m) => seqs.push(m.seq));
      let recoveries = 0;
      client.onRecovery(() => recoveries++);
      await client.subscribe('bars:AAPL:1');
      await waitUntil(() => seqs.length === 6, () => `6 updates; got ${JSON.stringify(seqs)}`);
      expect(seqs).to.deep.equal([1, 1, 3, 1, 1, 3]);
      expect(script.received.map((r) => r.payload.since)).to.deep.equal([undefined, undefined]);
      expect(recoveries).to.equal(0);
      expect(client.positions()).to.deep.equal({});
    } finally {
      client.close();
      await fake.close();
    }
  });
});
