import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { TrackedWebSocket } from '../../src/server/tracked-websocket.ts';
import { startServer } from '../support/server.ts';
import { TestClient } from '../support/client.ts';
import { waitFor } from '../support/wait.ts';

/**
 * TrackedWebSocket over real sockets: every way a server-side WebSocket leaves OPEN calls onLeaveOpen exactly once,
 * before ws's 'close' event, and readyState still reads ws's state. A ws release that stops assigning `_readyState`
 * fails here.
 */
describe('TrackedWebSocket', () => {
  let http: Server;
  let wss: WebSocketServer;
  let port: number;
  const clients: WebSocket[] = [];

  beforeEach(async () => {
    http = createServer();
    wss = new WebSocketServer({ server: http, WebSocket: TrackedWebSocket });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    port = (http.address() as AddressInfo).port;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  /** A connected pair; the server side records its onLeaveOpen calls and the state seen at each. */
  async function pair() {
    const accepted = new Promise<TrackedWebSocket>((resolve) => wss.once('connection', (ws) => resolve(ws as TrackedWebSocket)));
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    clients.push(client);
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    const server = await accepted;
    const calls: number[] = [];
    server.onLeaveOpen = () => calls.push(server.readyState);
    const closed = new Promise<number>((resolve) => server.once('close', () => resolve(calls.length)));
    expect(server).to.be.instanceOf(TrackedWebSocket);
    expect(server.readyState).to.equal(WebSocket.OPEN);
    return { client, server, calls, closed };
  }

  const cases: [string, (p: Awaited<ReturnType<typeof pair>>) => void][] = [
    ['the server closes', ({ server }) => server.close(1000)],
    ['the server terminates', ({ server }) => server.terminate()],
    ['the client sends a close frame', ({ client }) => client.close(1000)],
    ['the client drops the socket', ({ client }) => client.terminate()],
    ['the socket fails', ({ server }) => (server as unknown as { _socket: { destroy(e: Error): void } })._socket.destroy(new Error('boom'))],
  ];
  for (const [name, leave] of cases) {
    it(`${name}: onLeaveOpen once, before 'close'`, async () => {
      const p = await pair();
      p.server.on('error', () => undefined);
      leave(p);
      expect(await p.closed, "calls before 'close'").to.equal(1);
      expect(p.calls).to.have.length(1);
      expect(p.calls[0]).to.be.oneOf([WebSocket.CLOSING, WebSocket.CLOSED]);
      expect(p.server.readyState).to.equal(WebSocket.CLOSED);
    });
  }

  it("the gateway's connections use it: a client's close frame closes the connection's outbound queue at once", async () => {
    const server = await startServer();
    try {
      const c = await TestClient.open(server.ws('/api/v1/ws'));
      await c.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
      const [conn] = [...(server.app.gateway as unknown as { connections: Set<{ ws: TrackedWebSocket; queue: { closed: boolean } }> }).connections];
      expect(conn!.ws).to.be.instanceOf(TrackedWebSocket);
      expect(conn!.queue.closed).to.equal(false);
      // Seen before the connection's own 'close' handler (which closes the queue too): closed by onLeaveOpen.
      let closedBeforeCloseEvent: boolean | undefined;
      conn!.ws.prependListener('close', () => { closedBeforeCloseEvent = conn!.queue.closed; });
      c.ws.close(1000);
      await waitFor(() => closedBeforeCloseEvent !== undefined);
      expect(closedBeforeCloseEvent).to.equal(true);
    } finally {
      await server.stop();
    }
  });
});
