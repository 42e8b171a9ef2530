/**
 * Child process of bench/charting.ts: opens `n` WebSocket connections to `url`, each subscribing `topic` (a book
 * topic) with market.subscribe, and counts book.update messages, u gaps and latency (receive time minus the update's
 * `time`, which the simulated book stamps with the wall clock at the tick). Reports on IPC when asked; exits with its
 * parent. Bounded by the parent's run time.
 */
import WebSocket from 'ws';

const [url, topicArg, nArg] = process.argv.slice(2);
const topic = topicArg!;
const n = Number(nArg);
const [, symbol, depth] = topic.split(':');
let received = 0;
let gaps = 0;
let ready = 0;
/** The topic's u range seen since the last reset: how many updates the server published meanwhile. */
let firstU: number | undefined;
let lastU = 0;

function readNumber(buf: Buffer, key: string): number {
  const at = buf.indexOf(key);
  let i = at + key.length;
  let n = 0;
  for (let c = buf[i]!; c >= 48 && c <= 57; c = buf[++i]!) n = n * 10 + (c - 48);
  return n;
}
const latencies: number[] = [];
const sockets: WebSocket[] = [];

for (let i = 0; i < n; i++) {
  const ws = new WebSocket(url!);
  sockets.push(ws);
  let u: number | undefined;
  ws.on('open', () => ws.send(JSON.stringify({ type: 'market.subscribe', id: 's', payload: { channel: 'book', symbol, depth } })));
  ws.on('message', (data: Buffer) => {
    // Cheap field reads (no JSON.parse per update: a thousand clients in one process must keep up).
    if (data.indexOf('"book.update"') < 0) {
      const m = JSON.parse(data.toString());
      if (m.type === 'market.subscribe.response') ready++;
      else if (m.type === 'book.snapshot') u = m.payload.u;
      return;
    }
    received++;
    const next = readNumber(data, '"u":');
    if (u !== undefined && next !== u + 1) gaps++;
    u = next;
    firstU ??= next;
    lastU = next;
    if ((received & 7) === 0) latencies.push(Date.now() - readNumber(data, '"time":'));
  });
  ws.on('error', () => undefined);
}

process.on('message', (msg: any) => {
  if (msg === 'ready?') process.send!({ ready });
  if (msg === 'reset') {
    received = 0;
    gaps = 0;
    firstU = undefined;
    latencies.length = 0;
    process.send!({ reset: true });
  }
  if (msg === 'report') {
    latencies.sort((a, b) => a - b);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
    process.send!({ received, gaps, published: firstU === undefined ? 0 : lastU - firstU + 1, p50: p(0.5), p99: p(0.99), max: latencies.at(-1) ?? NaN });
  }
  if (msg === 'exit') {
    for (const s of sockets) s.terminate();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
