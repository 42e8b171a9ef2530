import { expect } from 'chai';
import { connect, TickwireError, type InvalidMessage, type SocketState } from '../../src/client/node.ts';
import type * as T from '../../generated/types.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';
import { first, scriptedServer } from './helpers.ts';

const bar = (i: number): T.BarsUpdateMessage => ({
  type: 'bars.update',
  topic: 'bars:AAPL:1',
  payload: { time: 1_700_000_000_000 + i * 60_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: i },
});

describe('client: typed connect / subscribe / handlers against a real server', function () {
  this.timeout(30_000);
  let server: TestServer;

  before(async () => {
    server = await startServer({ websocket: { priceUpdateIntervalMs: 100, portfolioUpdateIntervalMs: 100 } });
  });
  after(async () => {
    await server.stop();
  });

  it('/api/v1/ws: subscribe resolves with the reply correlated by id; bars.update handlers are typed', async () => {
    const client = connect(server.http(''), '/api/v1/ws');
    try {
      const updates: T.BarsUpdateMessage[] = [];
      client.on('bars.update', (m) => updates.push(m));
      const reply = await client.subscribe('bars:AAPL:1');
      expect(reply.type).to.equal('bars.subscribe.response');
      expect(reply.payload).to.deep.include({ status: 'ok', topic: 'bars:AAPL:1' });
      expect(reply.id).to.be.a('string');
      await waitFor(() => updates.length >= 3);
      expect(updates.every((u) => u.topic === 'bars:AAPL:1')).to.equal(true);
      // The contract's time order within a topic: never backwards.
      for (let i = 1; i < updates.length; i++) expect(updates[i]!.payload.time).to.be.at.least(updates[i - 1]!.payload.time);
      const un = await client.unsubscribe('bars:AAPL:1');
      expect(un.type).to.equal('bars.unsubscribe.response');
      expect(client.subscriptions()).to.deep.equal([]);
    } finally {
      client.close();
    }
  });

  it('/api/v1/ws: an error reply rejects with the contract code; a malformed topic is refused before sending', async () => {
    const client = connect(server.http(''), '/api/v1/ws');
    try {
      const err = await client.subscribe('bars:NOPE:1').then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(TickwireError);
      expect((err as TickwireError).code).to.equal('UNKNOWN_SYMBOL');
      expect(client.subscriptions(), 'a refused subscribe is not kept').to.deep.equal([]);
      const local = await client.subscribe('bars:aapl:1' as 'bars:AAPL:1').then(() => null, (e: unknown) => e);
      expect((local as TickwireError).code).to.equal('INVALID_MESSAGE');
    } finally {
      client.close();
    }
  });

  it('/ws: typed request/reply for dashboard streams, UNKNOWN_STREAM as a coded rejection', async () => {
    const client = connect(server.http(''), '/ws');
    try {
      const prices: T.PriceUpdateMessage[] = [];
      client.on('price_update', (m) => prices.push(m));
      const reply = await client.unsubscribe(['signals', 'trades', 'portfolio']);
      expect(reply).to.deep.include({ type: 'subscriptions', streams: ['prices'] });
      expect(client.subscriptions()).to.deep.equal(['prices']);
      const raw = await client.request({ type: 'subscribe', streams: ['portfolio'] });
      expect(raw.streams).to.have.members(['prices', 'portfolio']);
      const err = await client.subscribe('nope' as 'prices').then(() => null, (e: unknown) => e);
      expect((err as TickwireError).code).to.equal('UNKNOWN_STREAM');
      await waitFor(() => prices.length >= 1);
      expect(Object.values(prices[0]!.symbols)[0]).to.have.keys(['price', 'change', 'change_pct']);
    } finally {
      client.close();
    }
  });
});

