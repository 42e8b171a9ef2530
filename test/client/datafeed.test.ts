/**
 * The Charting Library datafeed module (src/client/datafeed.ts) on the typed client against a running server, called
 * the way the library calls it: onReady, resolveSymbol, getBars with periodParams in seconds, subscribeBars with a
 * listener guid, unsubscribeBars. Also `bars.history` as a typed request of the client, and an edge-style
 * remote history provider (what an edge node's bars.history asks its producer through).
 */
import { expect } from 'chai';
import { connect, TickwireError } from '../../src/client/node.ts';
import { createDatafeed, toContractResolution, type SymbolInfo } from '../../src/client/datafeed.ts';
import { remoteHistory } from '../../src/server/routes-udf.ts';
import type { Bar } from '../../generated/types.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

describe('client: Charting Library datafeed on the typed client', function () {
  this.timeout(20_000);
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.stop();
  });

  it('bars.history is a typed request of the client; an error reply rejects with its code', async () => {
    const client = connect(server.http(''), '/api/v1/ws');
    try {
      const reply = await client.request({ type: 'bars.history', payload: { symbol: 'AAPL', resolution: '5', to: Date.UTC(2024, 0, 10), countBack: 12 } });
      expect(reply.type).to.equal('bars.history.response');
      expect(reply.payload.bars.length).to.equal(12);
      const err = await client.request({ type: 'bars.history', payload: { symbol: 'NOPE', to: 1, countBack: 1 } }).then(() => null, (e: unknown) => e);
      expect((err as TickwireError).code).to.equal('UNKNOWN_SYMBOL');
    } finally {
      client.close();
    }
  });

  it('onReady, resolveSymbol, getBars (seconds in, ms bars out, noData), subscribeBars / unsubscribeBars', async () => {
    const client = connect(server.http(''), '/api/v1/ws');
    try {
      const feed = createDatafeed({ client, baseUrl: server.http('') });
      const config = await new Promise<Record<string, any>>((resolve) => feed.onReady(resolve));
      expect(config.supported_resolutions).to.deep.equal(['1', '5', '15', '30', '60', 'D']);
      const info = await new Promise<SymbolInfo>((resolve, reject) => feed.resolveSymbol('AAPL', resolve, reject));
      expect(info).to.deep.include({ ticker: 'AAPL', pricescale: 100, format: 'price' });
      const unknown = await new Promise<string>((resolve, reject) => feed.resolveSymbol('ZZZZ', () => reject(new Error('resolved')), resolve));
      expect(unknown).to.contain('ZZZZ');
      const found = await new Promise<any[]>((resolve) => feed.searchSymbols('BTC', '', '', resolve));
      expect(found.map((f) => f.symbol)).to.deep.equal(['BTC-USD']);

      const to = Date.UTC(2024, 0, 10, 15) / 1000;
      const first = await new Promise<{ bars: Bar[]; meta: any }>((resolve, reject) =>
        feed.getBars(info, '15', { from: to - 86_400, to, countBack: 40, firstDataRequest: true }, (bars, meta) => resolve({ bars, meta }), reject));
      expect(first.bars.length).to.equal(40);
      expect(first.meta).to.deep.equal({ noData: false });
      expect(first.bars.at(-1)!.time).to.equal(to * 1000 - 15 * 60_000);
      const none = await new Promise<{ bars: Bar[]; meta: any }>((resolve, reject) =>
        feed.getBars(info, '1D', { from: 0, to: Date.UTC(1999, 0, 1) / 1000, firstDataRequest: false }, (bars, meta) => resolve({ bars, meta }), reject));
      expect(none).to.deep.equal({ bars: [], meta: { noData: true } });
      const bad = await new Promise<string>((resolve) => feed.getBars(info, '2', { from: 0, to: 1 }, () => resolve('ok'), resolve));
      expect(bad).to.contain('unsupported resolution');

      const ticksA: Bar[] = [];
      const ticksB: Bar[] = [];
      feed.subscribeBars(info, '1', (b) => ticksA.push(b), 'guid-a');
      feed.subscribeBars(info, '1', (b) => ticksB.push(b), 'guid-b');
      await waitFor(() => ticksA.length >= 2 && ticksB.length >= 2);
      expect(server.app.hub.subscriberCount('bars:AAPL:1')).to.equal(1);
      expect(ticksA[0]).to.have.all.keys('time', 'open', 'high', 'low', 'close', 'volume');
      feed.unsubscribeBars('guid-a');
      expect(server.app.hub.subscriberCount('bars:AAPL:1')).to.equal(1);
      feed.unsubscribeBars('guid-b');
      await waitFor(() => server.app.hub.subscriberCount('bars:AAPL:1') === 0);
    } finally {
      client.close();
    }
  });

  it('resolutions: the contract ones and 1D', () => {
    expect(['1', '5', '15', '30', '60', 'D', '1D', '2', '1W'].map(toContractResolution)).to.deep.equal(['1', '5', '15', '30', '60', 'D', 'D', undefined, undefined]);
  });

  it('an edge-style remote history provider answers as the producer does, and HISTORY_UNAVAILABLE without one', async () => {
    const remote = remoteHistory(() => server.http(''));
    const q = { symbol: 'MSFT', resolution: '30' as const, to: Date.UTC(2024, 0, 10), countBack: 7 };
    const viaHttp = await remote.query(q);
    const direct = await new Promise((resolve) => server.app.source!.history('MSFT', '30', q.to - 7 * 30 * 60_000, q.to).then(resolve));
    expect(viaHttp.ok).to.equal(true);
    expect((viaHttp as any).answer.bars).to.deep.equal(direct);
    expect(await remote.query({ ...q, symbol: 'ZZZZ' })).to.deep.include({ ok: false, code: 'UNKNOWN_SYMBOL' });
    expect(await remoteHistory(() => undefined).query(q)).to.deep.include({ ok: false, code: 'HISTORY_UNAVAILABLE' });
  });
});
