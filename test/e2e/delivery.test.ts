/**
 * Every promised reply is delivered before a close (issue 18 item 4), over real sockets: a rate-limit close (4002)
 * still answers the requests accepted before it, and at shutdown the followers of a running backtest get
 * `error BACKTEST_FAILED` before 1001.
 */
import { expect } from 'chai';
import { TestClient, type Msg } from '../support/client.ts';
import { fastSource, startServer, type TestServer } from '../support/server.ts';

/** Sends every frame in one socket write (the kernel sees one segment), as a burst from a real client would. */
function burst(c: TestClient, frames: object[]): void {
  const socket = (c.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
  socket.cork();
  for (const f of frames) c.send(f);
  socket.uncork();
}

describe('e2e: every promised reply is delivered before a close', function () {
  this.timeout(30_000);
  let server: TestServer | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.stop();
    server = undefined;
  });

  for (const path of ['/api/v1/ws', '/ws', '/api/ws/stream/market-data/AAPL?resolution=1']) {
    it(`${path}: 25 pings in one write with a burst of 20 get the 20 due pongs, then 4002`, async () => {
      server = await startServer({ websocket: { rateLimitPerSec: 10, rateBurst: 20 } });
      const c = await TestClient.open(server.ws(path));
      clients.push(c);
      burst(c, Array.from({ length: 25 }, () => ({ type: 'ping' })));
      const closed = await c.closed();
      expect(closed.code).to.equal(4002);
      const pongs = c.messages.filter((m) => m.type === 'pong');
      expect(pongs).to.have.length(20);
      expect(server.logs.some((l) => l.includes('4002'))).to.equal(true);
    });
  }

  it('shutdown: every follower of a running backtest gets error BACKTEST_FAILED (cancelled), then 1001', async () => {
    // The run's bars load until the test releases them, so the run is certainly running when the server stops.
    const source = fastSource();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let loading!: () => void;
    const loadingStarted = new Promise<void>((r) => { loading = r; });
    const history = source.history.bind(source);
    source.history = async (...args: Parameters<typeof history>) => {
      if (args[2] !== Date.UTC(2024, 0, 1)) return history(...args); // the market's own warm-up
      loading();
      await gate;
      return history(...args);
    };
    server = await startServer({}, { source });
    const res = await fetch(server.http('/api/backtesting/start'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'long', symbol: 'AAPL', timeframes: ['D'], start_date: '2024-01-01', end_date: '2024-06-30', strategy_ids: ['rsi'] }),
    });
    expect(res.status).to.equal(202);
    const { stream_url: url } = (await res.json()) as Msg;
    const followers = await Promise.all(Array.from({ length: 50 }, () => TestClient.open(url)));
    clients.push(...followers);
    await Promise.all(followers.map((c) => c.next((m) => m.type === 'connected')));
    await loadingStarted;
    const s = server;
    server = undefined;
    // The load is still pending (never released before the stop): the stop must not wait for it.
    const stopping = s.stop();
    const closes = await Promise.all(followers.map((c) => c.closed(10_000)));
    await stopping;
    release();
    for (const [i, c] of followers.entries()) {
      expect(closes[i]!.code, `follower ${i} close`).to.equal(1001);
      const terminal = c.messages.filter((m) => m.type === 'error' || m.type === 'complete');
      expect(terminal, `follower ${i} terminal messages`).to.have.length(1);
      expect(terminal[0]!.data.code).to.equal('BACKTEST_FAILED');
      expect(terminal[0]!.data.message).to.match(/cancelled/);
    }
  });
});
