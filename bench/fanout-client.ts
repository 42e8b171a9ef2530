/**
 * The library client (forked by bench/run.ts): many `ws` WebSocket clients (socket.io-client for the Socket.IO
 * setup), the way an application would connect. It parses every message (JSON.parse on probe connections only for
 * latency; the library still decodes every frame). Same IPC as bench/min-client.ts: open / start / stop / close.
 */
import WebSocket from 'ws';
import type { Socket as IoSocket } from 'socket.io-client';
import { nowMs, readTime, serve } from './common.ts';

type Proto = 'tickwire' | 'tickwire-idle' | 'ws' | 'socket.io';

const SUBSCRIBE = JSON.stringify({ type: 'bars.subscribe', id: 's', payload: { symbol: 'AAPL' } });

interface Client {
  count: number;
  closed: boolean;
  close(): Promise<void>;
}

let measuring = false;
let latencies: number[] = [];
let clients: Client[] = [];
let cpuAtStart = process.cpuUsage();
let startedAt = 0;

function openWs(port: number, path: string, proto: Proto, probe: boolean, onReady: () => void, onFail: () => void): Client {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false });
  let ready = false;
  const client: Client = {
    count: 0,
    closed: false,
    close: () => new Promise((resolve) => {
      if (client.closed) return resolve();
      ws.once('close', () => resolve());
      ws.terminate();
    }),
  };
  const becomeReady = () => {
    if (!ready) {
      ready = true;
      onReady();
    }
  };
  ws.on('open', () => {
    if (proto === 'tickwire') ws.send(SUBSCRIBE);
    else becomeReady();
  });
  ws.on('message', (data: Buffer) => {
    if (!ready) return becomeReady();
    if (!measuring) return;
    client.count++;
    if (probe) {
      const t = readTime(data, 0, data.length);
      if (t === t) latencies.push(nowMs() - t);
    }
  });
  ws.on('error', () => undefined);
  ws.on('close', () => {
    client.closed = true;
    onFail();
  });
  return client;
}

let io: typeof import('socket.io-client').io | undefined;

function openIo(port: number, probe: boolean, onReady: () => void, onFail: () => void): Client {
  const socket: IoSocket = io!(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, forceNew: true });
  const client: Client = {
    count: 0,
    closed: false,
    close: async () => {
      client.closed = true;
      socket.disconnect();
    },
  };
  socket.on('connect', onReady);
  socket.on('connect_error', onFail);
  socket.on('disconnect', () => {
    client.closed = true;
  });
  socket.on('bars.update', (m: { payload: { time: number } }) => {
    if (!measuring) return;
    client.count++;
    if (probe) latencies.push(nowMs() - m.payload.time);
  });
  return client;
}

async function open(msg: { port: number; path: string; count: number; proto: Proto; probeEvery: number; concurrency: number; timeoutMs: number }) {
  const t0 = nowMs();
  let readyCount = 0;
  let failed = 0;
  let next = 0;
  let inFlight = 0;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, msg.timeoutMs);
    const done = () => {
      if (readyCount + failed >= msg.count) {
        clearTimeout(timer);
        resolve();
      }
    };
    const launch = () => {
      while (inFlight < msg.concurrency && next < msg.count) {
        const i = next++;
        inFlight++;
        let settled = false;
        const settle = (ok: boolean) => {
          if (settled) return;
          settled = true;
          inFlight--;
          if (ok) readyCount++;
          else failed++;
          launch();
          done();
        };
        const probe = msg.probeEvery > 0 && i % msg.probeEvery === 0;
        clients.push(msg.proto === 'socket.io'
          ? openIo(msg.port, probe, () => settle(true), () => settle(false))
          : openWs(msg.port, msg.path, msg.proto, probe, () => settle(true), () => settle(false)));
      }
    };
    launch();
    done();
  });
  return { ready: readyCount, failed, ms: nowMs() - t0 };
}

serve(async (msg) => {
  switch (msg.cmd) {
    case 'open':
      // Loaded only for this setup: socket.io-client is a dev dependency of the bench alone.
      if (msg.proto === 'socket.io') io ??= (await import('socket.io-client')).io;
      return open(msg);
    case 'start':
      for (const c of clients) c.count = 0;
      latencies = [];
      measuring = true;
      cpuAtStart = process.cpuUsage();
      startedAt = nowMs();
      return {};
    case 'stop': {
      measuring = false;
      const ms = nowMs() - startedAt;
      const cpu = process.cpuUsage(cpuAtStart);
      let received = 0;
      let open = 0;
      for (const c of clients) {
        received += c.count;
        if (!c.closed) open++;
      }
      return { received, ms, cpuUs: cpu.user + cpu.system, open, latencies };
    }
    case 'close': {
      const all = clients;
      clients = [];
      await Promise.all(all.map((c) => c.close()));
      return { closed: all.length };
    }
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
});
process.send?.({ ready: true });
