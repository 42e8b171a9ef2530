import { RecordingSubscriber } from '../support/subscriber.ts';
import { expect } from 'chai';
import { checkMessage } from '../../generated/runtime.ts';
import { marketDataStreamOutbound } from '../../generated/messages.ts';
import { MarketDataFeed, marketDataTopic } from '../../src/handlers/market-data.ts';
import type { Bar, BarListener, MarketSource } from '../../src/market/source.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';
import { MemoryBroker } from '../../src/pubsub/broker-memory.ts';
import { Hub, type Subscriber } from '../../src/pubsub/hub.ts';
import { TestClient } from '../support/client.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 2, 10, 0);
/** [high, low, open, close] per minute: a swing high at 2, a swing low at 4, a bullish engulfing at 6. */
const SEQ: [number, number, number, number][] = [
  [10, 9, 9.3, 9.7], [11, 10, 10.3, 10.7], [13, 12, 12.3, 12.7], [12, 11, 11.3, 11.7], [11, 8, 8.9, 10.1], [12, 10, 11.8, 10.2], [13, 10, 10.1, 12.5],
];
const bars: Bar[] = SEQ.map(([high, low, open, close], i) => ({ time: T0 + i * MIN, open, high, low, close, volume: 100 + i }));

class FakeSource {
  readonly name = 'ibkr' as const;
  listeners: BarListener[] = [];
  offs = 0;
  history: (symbol: string, res: string, from: number, to: number) => Promise<Bar[]> = async () => [];
  currentBar(): Bar | undefined {
    return undefined;
  }
  subscribeBars(_symbol: string, _res: string, listener: BarListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.offs++;
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
  emit(bar: Bar, closed: boolean): void {
    for (const l of this.listeners) l(bar, closed);
  }
}

function recorder(id = 'r'): RecordingSubscriber & { readonly got: any[] } {
  const r = new RecordingSubscriber(id, () => { throw new Error('continuity lost'); });
  Object.defineProperty(r, 'got', { get: () => r.messages });
  return r as RecordingSubscriber & { readonly got: any[] };
}

const ctx = { update: () => undefined, error: (e: unknown) => { throw e; } };
const valid = (ms: any[]) => {
  for (const m of ms) expect(checkMessage(marketDataStreamOutbound, m), JSON.stringify(m)).to.equal(null);
};

describe('handlers/market-data: MarketDataFeed', () => {
  it('on known candles: candle per update, pattern on the engulfing, structure when swings change, confluence per close', async () => {
    const source = new FakeSource();
    const hub = new Hub(new MemoryBroker());
    const feed = new MarketDataFeed({ source: source as unknown as MarketSource, hub, warmupBars: 0, now: () => T0 + 10 * MIN });
    feed.start(ctx);
    const r = recorder();
    await hub.subscribe(r, marketDataTopic('AAPL', '1'));
    hub.activate(r, marketDataTopic('AAPL', '1'));
    expect(source.listeners.length).to.equal(1);

    source.emit({ ...bars[0]!, close: 9.5 }, false); // a forming update: a candle, no analytics
    for (const b of bars) source.emit(b, true);
    valid(r.got);
    const types = r.got.map((m) => m.type);
    expect(types.filter((t) => t === 'candle').length).to.equal(8);
    expect(r.got[0].data).to.deep.include({ symbol: 'AAPL', resolution: '1', closed: false });
    expect(types.filter((t) => t === 'confluence').length).to.equal(7);

    const patterns = r.got.filter((m) => m.type === 'pattern').map((m) => m.data);
    expect(patterns).to.deep.equal([{ symbol: 'AAPL', resolution: '1', pattern: 'bullish_engulfing', direction: 'bullish', time: bars[6]!.time, strength: 0.3333 }]);

    const structures = r.got.filter((m) => m.type === 'market_structure').map((m) => m.data);
    expect(structures.map((s) => [s.swing_highs.length, s.swing_lows.length])).to.deep.equal([[0, 0], [1, 0], [1, 1]]);
    expect(structures.at(-1)).to.deep.equal({ symbol: 'AAPL', resolution: '1', trend: 'range', swing_highs: [{ time: bars[2]!.time, price: 13 }], swing_lows: [{ time: bars[4]!.time, price: 8 }] });

    // the pattern comes right after the closing candle of bar 6, the confluence last
    const last = r.got.slice(-4).map((m) => m.type);
    expect(last).to.deep.equal(['candle', 'pattern', 'market_structure', 'confluence']);
    expect(r.got.at(-1).data.components.pattern).to.equal(0.3333);

    expect(feed.snapshot('AAPL', '1').map((m) => m.type)).to.deep.equal(['candle', 'market_structure', 'confluence']);
    hub.unsubscribe(r, marketDataTopic('AAPL', '1'));
    expect(source.offs).to.equal(1);
    feed.stop();
  });

  it('warm-up: history fills the window unpublished; candles closing meanwhile are analysed after it', async () => {
    const source = new FakeSource();
    let release: (b: Bar[]) => void = () => undefined;
    let asked: number[] = [];
    source.history = (_s, _r, from, to) => {
      asked = [from, to];
      return new Promise((r) => { release = r; });
    };
    const hub = new Hub(new MemoryBroker());
    const now = T0 + 6 * MIN;
    const feed = new MarketDataFeed({ source: source as unknown as MarketSource, hub, warmupBars: 6, now: () => now });
    feed.start(ctx);
    const r = recorder();
    await hub.subscribe(r, marketDataTopic('AAPL', '1'));
    hub.activate(r, marketDataTopic('AAPL', '1'));
    await waitFor(() => asked.length > 0, 1000); // the warm-up starts on the next microtask (src/util/bridge.ts)
    expect(asked).to.deep.equal([now - 6 * MIN, now]);
    source.emit(bars[6]!, true); // closes before the history arrives
    expect(r.got.map((m) => m.type)).to.deep.equal(['candle']);
    release(bars.slice(0, 6));
    await waitFor(() => r.got.length > 1, 1000);
    valid(r.got);
    // bar 6 is analysed with bars 0-5 before it: the engulfing is found; the structure (two swings) is new
    expect(r.got.map((m) => m.type)).to.deep.equal(['candle', 'pattern', 'market_structure', 'confluence']);
    expect(r.got[2].data.swing_lows).to.deep.equal([{ time: bars[4]!.time, price: 8 }]);
    feed.stop();
    expect(source.listeners.length).to.equal(0);
  });

  it('warm-up: a throwing analysis of a queued candle is reported to ctx.error, never an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const source = new FakeSource();
      let release: ((b: Bar[]) => void) | undefined;
      source.history = () => new Promise((r) => { release = r; });
      const topic = marketDataTopic('AAPL', '1');
      // a hub with one active topic whose candles go out but whose analytics (pattern, structure, confluence) fail to publish
      const candles: unknown[] = [];
      const hub = {
        activeTopics: () => [topic],
        watch: () => () => undefined,
        setSnapshot: async () => undefined,
        publish: (_topic: string, message: { type: string }) => {
          if (message.type !== 'candle') throw new Error('publish broke');
          candles.push(message);
        },
      };
      const errors: unknown[] = [];
      const feed = new MarketDataFeed({ source: source as unknown as MarketSource, hub: hub as never, warmupBars: 6, now: () => T0 + 8 * MIN });
      feed.start({ update: () => undefined, error: (e) => void errors.push(e) });
      source.emit(bars[6]!, true); // queued until the history arrives
      source.emit({ ...bars[6]!, time: bars[6]!.time + MIN }, true);
      expect(candles.length).to.equal(2);
      await waitFor(() => release !== undefined, 1000);
      release!(bars.slice(0, 6));
      await waitFor(() => errors.length >= 2 || unhandled.length > 0, 1000);
      // a macrotask turn, so Node reports any unhandled rejection before we look
      await new Promise((res) => setImmediate(res));
      expect(unhandled.map((e) => (e as Error).message), 'unhandled rejections').to.deep.equal([]);
      // each queued candle was tried: the first failure did not drop the second
      expect(errors.map((e) => (e as Error).message)).to.deep.equal(['publish broke', 'publish broke']);
      feed.stop();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('defaults to no warm-up on the simulated source', () => {
    const feed = new MarketDataFeed({ source: new SimulatedSource(), hub: new Hub(new MemoryBroker()) });
    expect((feed as any).warmupBars).to.equal(0);
  });
});

describe('e2e: /api/ws/stream/market-data/{symbol}', function () {
  this.timeout(20_000);
  let server: TestServer;
  const clients: TestClient[] = [];
  const open = async (path: string) => {
    const c = await TestClient.open(server.ws(path));
    clients.push(c);
    return c;
  };
  before(async () => {
    // 600x market clock: a 1-minute candle closes every 100 ms.
    const start = Date.now();
    const source = new SimulatedSource({ tickIntervalMs: 10, now: () => start + (Date.now() - start) * 600 });
    server = await startServer({}, { source });
    await waitFor(() => source.currentBar('AAPL', '1') !== undefined);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    await server.stop(); // fails on any outbound message that broke the contract
  });

  it('connected, the current candle, then candle updates and analytics on each closed candle', async () => {
    const c = await open('/api/ws/stream/market-data/AAPL?resolution=1');
    await c.next((m) => m.type === 'candle');
    expect(c.messages[0]).to.deep.include({ type: 'connected' });
    const { positions, ...data } = c.messages[0]!.data;
    expect(data).to.deep.equal({ stream: 'market-data', message: 'Connected to market data stream for AAPL', symbol: 'AAPL', resolution: '1' });
    expect(positions['market-data:AAPL:1']).to.deep.include({ recovered: false });
    expect(positions['market-data:AAPL:1'].asOf.offset).to.be.a('number');
    expect(c.messages[1]!.type).to.equal('candle');
    expect(c.messages[1]!.data.closed).to.equal(false);
    const closed = await c.next((m) => m.type === 'candle' && m.data.closed, { what: 'a closed candle' });
    const conf = await c.next((m) => m.type === 'confluence', { from: c.messages.indexOf(closed), what: 'confluence' });
    expect(conf.data).to.include({ symbol: 'AAPL', resolution: '1' });
    await c.next((m) => m.type === 'market_structure', { what: 'market_structure' });
    // every closed candle is followed by a confluence before the next candle message
    await c.next((m) => m.type === 'candle' && m.data.closed, { from: c.messages.indexOf(conf) + 1 });
    const seq = c.messages.map((m) => m.type === 'candle' ? (m.data.closed ? 'C' : 'c') : m.type === 'confluence' ? 'Q' : '');
    const afterFirst = seq.slice(seq.indexOf('C')).join('');
    const closes = afterFirst.split('').filter((x) => x === 'C').length;
    const confs = afterFirst.split('').filter((x) => x === 'Q').length;
    expect(confs).to.be.within(closes - 1, closes);
    for (const m of c.messages.filter((x) => x.type === 'candle')) expect(m.data.symbol).to.equal('AAPL');
  });

  it('resolution 5 serves 5-minute candles; a second client gets the latest structure and confluence on connect', async () => {
    const a = await open('/api/ws/stream/market-data/MSFT?resolution=5');
    await a.next((m) => m.type === 'confluence', { what: 'confluence' });
    const b = await open('/api/ws/stream/market-data/MSFT?resolution=5');
    await b.next((m) => m.type === 'confluence');
    expect(b.messages.slice(0, 4).map((m) => m.type)).to.deep.equal(['connected', 'candle', 'market_structure', 'confluence']);
    for (const m of a.messages.filter((x) => x.type === 'candle')) expect(m.data.resolution).to.equal('5');
  });

  it('ping → pong', async () => {
    const c = await open('/api/ws/stream/market-data/AAPL');
    c.send({ type: 'ping' });
    expect((await c.next((m) => m.type === 'pong')).data).to.deep.equal({});
  });

  const refused: { path: string; code: string }[] = [
    { path: '/api/ws/stream/market-data/ZZZZ', code: 'UNKNOWN_SYMBOL' },
    { path: '/api/ws/stream/market-data/aapl', code: 'INVALID_MESSAGE' },
    { path: '/api/ws/stream/market-data/AAPL?resolution=2', code: 'INVALID_MESSAGE' },
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
