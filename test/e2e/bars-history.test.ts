/**
 * `bars.history` over /api/v1/ws and the TradingView UDF routes over HTTP, against a running server on the simulated
 * market. UDF requests are the ones the Charting Library's UDF adapter sends (its query names, seconds, countback).
 */
import { expect } from 'chai';
import { TestClient, type Msg } from '../support/client.ts';
import { startServer, type TestServer } from '../support/server.ts';

const isUpdate = (topic: string) => (m: Msg) => m.type === 'bars.update' && m.topic === topic;

describe('e2e: bars.history on /api/v1/ws', function () {
  this.timeout(20_000);
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

  it('answers bars oldest first, echoing the id; the forming bar of the live topic is the last one', async () => {
    const c = await open();
    await c.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL', resolution: '1' } });
    const live = await c.next(isUpdate('bars:AAPL:1'));
    const reply = await c.request({ type: 'bars.history', id: 'h-1', payload: { symbol: 'AAPL', resolution: '1', to: live.payload.time + 60_000, countBack: 50 } });
    expect(reply.type).to.equal('bars.history.response');
    expect(reply.id).to.equal('h-1');
    const { bars, noData, symbol, resolution } = reply.payload;
    expect({ symbol, resolution, noData, n: bars.length }).to.deep.equal({ symbol: 'AAPL', resolution: '1', noData: false, n: 50 });
    for (let i = 1; i < bars.length; i++) expect(bars[i].time - bars[i - 1].time).to.equal(60_000);
    expect(bars.at(-1).time).to.equal(live.payload.time);
    // the forming bar as last published before the reply (updates after the reply may have moved it since)
    const at = c.messages.indexOf(reply);
    const lastBefore = c.messages.slice(0, at).filter(isUpdate('bars:AAPL:1')).at(-1)!;
    expect(bars.at(-1).time).to.equal(lastBefore.payload.time);
    expect(bars.at(-1).volume).to.be.at.least(lastBefore.payload.volume);
  });

  it('resolution defaults to 1; a window with from/to; noData with nextTime; nothing before the data start', async () => {
    const c = await open();
    const to = Date.UTC(2024, 0, 10, 15, 0);
    const w = await c.request({ type: 'bars.history', payload: { symbol: 'MSFT', from: to - 30 * 60_000, to } });
    expect(w.payload.resolution).to.equal('1');
    expect(w.payload.bars.length).to.equal(30);
    const empty = await c.request({ type: 'bars.history', payload: { symbol: 'MSFT', resolution: '5', from: to, to } });
    expect(empty.payload).to.deep.equal({ symbol: 'MSFT', resolution: '5', bars: [], noData: true, nextTime: to - 300_000 });
    const old = await c.request({ type: 'bars.history', payload: { symbol: 'MSFT', resolution: 'D', from: 0, to: Date.UTC(1999, 0, 1) } });
    expect(old.payload).to.deep.equal({ symbol: 'MSFT', resolution: 'D', bars: [], noData: true });
  });

  const bad: { name: string; payload: Record<string, unknown>; code: string; field?: string }[] = [
    { name: 'countBack 0', payload: { symbol: 'AAPL', to: 1, countBack: 0 }, code: 'INVALID_MESSAGE', field: '/payload/countBack' },
    { name: 'countBack over 5000', payload: { symbol: 'AAPL', to: 1, countBack: 5001 }, code: 'INVALID_MESSAGE', field: '/payload/countBack' },
    { name: 'from after to', payload: { symbol: 'AAPL', from: 2000, to: 1000 }, code: 'INVALID_MESSAGE', field: '/payload/from' },
    { name: 'neither from nor countBack', payload: { symbol: 'AAPL', to: 1000 }, code: 'INVALID_MESSAGE', field: '/payload/from' },
    { name: 'no to', payload: { symbol: 'AAPL', countBack: 5 }, code: 'INVALID_MESSAGE', field: '/payload/to' },
    { name: 'negative time', payload: { symbol: 'AAPL', from: -1, to: 1000 }, code: 'INVALID_MESSAGE', field: '/payload/from' },
    { name: 'seconds as a string', payload: { symbol: 'AAPL', from: '1700000000', to: 1000 }, code: 'INVALID_MESSAGE', field: '/payload/from' },
    { name: 'a bad resolution', payload: { symbol: 'AAPL', resolution: '2', to: 1000, countBack: 1 }, code: 'INVALID_MESSAGE', field: '/payload/resolution' },
    { name: 'an unknown field', payload: { symbol: 'AAPL', to: 1000, countBack: 1, limit: 5 }, code: 'INVALID_MESSAGE' },
    { name: 'an unknown symbol', payload: { symbol: 'ZZZZ', to: 1000, countBack: 1 }, code: 'UNKNOWN_SYMBOL' },
  ];
  for (const t of bad) {
    it(`bad input: ${t.name} → ${t.code}; the connection stays`, async () => {
      const c = await open();
      const reply = await c.request({ type: 'bars.history', payload: t.payload });
      expect(reply.type).to.equal('error');
      expect(reply.payload.code).to.equal(t.code);
      if (t.field) expect(reply.payload.field).to.equal(t.field);
      const pong = await c.request({ type: 'bars.history', payload: { symbol: 'AAPL', to: Date.UTC(2024, 0, 10), countBack: 1 } });
      expect(pong.type).to.equal('bars.history.response');
    });
  }

  it('the same window over HTTP (/api/v1/bars/history) gives the same bars', async () => {
    const c = await open();
    const to = Date.UTC(2024, 0, 10, 15, 0);
    const ws = await c.request({ type: 'bars.history', payload: { symbol: 'AAPL', resolution: '15', to, countBack: 20 } });
    const res = await fetch(server.http(`/api/v1/bars/history?symbol=AAPL&resolution=15&to=${to}&countBack=20`));
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal(ws.payload);
    const badRes = await fetch(server.http(`/api/v1/bars/history?symbol=AAPL&resolution=15&to=${to}&countBack=9000`));
    expect(badRes.status).to.equal(400);
    expect(((await badRes.json()) as any).error.code).to.equal('INVALID_MESSAGE');
    expect((await fetch(server.http(`/api/v1/bars/history?symbol=ZZZZ&to=${to}&countBack=2`))).status).to.equal(404);
  });
});

