import { expect } from 'chai';
import { IbConnection, type IbHealthEvent } from '../../src/market/ib-connection.ts';
import { FakeTws, IN } from '../fakes/fake-tws.ts';

function waitFor<T>(list: T[], pred: (x: T) => boolean, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      const hit = list.find(pred);
      if (hit !== undefined) return resolve(hit);
      if (Date.now() - started > timeoutMs) return reject(new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(list)}`));
      setImmediate(check);
    };
    check();
  });
}

describe('IbConnection: a malformed upstream message', () => {
  it('is dropped and reported as 505, never an uncaught exception; later messages are still decoded', async () => {
    const fake = await FakeTws.start({ nextValidId: 7 });
    const conn = new IbConnection({ config: { host: '127.0.0.1', port: fake.port, clientId: 5 } });
    const health: IbHealthEvent[] = [];
    conn.onHealth((h) => health.push(h));
    try {
      await conn.start();
      // ERR_MSG whose advancedOrderReject field is not JSON: @stoqey/ib's decoder throws a SyntaxError on it.
      fake.sendRaw([IN.ERR_MSG, 2, -1, 2104, 'farm ok', '{not json']);
      const dropped = await waitFor(health, (h) => h.code === 505);
      expect(dropped.ok).to.equal(false);
      expect(dropped.message).to.match(/undecodable message from TWS dropped/);
      // the connection still decodes what comes next
      fake.error(-1, 2106, 'HMDS data farm connection is OK:ushmds');
      await waitFor(health, (h) => h.code === 2106 && h.ok);
      expect(conn.state).to.equal('ready');
    } finally {
      await conn.stop();
      await fake.close();
    }
  });
});
