/**
 * A TCP proxy in front of a test server, to drop a client's connection the way a network does: `cut()` destroys
 * every proxied connection (the client sees 1006 and reconnects), `hold()` refuses new ones until `release()` (the
 * client keeps retrying with backoff meanwhile), so a test decides how long the client stays away.
 */
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** http://127.0.0.1:<proxy port>: the base URL to give a client. */
  url: string;
  /** Connections accepted and piped to the target so far. */
  accepted(): number;
  cut(): void;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function tcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let holding = false;
  let accepted = 0;
  const server = net.createServer((downstream) => {
    if (holding) {
      downstream.destroy();
      return;
    }
    accepted++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [downstream, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    for (const s of pair) {
      s.on('error', end);
      s.on('close', end);
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const cut = () => {
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    cut,
    hold: () => (holding = true),
    release: () => (holding = false),
    close: () => {
      cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
