import { seedView } from '../support/positions.ts';
import { expect } from 'chai';
import { ACCOUNT_TOPIC, LiveTradingFeed, parseSymbolsQuery, positionsTopic, riskMessage } from '../../src/handlers/live-trading.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';
import type { Hub } from '../../src/pubsub/hub.ts';
import { PortfolioStream } from '../../src/streams/portfolio-stream.ts';
import { Portfolio, type PortfolioSnapshot } from '../../src/trading/portfolio.ts';
import { TestClient, type Msg } from '../support/client.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { waitFor, waitUntil } from '../support/wait.ts';

describe('handlers/live-trading: query and messages', () => {
  const has = (s: string) => ['AAPL', 'MSFT', 'BTC-USD'].includes(s);
  const cases: { given: string | null; want: unknown }[] = [
    { given: null, want: { ok: true, symbols: undefined } },
    { given: 'AAPL', want: { ok: true, symbols: ['AAPL'] } },
    { given: 'AAPL,BTC-USD,AAPL', want: { ok: true, symbols: ['AAPL', 'BTC-USD'] } },
    { given: '', want: { ok: false, code: 'INVALID_MESSAGE' } },
    { given: 'AAPL,', want: { ok: false, code: 'INVALID_MESSAGE' } },
    { given: 'aapl', want: { ok: false, code: 'INVALID_MESSAGE' } },
    { given: 'AAPL,ZZZZ', want: { ok: false, code: 'UNKNOWN_SYMBOL' } },
  ];
  for (const c of cases) {
    it(`symbols=${JSON.stringify(c.given)}`, () => {
      expect(parseSymbolsQuery(c.given, has)).to.deep.include(c.want as object);
    });
  }

  it('positionsTopic sorts the set; undefined = all', () => {
    expect(positionsTopic(['MSFT', 'AAPL'])).to.equal('live-trading:positions:AAPL,MSFT');
    expect(positionsTopic(undefined)).to.equal('live-trading:positions:*');
  });

  it('risk: exposures, leverage, largest position % and drawdown from the peak', () => {
    const snap = {
      positions: [
        { symbol: 'AAPL', quantity: 10, avg_price: 100, market_price: 110, market_value: 1100, unrealized_pnl: 100, realized_pnl: 0 },
        { symbol: 'MSFT', quantity: -5, avg_price: 200, market_price: 180, market_value: -900, unrealized_pnl: 100, realized_pnl: 0 },
      ],
      cash: 9800, equity: 10_000, unrealized_pnl: 200, realized_pnl: 0, total_pnl: 200, daily_pnl: 200, timestamp: '',
    } satisfies PortfolioSnapshot;
    expect(riskMessage(snap, 12_500).data).to.deep.equal({ gross_exposure: 2000, net_exposure: 200, leverage: 0.2, largest_position_pct: 11, equity: 10_000, drawdown: 0.2 });
  });
});

describe('handlers/live-trading: one mark-to-market', () => {
  it('the portfolio stream marks the portfolio; the live-trading feed only follows its marks (never a second timer)', async () => {
    const portfolio = new Portfolio({ initialCash: 10_000 });
    portfolio.applyFill({ execution_id: 'e1', order_id: 'o1', symbol: 'AAPL', side: 'BUY', quantity: 10, price: 100, commission: 0, timestamp: '2024-01-02T15:00:00Z' });
    const marks: number[] = [];
    const mark = portfolio.mark.bind(portfolio);
    portfolio.mark = (q) => {
      marks.push(q.price);
      mark(q);
    };
    let price = 100;
    const source = { quote: (symbol: string) => ({ symbol, price: ++price, change: 0, change_pct: 0, timestamp: 0 }) };
    const published: { topic: string; message: any }[] = [];
    const hub = {
      publish: (topic: string, message: object) => {
        published.push({ topic, message });
        return Promise.resolve(undefined);
      },
      setSnapshot: () => Promise.resolve(undefined),
      watch: () => () => undefined,
      activeTopics: () => [positionsTopic(undefined), ACCOUNT_TOPIC],
    } as unknown as Hub;
    const venue = { onOrder: () => () => undefined, onFill: () => () => undefined };
    const ctx = { update: () => undefined, error: (err: unknown) => { throw err; } };
    // Both on the same period, the feed started first: with a timer of its own it would mark on every period too.
    // The feed gets `source` as src/app.ts gives it; it must not read quotes from it.
    const feed = new LiveTradingFeed({ venue, portfolio, source, hub, intervalMs: 5 });
    const stream = new PortfolioStream({ portfolio, source: source as never, hub, intervalMs: 5 });
    let ticks = 0;
    const tick = stream.tick.bind(stream);
    stream.tick = () => {
      ticks++;
      return tick();
    };
    feed.start(ctx);
    stream.start(ctx);
    try {
      await waitUntil(() => ticks >= 3, 'three portfolio stream ticks');
    } finally {
      stream.stop();
      feed.stop();
    }
    expect(marks, 'one mark per tick (one open position)').to.have.length(ticks);
    // After each mark the feed published the new P&L (the price moved on every mark).
    const pnl = published.filter((p) => p.topic === ACCOUNT_TOPIC && p.message.type === 'pnl_update');
    expect(pnl.map((p) => p.message.data.unrealized_pnl)).to.deep.equal(marks.map((m) => (m - 100) * 10));
  });
});

