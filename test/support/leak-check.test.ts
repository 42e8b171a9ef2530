import { expect } from 'chai';
import net from 'node:net';
import { openResources } from './leak-check.ts';
import { waitUntil } from './wait.ts';

describe('test support: leak check (openResources)', () => {
  it('lists a listening server, a connected socket and a ref\'d timer while they are open, and not after', async () => {
    await new Promise((r) => setImmediate(r)); // mocha's timer for this test is armed by now: part of the baseline
    const before = openResources();
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const timer = setInterval(() => undefined, 60_000);
    const unrefd = setInterval(() => undefined, 60_000).unref();
    try {
      const open = openResources();
      expect(open.some((l) => l.includes(`"port":${port}`) && l.includes('listening')), open.join('\n')).to.equal(true);
      expect(open.some((l) => l.includes(`-> 127.0.0.1:${port}`)), open.join('\n')).to.equal(true);
      expect(open.filter((l) => l.includes("ref'd timer"))).to.have.length(1);
    } finally {
      clearInterval(timer);
      clearInterval(unrefd);
      client.destroy();
      await new Promise((r) => server.close(r));
    }
    // the client socket closes asynchronously after destroy()
    await waitUntil(() => openResources().filter((l) => !before.includes(l)).length === 0, () => `nothing new open; have ${openResources().join(', ')}`);
  });
});