describe('e2e: TradingView UDF (/udf/*) as the UDF adapter calls it', function () {
  this.timeout(20_000);
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.stop();
  });
  const get = async (path: string) => {
    const res = await fetch(server.http(path));
    expect(res.status, path).to.equal(200);
    return res;
  };

  it('config: resolutions, search, time, no marks or group requests', async () => {
    const body = (await (await get('/udf/config')).json()) as any;
    expect(body).to.deep.include({ supports_search: true, supports_group_request: false, supports_marks: false, supports_timescale_marks: false, supports_time: true });
    expect(body.supported_resolutions).to.deep.equal(['1', '5', '15', '30', '60', 'D']);
    expect(body.exchanges.map((e: any) => e.value)).to.deep.equal(['SIM']);
  });

  it('symbols: symbol info for a known symbol (plain or EXCHANGE:SYMBOL), s=error for an unknown one', async () => {
    const info = (await (await get('/udf/symbols?symbol=AAPL')).json()) as any;
    expect(info).to.deep.include({ name: 'AAPL', ticker: 'AAPL', session: '24x7', timezone: 'Etc/UTC', minmov: 1, pricescale: 100, has_intraday: true, has_daily: true });
    expect(info.supported_resolutions).to.deep.equal(['1', '5', '15', '30', '60', 'D']);
    const full = (await (await get('/udf/symbols?symbol=SIM%3ABRK.B')).json()) as any;
    expect(full.ticker).to.equal('BRK.B');
    const unknown = (await (await get('/udf/symbols?symbol=ZZZZ')).json()) as any;
    expect(unknown.s).to.equal('error');
    expect(unknown.errmsg).to.contain('ZZZZ');
  });

  it('search: by fragment, type and limit', async () => {
    const found = (await (await get('/udf/search?query=b&type=&exchange=&limit=30')).json()) as any[];
    expect(found.map((f) => f.symbol).sort()).to.deep.equal(['BRK.B', 'BTC-USD']);
    expect(found[0]).to.have.all.keys('symbol', 'full_name', 'description', 'exchange', 'ticker', 'type');
    const crypto = (await (await get('/udf/search?query=&type=crypto&exchange=&limit=30')).json()) as any[];
    expect(crypto.map((f) => f.symbol)).to.deep.equal(['BTC-USD']);
    const one = (await (await get('/udf/search?query=&type=&exchange=&limit=1')).json()) as any[];
    expect(one.length).to.equal(1);
  });

  it('time: the server clock in seconds, as text', async () => {
    const t = Number(await (await get('/udf/time')).text());
    expect(Math.abs(t - Date.now() / 1000)).to.be.lessThan(5);
  });

  it('history: s=ok with t/o/h/l/c/v arrays (seconds), countback, and the same bars as bars.history', async () => {
    const to = Date.UTC(2024, 0, 10, 15, 0) / 1000;
    const from = to - 3600;
    const body = (await (await get(`/udf/history?symbol=AAPL&resolution=5&from=${from}&to=${to}&countback=300`)).json()) as any;
    expect(body.s).to.equal('ok');
    for (const k of ['t', 'o', 'h', 'l', 'c', 'v']) expect(body[k].length, k).to.equal(300);
    expect(body.t.at(-1)).to.equal(to - 300);
    const win = (await (await get(`/udf/history?symbol=AAPL&resolution=5&from=${from}&to=${to}`)).json()) as any;
    expect(win.t).to.deep.equal(body.t.slice(-12));
    const ref = (await (await fetch(server.http(`/api/v1/bars/history?symbol=AAPL&resolution=5&from=${from * 1000}&to=${to * 1000}`))).json()) as any;
    expect(ref.bars.map((b: any) => [b.time / 1000, b.open, b.high, b.low, b.close, b.volume])).to.deep.equal(win.t.map((t: number, i: number) => [t, win.o[i], win.h[i], win.l[i], win.c[i], win.v[i]]));
    const daily = (await (await get(`/udf/history?symbol=AAPL&resolution=1D&from=${to - 10 * 86400}&to=${to}`)).json()) as any;
    expect(daily.t.length).to.equal(10);
  });

  it('history: no_data with nextTime for an empty window, without it before the data start; s=error for bad input', async () => {
    const t = Date.UTC(2024, 0, 10, 15, 0) / 1000;
    expect(await (await get(`/udf/history?symbol=AAPL&resolution=1&from=${t}&to=${t}`)).json()).to.deep.equal({ s: 'no_data', nextTime: t - 60 });
    expect(await (await get(`/udf/history?symbol=AAPL&resolution=1&from=0&to=${Date.UTC(1999, 0, 1) / 1000}`)).json()).to.deep.equal({ s: 'no_data' });
    for (const q of ['symbol=ZZZZ&resolution=1&from=0&to=100', 'symbol=AAPL&resolution=7&from=0&to=100', 'symbol=AAPL&resolution=1&from=x&to=100', 'symbol=AAPL&resolution=1&from=200&to=100', 'symbol=AAPL&resolution=1']) {
      const body = (await (await get(`/udf/history?${q}`)).json()) as any;
      expect(body.s, q).to.equal('error');
      expect(body.errmsg, q).to.be.a('string').and.not.equal('');
    }
  });
});
