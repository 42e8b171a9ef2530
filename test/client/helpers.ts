/** Helpers of the client tests: waiting for the first event of a kind, and a scripted fake server. */
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';

/** Resolves with the first value `register` hands to its callback (e.g. the first message of a type). */
export function first<V>(register: (fn: (v: V) => void) => () => void, timeoutMs = 5000, what = 'event'): Promise<V> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const off = register((v) => {
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

/** A tiny ws server whose behaviour the test scripts: to send junk, to close with a code, to stay silent. */
export async function scriptedServer(onConnection: (socket: ServerSocket, n: number, req: IncomingMessage) => void): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  let n = 0;
  wss.on('connection', (socket, req) => onConnection(socket, ++n, req));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    connections: () => n,
    close: () => new Promise<void>((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => resolve());
    }),
  };
}
