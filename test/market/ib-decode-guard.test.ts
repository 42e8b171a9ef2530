import { expect } from 'chai';
import { IbConnection, type IbHealthEvent } from '../../src/market/ib-connection.ts';
import { FakeTws, IN } from '../fakes/fake-tws.ts';
import { waitForItem } from '../support/wait.ts';

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
      const dropped = await waitForItem(health, (h) => h.code === 505);
      expect(dropped.ok).to.equal(false);
      expect(dropped.message).to.match(/undecodable message from TWS dropped/);
      // the connection still decodes what comes next
      fake.error(-1, 2106, 'HMDS data farm connection is OK:ushmds');
      await waitForItem(health, (h) => h.code === 2106 && h.ok);
      expect(conn.state).to.equal('ready');
    } finally {
      await conn.stop();
      await fake.close();
    }
  });
});
