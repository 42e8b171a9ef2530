import { expect } from 'chai';
import net from 'node:net';
import { EventName } from '@stoqey/ib';
import { IbConnection, validateIbConfig, classifyIbCode, LISTENER_ERROR_CODE, type IbHealthEvent, type IbRequestError } from '../../src/market/ib-connection.ts';
import { FakeTws } from '../fakes/fake-tws.ts';
import { waitForItem } from '../support/wait.ts';

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('IbConnection', () => {
  let fake: FakeTws;
  let conn: IbConnection | undefined;
  let health: IbHealthEvent[];

  beforeEach(async () => {
    fake = await FakeTws.start({ nextValidId: 42 });
    health = [];
  });
  afterEach(async () => {
    await conn?.stop();
    conn = undefined;
    await fake.close();
    expect(health.filter((h) => h.code === 505)).to.deep.equal([]);
  });

  function make(port = fake.port) {
    const c = new IbConnection({ config: { host: '127.0.0.1', port, clientId: 3 }, backoff: { initialMs: 20, maxMs: 200 } });
    c.onHealth((h) => health.push(h));
    conn = c;
    return c;
  }

  it('requires host, port and clientId (no default port)', () => {
    expect(validateIbConfig({ host: '127.0.0.1', clientId: 1 })?.code).to.equal('IB_CONFIG_INVALID');
    expect(validateIbConfig({ host: '', port: 7497, clientId: 1 })?.code).to.equal('IB_CONFIG_INVALID');
    expect(validateIbConfig({ host: '127.0.0.1', port: 7497 })?.code).to.equal('IB_CONFIG_INVALID');
    expect(validateIbConfig({ host: '127.0.0.1', port: 7497, clientId: 0 })).to.equal(undefined);
    expect(() => new IbConnection({ config: { host: '127.0.0.1', clientId: 1 } as never })).to.throw(TypeError, /IB_CONFIG_INVALID/);
  });

  it('becomes ready with the next valid order id and the managed accounts', async () => {
    const c = make();
    const ready: unknown[] = [];
    c.onReady((e) => ready.push(e));
    await c.start();
    expect(c.state).to.equal('ready');
    expect(c.nextValidId).to.equal(42);
    expect(c.account).to.equal('DU1234567');
    expect(ready).to.deep.equal([{ nextValidId: 42, reconnect: false }]);
    expect((await fake.waitForRequest('startApi')).f.clientId).to.equal('3');
  });

  it('start() resolves (never rejects) when nothing listens, reports 502 and keeps retrying', async () => {
    const c = make(await closedPort());
    await c.start();
    expect(c.state).to.equal('waiting');
    await waitForItem(health, (h) => h.code === 502 && !h.ok);
  });

  it('maps connectivity and farm codes to health events', async () => {
    const c = make();
    await c.start();
    fake.error(-1, 1100, 'Connectivity between IB and Trader Workstation has been lost.');
    fake.error(-1, 1102, 'Connectivity between IB and Trader Workstation has been restored - data maintained.');
    fake.error(-1, 2104, 'Market data farm connection is OK:usfarm');
    fake.error(-1, 2106, 'HMDS data farm connection is OK:ushmds');
    fake.error(-1, 2158, 'Sec-def data farm connection is OK:secdefnj');
    fake.error(-1, 2103, 'Market data farm connection is broken:usfarm');
    await waitForItem(health, (h) => h.code === 2103);
    expect(health.filter((h) => h.code !== undefined).map((h) => [h.code, h.ok])).to.deep.equal([
      [1100, false],
      [1102, true],
      [2104, true],
      [2106, true],
      [2158, true],
      [2103, false],
    ]);
  });

  it('routes request errors to onRequestError with their class; pacing also becomes health', async () => {
    const c = make();
    const errs: IbRequestError[] = [];
    c.onRequestError((e) => errs.push(e));
    await c.start();
    fake.error(10_000_001, 200, 'No security definition has been found for the request');
    fake.error(10_000_002, 162, 'Historical Market Data Service error message:Historical data request pacing violation');
    fake.error(10_000_003, 10167, 'Requested market data is not subscribed. Displaying delayed market data.');
    await waitForItem(errs, (e) => e.code === 10167);
    expect(errs.map((e) => [e.reqId, e.code, e.cls])).to.deep.equal([
      [10_000_001, 200, 'unknown-symbol'],
      [10_000_002, 162, 'pacing'],
      [10_000_003, 10167, 'delayed-data'],
    ]);
    expect(health.some((h) => h.code === 162 && !h.ok)).to.equal(true);
    expect(classifyIbCode(420, 'Invalid Real-time Query:Historical data request pacing violation')).to.equal('pacing');
    expect(classifyIbCode(420, 'Invalid Real-time Query:No market data permissions for NYSE STK')).to.equal('not-subscribed');
    expect(classifyIbCode(354)).to.equal('not-subscribed');
  });

  it('reconnects after drop() and tells owners to re-subscribe', async () => {
    const c = make();
    const ready: { reconnect: boolean }[] = [];
    const lost: number[] = [];
    c.onReady((e) => ready.push(e));
    c.onLost(() => lost.push(1));
    await c.start();
    fake.drop();
    await waitForItem(ready, (e) => e.reconnect);
    expect(lost.length).to.equal(1);
    expect(fake.connectionCount).to.equal(2);
    expect(health.some((h) => h.code === 504 && !h.ok)).to.equal(true);
  });

  it('keeps retrying through an outage, then reconnects', async () => {
    const c = make();
    const ready: { reconnect: boolean }[] = [];
    c.onReady((e) => ready.push(e));
    await c.start();
    fake.setAccepting(false);
    fake.drop();
    await waitForItem(health, (h) => h.code === 504);
    // several refused attempts (the fake closes them at once), spaced by the backoff
    await waitForItem([fake], (f) => f.refused >= 3, 5000);
    expect(ready.length).to.equal(1);
    fake.setAccepting(true);
    await waitForItem(ready, (e) => e.reconnect, 5000);
    expect(fake.connectionCount).to.equal(2);
  });

  it('1101 (restored, data lost) makes owners re-subscribe without a reconnect', async () => {
    const c = make();
    const ready: { reconnect: boolean }[] = [];
    c.onReady((e) => ready.push(e));
    await c.start();
    fake.error(-1, 1101, 'Connectivity between IB and TWS has been restored- data lost.');
    await waitForItem(ready, (e) => e.reconnect);
    expect(fake.connectionCount).to.equal(1);
  });

  it('exponential backoff with jitter, capped', () => {
    const c = new IbConnection({ config: { host: '127.0.0.1', port: 1, clientId: 1 }, backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 } });
    expect([0, 1, 2, 3, 4, 5].map((a) => c.backoffDelay(a, 0))).to.deep.equal([50, 100, 200, 400, 500, 500]);
    expect([0, 1, 2, 3, 4, 5].map((a) => c.backoffDelay(a, 0.999999))).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
  });

  it('a throwing health listener is reported to onHealthListenerError; the other health listeners still run', async () => {
    const reported: unknown[] = [];
    const c = new IbConnection({ config: { host: '127.0.0.1', port: fake.port, clientId: 3 }, onHealthListenerError: (e) => reported.push(e) });
    conn = c;
    c.onHealth(() => {
      throw new Error('health listener bug');
    });
    c.onHealth((h) => health.push(h));
    await c.start();
    await waitForItem(health, (h) => h.ok && h.message === 'connected to TWS');
    expect(reported.map((e) => (e as Error).message)).to.deep.equal(['health listener bug']);
  });

  it('without onHealthListenerError, a throwing health listener is logged to console.error', async () => {
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      const c = new IbConnection({ config: { host: '127.0.0.1', port: fake.port, clientId: 3 } });
      conn = c;
      c.onHealth(() => {
        throw new Error('health listener bug');
      });
      c.onHealth((h) => health.push(h));
      await c.start();
      await waitForItem(health, (h) => h.ok && h.message === 'connected to TWS');
    } finally {
      console.error = original;
    }
    expect(logged.length, 'console.error calls').to.equal(1);
    expect(String(logged[0]![0])).to.match(/IB connection health listener threw: Error: health listener bug/);
  });

  it('a throwing IB listener becomes a health event and does not crash', async () => {
    const c = make();
    await c.start();
    c.on(EventName.info, () => {
      throw new Error('listener bug');
    });
    fake.error(-1, 2104, 'Market data farm connection is OK:usfarm');
    await waitForItem(health, (h) => h.code === LISTENER_ERROR_CODE);
    expect(c.state).to.equal('ready');
  });
});