describe('client: reconnect', function () {
  this.timeout(30_000);

  it('after the server restarts on the same port: reconnects with backoff and restores every subscription', async () => {
    let server = await startServer({ websocket: { priceUpdateIntervalMs: 100, portfolioUpdateIntervalMs: 100 } });
    const port = server.port;
    const bars = connect(server.http(''), '/api/v1/ws', { backoff: { initialMs: 50, maxMs: 200 } });
    const dash = connect(server.http(''), '/ws', { backoff: { initialMs: 50, maxMs: 200 } });
    const states: SocketState[] = [];
    bars.onState((s) => states.push(s));
    try {
      await bars.subscribe('bars:AAPL:1');
      await bars.subscribe('bars:MSFT:5');
      await dash.unsubscribe(['signals', 'trades', 'portfolio']);
      const closed = first(bars.onClose.bind(bars), 5000, 'close');
      await server.stop();
      const info = await closed;
      expect(info.code).to.equal(1001); // GOING_AWAY: reconnect: true
      expect(info.willReconnect).to.equal(true);
      await waitFor(() => bars.state === 'reconnecting' || bars.state === 'connecting');

      server = await startServer({ port, websocket: { priceUpdateIntervalMs: 100, portfolioUpdateIntervalMs: 100 } });
      const seen = new Set<string>();
      bars.on('bars.update', (m) => seen.add(m.topic));
      const dashTypes: string[] = [];
      const restored = first<T.DashboardSubscriptionsMessage>((fn) => dash.on('subscriptions', (m) => m.id !== undefined && m.streams.length === 1 && fn(m)), 10_000, 'restored /ws streams');
      await waitFor(() => seen.has('bars:AAPL:1') && seen.has('bars:MSFT:5'), 15_000);
      expect((await restored).streams).to.deep.equal(['prices']);
      dash.onAny((m) => dashTypes.push(m.type));
      await first((fn) => dash.on('price_update', fn), 5000, 'a price_update after the restart');
      // A marker request: its reply comes after everything the server sent before it, and lists the streams it holds.
      const held = await dash.unsubscribe(['portfolio']);
      expect(held.streams, 'streams unsubscribed before the restart stay off').to.deep.equal(['prices']);
      expect(dashTypes).to.not.include('portfolio_update');
      expect(states[0]).to.equal('open');
      expect(states.at(-1)).to.equal('open');
      expect(states).to.include('reconnecting');
      expect(bars.subscriptions()).to.have.members(['bars:AAPL:1', 'bars:MSFT:5']);
    } finally {
      bars.close();
      dash.close();
      await server.stop();
    }
  });

  it('does not reconnect after a 4500+ close code; ready() rejects for an unreachable server with failFast', async () => {
    const fake = await scriptedServer((socket) => socket.close(4501, 'invalid connection url'));
    // Every reconnect is scheduled with a backoff draw from `random`: none may happen after connecting.
    let draws = 0;
    const random = () => {
      draws++;
      return 0.5;
    };
    const client = connect(fake.url, '/api/v1/ws', { backoff: { initialMs: 10, maxMs: 20 }, random });
    const drawsAtConnect = draws;
    try {
      const info = await first(client.onClose.bind(client), 5000, 'close');
      expect(info).to.include({ code: 4501, willReconnect: false });
      expect(client.state).to.equal('closed');
      expect(draws - drawsAtConnect, 'no reconnect scheduled').to.equal(0);
      expect(fake.connections()).to.equal(1);
      const err = await client.subscribe('bars:AAPL:1').then(() => null, (e: unknown) => e);
      expect((err as TickwireError).code).to.equal('CLOSED');
    } finally {
      client.close();
      await fake.close();
    }
    const unreachable = connect(fake.url, '/ws', { failFast: true });
    const err = await unreachable.ready().then(() => null, (e: unknown) => e);
    expect((err as TickwireError).code).to.equal('UNREACHABLE');
    expect((err as Error).message).to.match(/ECONNREFUSED/);
  });

  it('stream endpoints: app-level ping; a server that stops answering is dropped and reconnected', async () => {
    const pings: unknown[] = [];
    const fake = await scriptedServer((socket, n) => {
      socket.send(JSON.stringify({ type: 'connected', timestamp: new Date().toISOString(), data: { stream: 'backtest', message: 'hi', backtest_id: 'bt_1' } }));
      socket.on('message', (data) => {
        const m = JSON.parse(String(data));
        pings.push(m);
        if (n > 1) socket.send(JSON.stringify({ type: 'pong', timestamp: new Date().toISOString(), data: {} }));
      });
    });
    const client = connect(fake.url, '/api/ws/stream/backtest/{backtest_id}', {
      params: { backtest_id: 'bt_1' },
      heartbeatMs: 50,
      // Silence may last 50 + 250 ms: short enough to see a drop soon, long enough that a loaded machine's event-loop
      // lag does not drop the answering second connection.
      heartbeatTimeoutMs: 250,
      backoff: { initialMs: 10, maxMs: 20 },
    });
    try {
      expect(client.url).to.match(/\/api\/ws\/stream\/backtest\/bt_1$/);
      // The first connection never answers: silence > 300 ms → dropped (4004) → a second connection, which pongs.
      await waitFor(() => fake.connections() >= 2, 5000);
      expect(client.lastClose?.code).to.equal(4004);
      let pongs = 0;
      client.on('pong', () => pongs++);
      const pong = await first<T.StreamPongMessage>((fn) => client.on('pong', fn), 2000, 'pong');
      expect(pong.type).to.equal('pong');
      expect(pings[0]).to.have.property('type', 'ping');
      // Ten more heartbeats answered (>= 500 ms): past the 300 ms of silence allowed, so a client that ignored the
      // pongs would be on a third connection.
      const from = pongs;
      await waitFor(() => pongs >= from + 10);
      expect(fake.connections(), 'an answering server is kept').to.equal(2);
    } finally {
      client.close();
      await fake.close();
    }
  });
});

