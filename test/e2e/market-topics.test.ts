/**
 * quotes, trades and book topics over /api/v1/ws on the simulated market: subscribe replies and snapshots, the book
 * rebuilt from snapshot + updates equals a fresh snapshot at the same `u` at random points (property over the wire),
 * resync after an injected gap, a jump in `u` after a quiet period, bad input, and the typed client.
 */
import { expect } from 'chai';
import { OrderBook } from '../../src/client/book.ts';
import { connect } from '../../src/client/node.ts';
import { Random } from '../../src/market/random.ts';
import { TestClient, type Msg } from '../support/client.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const of = (type: string, topic: string) => (m: Msg) => m.type === type && m.topic === topic;

describe('e2e: quotes, trades and book topics', function () {
  this.timeout(30_000);
  let server: TestServer;
  const clients: TestClient[] = [];
  const open = async () => {
    const c = await TestClient.open(server.ws('/api/v1/ws'));
    clients.push(c);
    return c;
  };
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.stop();
  });

  it('quotes: reply with asOf, the current quote, then updates with seq; bid <= last <= ask', async () => {
    const c = await open();
    const reply = await c.request({ type: 'market.subscribe', id: 'q1', payload: { channel: 'quotes', symbol: 'AAPL' } });
    expect(reply.type).to.equal('market.subscribe.response');
    expect(reply.payload).to.deep.include({ status: 'ok', topic: 'quotes:AAPL', recovered: false });
    const from = c.messages.indexOf(reply);
    const q = await c.next(of('quotes.update', 'quotes:AAPL'), { from });
    const q2 = await c.next((m) => of('quotes.update', 'quotes:AAPL')(m) && typeof m.seq === 'number', { from: c.messages.indexOf(q) + 1 });
    for (const m of [q, q2]) {
      expect(m.payload.bid).to.be.at.most(m.payload.last);
      expect(m.payload.ask).to.be.at.least(m.payload.last);
      expect(m.payload.bid_size).to.be.greaterThan(0);
    }
  });

  it('trades: the recent tape first, then each trade with increasing ids', async () => {
    const c = await open();
    await c.request({ type: 'market.subscribe', payload: { channel: 'trades', symbol: 'MSFT' } });
    const snap = await c.next(of('trades.snapshot', 'trades:MSFT'));
    expect(snap.payload.trades).to.be.an('array');
    await waitFor(() => c.count(of('trades.update', 'trades:MSFT')) >= 5);
    const ids = c.messages.filter(of('trades.update', 'trades:MSFT')).map((m) => m.payload.id);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).to.equal(ids[i - 1] + 1);
    if (snap.payload.trades.length) expect(ids[0]).to.equal(snap.payload.trades.at(-1).id + 1);
    const un = await c.request({ type: 'market.unsubscribe', payload: { channel: 'trades', symbol: 'MSFT' } });
    expect(un.payload).to.deep.equal({ status: 'ok', message: 'Unsubscribed from trades:MSFT', topic: 'trades:MSFT' });
  });

  it('book (property): snapshot + updates equal a fresh snapshot at the same u, at 10 random points', async () => {
    const a = await open();
    const book = new OrderBook(10);
    const states = new Map<number, { bids: number[][]; asks: number[][] }>();
    const outcomes: string[] = [];
    a.ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.topic !== 'book:AAPL:10') return;
      if (m.type === 'book.snapshot') book.snapshot(m.payload);
      else if (m.type === 'book.update') outcomes.push(book.apply(m.payload));
      if (book.u !== undefined) states.set(book.u, { bids: book.bids(), asks: book.asks() });
    });
    await a.request({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'AAPL', depth: '10' } });
    const rng = new Random(7);
    for (let i = 0; i < 10; i++) {
      const target = (book.u ?? 0) + 1 + Math.floor(rng.next() * 6);
      await waitFor(() => (book.u ?? 0) >= target);
      const b = await open();
      const reply = await b.request({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'AAPL', depth: '10' } });
      const snap = await b.next(of('book.snapshot', 'book:AAPL:10'), { from: b.messages.indexOf(reply) });
      await waitFor(() => (book.u ?? 0) >= snap.payload.u);
      expect(states.get(snap.payload.u), `A's book at u=${snap.payload.u}`).to.deep.equal({ bids: snap.payload.bids, asks: snap.payload.asks });
      expect(snap.payload.bids.length).to.equal(10);
      b.close();
    }
    expect(outcomes.filter((o) => o !== 'applied')).to.deep.equal([]);
    expect(outcomes.length).to.be.greaterThan(10);
  });

  it('book: an injected gap is detected by u and repaired by unsubscribe + subscribe (a fresh snapshot)', async () => {
    const c = await open();
    const fresh = await open();
    const book = new OrderBook(5);
    let dropped = 0;
    let gaps = 0;
    let resubscribed = false;
    const states = new Map<number, unknown>();
    c.ws.on('message', () => {
      if (book.u !== undefined && !book.stale) states.set(book.u, { bids: book.bids(), asks: book.asks() });
    });
    c.ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.topic !== 'book:MSFT:5') return;
      if (m.type === 'book.snapshot') return book.snapshot(m.payload);
      if (m.type !== 'book.update') return;
      if (dropped === 0 && book.u !== undefined && book.u >= 3) {
        dropped = m.payload.u; // lost on the way
        return;
      }
      if (book.apply(m.payload) === 'gap' && !resubscribed) {
        gaps++;
        resubscribed = true;
        c.send({ type: 'market.unsubscribe', payload: { channel: 'book', symbol: 'MSFT', depth: '5' } });
        c.send({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'MSFT', depth: '5' } });
      }
    });
    await c.request({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'MSFT', depth: '5' } });
    await waitFor(() => resubscribed && !book.stale && (book.u ?? 0) > dropped + 3, 10_000);
    expect(gaps).to.equal(1);
    // the repaired book equals a fresh subscriber's snapshot at its u
    await fresh.request({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'MSFT', depth: '5' } });
    const snap = await fresh.next(of('book.snapshot', 'book:MSFT:5'));
    await waitFor(() => (book.u ?? 0) > snap.payload.u);
    expect(states.get(snap.payload.u)).to.deep.equal({ bids: snap.payload.bids, asks: snap.payload.asks });
  });

  it('book: after a quiet period (no subscriber) u jumps, so an old book cannot be continued by mistake', async () => {
    const c = await open();
    await c.request({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'GOOGL', depth: '20' } });
    await waitFor(() => c.count(of('book.update', 'book:GOOGL:20')) >= 2);
    const lastU = c.messages.filter(of('book.update', 'book:GOOGL:20')).at(-1)!.payload.u;
    await c.request({ type: 'market.unsubscribe', payload: { channel: 'book', symbol: 'GOOGL', depth: '20' } });
    await waitFor(() => server.app.hub.subscriberCount('book:GOOGL:20') === 0);
    const at = c.messages.length;
    await c.request({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'GOOGL', depth: '20' } });
    const snap = await c.next(of('book.snapshot', 'book:GOOGL:20'), { from: at });
    expect(snap.payload.u).to.be.greaterThan(lastU);
    const next = await c.next(of('book.update', 'book:GOOGL:20'), { from: c.messages.indexOf(snap) });
    expect(next.payload.u).to.equal(snap.payload.u + 1);
  });

  const bad: { name: string; payload: Record<string, unknown>; code: string; field?: string }[] = [
    { name: 'depth on quotes', payload: { channel: 'quotes', symbol: 'AAPL', depth: '10' }, code: 'INVALID_MESSAGE', field: '/payload/depth' },
    { name: 'an unsupported depth', payload: { channel: 'book', symbol: 'AAPL', depth: '7' }, code: 'INVALID_MESSAGE', field: '/payload/depth' },
    { name: 'an unknown channel', payload: { channel: 'orders', symbol: 'AAPL' }, code: 'INVALID_MESSAGE', field: '/payload/channel' },
    { name: 'an unknown symbol', payload: { channel: 'book', symbol: 'ZZZZ' }, code: 'UNKNOWN_SYMBOL' },
  ];
  for (const t of bad) {
    it(`bad input: ${t.name} → ${t.code}`, async () => {
      const c = await open();
      const reply = await c.request({ type: 'market.subscribe', payload: t.payload });
      expect(reply.type).to.equal('error');
      expect(reply.payload.code).to.equal(t.code);
      if (t.field) expect(reply.payload.field).to.equal(t.field);
    });
  }

  it('typed client: subscribe("book:AAPL:5") / "quotes:AAPL" / "trades:AAPL" with typed handlers; unsubscribe', async () => {
    const client = connect(server.http(''), '/api/v1/ws');
    try {
      const book = new OrderBook(5);
      const outcomes: string[] = [];
      client.on('book.snapshot', (m) => book.snapshot(m.payload));
      client.on('book.update', (m) => outcomes.push(book.apply(m.payload)));
      const quotes: number[] = [];
      client.on('quotes.update', (m) => quotes.push(m.payload.last));
      const reply = await client.subscribe('book:AAPL:5');
      expect(reply.type).to.equal('market.subscribe.response');
      await client.subscribe('quotes:AAPL');
      await client.subscribe('trades:AAPL');
      await waitFor(() => outcomes.length >= 3 && quotes.length >= 2);
      expect(outcomes.every((o) => o === 'applied')).to.equal(true);
      expect(Object.keys(client.positions()).sort()).to.deep.equal(['book:AAPL:5', 'quotes:AAPL', 'trades:AAPL']);
      const un = await client.unsubscribe('book:AAPL:5');
      expect(un.type).to.equal('market.unsubscribe.response');
      expect(client.subscriptions().sort()).to.deep.equal(['quotes:AAPL', 'trades:AAPL']);
    } finally {
      client.close();
    }
  });
});