describe('e2e: /api/ws/stream/live-trading', function () {
  this.timeout(20_000);
  let server: TestServer;
  let source: SimulatedSource;
  const clients: TestClient[] = [];
  const open = async (path: string) => {
    const c = await TestClient.open(server.ws(path));
    clients.push(c);
    return c;
  };
  before(async () => {
    source = new SimulatedSource({ tickIntervalMs: 20 });
    // No auto-trading: every order in this test is one we place.
    server = await startServer({ trading: { autoTrade: false }, websocket: { portfolioUpdateIntervalMs: 100 } }, { source });
    await waitFor(() => source.quote('AAPL') !== undefined && source.quote('MSFT') !== undefined);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    await server.stop(); // fails on any outbound message that broke the contract
  });

  it('connected (symbols), then a snapshot of positions, risk and P&L', async () => {
    const c = await open('/api/ws/stream/live-trading?symbols=AAPL,BTC-USD');
    await c.next((m) => m.type === 'pnl_update');
    expect(c.messages.map((m) => m.type)).to.deep.equal(['connected', 'position_update', 'risk_update', 'pnl_update']);
    expect(seedView(c.messages[0]!).data).to.deep.equal({ stream: 'live-trading', message: 'Connected to live trading stream', symbols: ['AAPL', 'BTC-USD'] });
    const all = await open('/api/ws/stream/live-trading');
    const connected = await all.next((m) => m.type === 'connected');
    expect(connected.data.symbols).to.deep.equal([...source.symbols()]);
  });

  it('an AAPL order reaches the AAPL client (order_update, order_execution, positions, P&L) and not the MSFT one', async () => {
    const aapl = await open('/api/ws/stream/live-trading?symbols=AAPL');
    const msft = await open('/api/ws/stream/live-trading?symbols=MSFT');
    const everyone = await open('/api/ws/stream/live-trading');
    await Promise.all([aapl, msft, everyone].map((c) => c.next((m) => m.type === 'pnl_update')));
    const from = { aapl: aapl.messages.length, msft: msft.messages.length };

    const order = await server.app.venue!.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 3, type: 'MKT' });
    const isOrder = (status: string) => (m: Msg) => m.type === 'order_update' && m.data.order_id === order.order_id && m.data.status === status;
    await aapl.next(isOrder('filled'), { what: 'filled order_update' });
    const exec = await aapl.next((m) => m.type === 'order_execution' && m.data.order_id === order.order_id);
    expect(exec.data).to.include({ symbol: 'AAPL', side: 'BUY', quantity: 3 });
    expect(aapl.messages.slice(from.aapl).find(isOrder('submitted'))).to.not.equal(undefined);
    const pos = await aapl.next((m) => m.type === 'position_update' && m.data.positions.some((p: any) => p.symbol === 'AAPL'), { from: from.aapl, what: 'AAPL position' });
    expect(pos.data.positions.map((p: any) => p.symbol)).to.deep.equal(['AAPL']);
    await aapl.next((m) => m.type === 'pnl_update', { from: from.aapl });
    await aapl.next((m) => m.type === 'risk_update' && m.data.gross_exposure > 0, { from: from.aapl });
    await everyone.next(isOrder('filled'));

    // The MSFT client: account-wide P&L/risk may arrive, but nothing about AAPL orders or positions.
    msft.send({ type: 'ping' });
    await msft.next((m) => m.type === 'pong', { from: from.msft });
    const leaked = msft.messages.slice(from.msft).filter((m) => (m.type === 'order_update' || m.type === 'order_execution') || (m.type === 'position_update' && m.data.positions.length));
    expect(leaked).to.deep.equal([]);

    // An MSFT order now reaches the MSFT client and not the AAPL one.
    const mark = aapl.messages.length;
    const o2 = await server.app.venue!.placeOrder({ symbol: 'MSFT', side: 'BUY', quantity: 1, type: 'MKT' });
    await msft.next((m) => m.type === 'order_execution' && m.data.order_id === o2.order_id);
    aapl.send({ type: 'ping' });
    await aapl.next((m) => m.type === 'pong', { from: mark });
    expect(aapl.messages.slice(mark).filter((m) => m.type.startsWith('order_') )).to.deep.equal([]);
  });

  const refused: { path: string; code: string }[] = [
    { path: '/api/ws/stream/live-trading?symbols=ZZZZ', code: 'UNKNOWN_SYMBOL' },
    { path: '/api/ws/stream/live-trading?symbols=AAPL,bad!', code: 'INVALID_MESSAGE' },
    { path: '/api/ws/stream/live-trading?symbols=', code: 'INVALID_MESSAGE' },
  ];
  for (const r of refused) {
    it(`${r.path} → error ${r.code}, close 4501`, async () => {
      const c = await open(r.path);
      const closed = await c.closed();
      expect(closed.code).to.equal(4501);
      expect(c.messages.map((m) => [m.type, m.data.code])).to.deep.equal([['error', r.code]]);
    });
  }
});