describe('client: incoming messages', function () {
  this.timeout(15_000);

  it('preserves the order of messages', async () => {
    const N = 2000;
    const fake = await scriptedServer((socket) => {
      for (let i = 0; i < N; i++) socket.send(JSON.stringify(bar(i)));
    });
    const client = connect(fake.url, '/api/v1/ws');
    try {
      const got: number[] = [];
      client.on('bars.update', (m) => got.push(m.payload.volume));
      await waitFor(() => got.length === N, 10_000);
      expect(got).to.deep.equal(Array.from({ length: N }, (_, i) => i));
    } finally {
      client.close();
      await fake.close();
    }
  });

  it('a malformed server message is reported to onInvalid, never thrown; later messages still arrive', async () => {
    const fake = await scriptedServer((socket) => {
      socket.send('not json {');
      socket.send(JSON.stringify({ type: 'bars.explode' }));
      socket.send(JSON.stringify({ type: 'bars.update', topic: 'bars:AAPL:1', payload: { time: -1 } }));
      socket.send(Buffer.from([1, 2, 3]));
      socket.send(JSON.stringify(bar(7)));
      socket.send(JSON.stringify(bar(8)));
    });
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    const client = connect(fake.url, '/api/v1/ws');
    try {
      const invalid: InvalidMessage[] = [];
      const errors: Error[] = [];
      const got: number[] = [];
      client.onInvalid((p) => invalid.push(p));
      client.onError((e) => errors.push(e));
      client.on('bars.update', (m) => {
        got.push(m.payload.volume);
        if (m.payload.volume === 7) throw new Error('handler bug');
      });
      await waitFor(() => got.length === 2);
      expect(invalid.map((p) => p.code)).to.deep.equal(['INVALID_JSON', 'UNKNOWN_TYPE', 'INVALID_MESSAGE', 'INVALID_JSON']);
      expect(invalid[2]!.field).to.match(/^\/payload/);
      expect(invalid[0]!.raw).to.equal('not json {');
      expect(errors.map((e) => e.message)).to.deep.equal(['handler bug']);
      expect(got).to.deep.equal([7, 8]);
      expect(client.state).to.equal('open');
      expect(uncaught).to.deep.equal([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      client.close();
      await fake.close();
    }
  });
});
