/**
 * Heap per idle subscribed connection (issue 11 memory target, ≤ 10 KiB), and what it is made of.
 *
 * `npx tsx bench/conn-memory.ts [N=2000] [--snapshot [--keep-snapshots]]`: forks a server process (the real app, AUTH=none by default or
 * `--auth=jwt`, a market that never ticks), warms the upgrade/subscribe path with 100 connections, then opens N
 * connections from this process, each sending one `bars.subscribe` for bars:AAPL:1, and reports the server's heap +
 * external growth per connection after a full GC. With `--snapshot` the server writes a heap snapshot before and
 * after, and the objects retained per connection are listed by constructor (count and bytes per connection), largest
 * first. Bounded: N ≤ 10,000, every wait has a timeout, the server exits with this process. The figures are written to
 * bench/results/conn-memory-<time>.json.
 */
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import WebSocket from 'ws';

const TOPIC_SYMBOL = 'AAPL';

async function server(auth: 'none' | 'jwt'): Promise<void> {
  const { buildApp } = await import('../src/app.ts');
  const { defaultConfig } = await import('../src/config.ts');
  const { SimulatedSource } = await import('../src/market/source-simulated.ts');
  const base = defaultConfig();
  const config = {
    ...base,
    port: 0,
    host: '127.0.0.1',
    websocket: { ...base.websocket, maxConnections: 20_000 },
    auth: { ...base.auth, mode: auth, ...(auth === 'jwt' ? { secret: 'bench-secret-0123456789abcdef-0123456789', anonymousMarketData: true } : {}) },
  };
  const app = buildApp(config, { source: new SimulatedSource({ tickIntervalMs: 3_600_000 }), log: () => undefined });
  const { port } = await app.start();
  const gc = (globalThis as { gc?: () => void }).gc!;
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (m: { cmd: string; file?: string }) => {
    if (m.cmd === 'mark') {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 50));
      }
      const mem = process.memoryUsage();
      process.send!({ cmd: 'mark', heapUsed: mem.heapUsed, external: mem.external, rss: mem.rss, connections: app.gateway.connectionCount, subscribers: app.hub.subscriberCount(`bars:${TOPIC_SYMBOL}:1`) });
    } else if (m.cmd === 'snapshot') {
      gc();
      process.send!({ cmd: 'snapshot', file: writeHeapSnapshot(m.file) });
    }
  });
  process.send!({ cmd: 'ready', port });
}

/** Objects in a V8 heap snapshot by constructor (`object` nodes) or kind (closures, arrays, strings...): count, bytes. */
function census(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name = snap.strings[snap.nodes[i + nameAt]!]!;
    const key = type === 'object' ? name : type === 'closure' ? `closure ${name || '(anonymous)'}` : `(${type})${type === 'hidden' || type === 'array' || type === 'code' ? ` ${name}` : ''}`;
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += snap.nodes[i + sizeAt]!;
    out.set(key, e);
  }
  return out;
}

async function main(): Promise<void> {
  const n = Math.min(10_000, Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 2000));
  const snapshot = process.argv.includes('--snapshot');
  const auth = process.argv.includes('--auth=jwt') ? 'jwt' : 'none';
  const child = fork(fileURLToPath(import.meta.url), ['server', auth], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (cmd: string, timeoutMs = 60_000) => new Promise<any>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd}: no answer in ${timeoutMs} ms`)), timeoutMs);
    const on = (m: any) => {
      if (m.cmd !== cmd) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });
  const ask = (cmd: string, extra: object = {}) => {
    const answer = next(cmd);
    child.send({ cmd, ...extra });
    return answer;
  };
  try {
    const { port } = await next('ready');
    const open = async (count: number): Promise<WebSocket[]> => {
      const out: WebSocket[] = [];
      for (let i = 0; i < count; i += 100) {
        out.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`, { perMessageDeflate: false });
          const timer = setTimeout(() => reject(new Error('subscribe: no answer in 10 s')), 10_000);
          ws.once('open', () => ws.send(JSON.stringify({ type: 'bars.subscribe', id: 's', payload: { symbol: TOPIC_SYMBOL, resolution: '1' } })));
          ws.on('message', (d) => {
            if (String(d).includes('bars.subscribe.response')) {
              clearTimeout(timer);
              resolve(ws);
            }
          });
          ws.once('error', reject);
        })))));
      }
      return out;
    };
    const closeAll = async (list: WebSocket[]) => {
      await Promise.all(list.map((ws) => new Promise<void>((r) => {
        ws.once('close', () => r());
        ws.close();
      })));
    };
    // Warm: lazily compiled code and first-use caches are not per-connection memory.
    await closeAll(await open(100));
    const file = (tag: string) => join(tmpdir(), `conn-memory-${process.pid}-${tag}.heapsnapshot`);
    const before = await ask('mark');
    if (snapshot) await ask('snapshot', { file: file('before') });
    const t0 = Date.now();
    const clients = await open(n);
    const openedMs = Date.now() - t0;
    const after = await ask('mark');
    if (snapshot) await ask('snapshot', { file: file('after') });
    const perConn = (x: number) => (x / after.connections / 1024).toFixed(2);
    console.log(`AUTH=${auth}: ${after.connections} connections, ${after.subscribers} subscribed to bars:${TOPIC_SYMBOL}:1 (opened in ${openedMs} ms)`);
    console.log(`per connection: heap ${perConn(after.heapUsed - before.heapUsed)} KiB, heap + external ${perConn(after.heapUsed + after.external - before.heapUsed - before.external)} KiB, RSS ${perConn(after.rss - before.rss)} KiB`);
    const result: Record<string, unknown> = {
      at: new Date().toISOString(), auth, connections: after.connections, subscribed: after.subscribers,
      heapPerConnKiB: (after.heapUsed - before.heapUsed) / after.connections / 1024,
      heapExternalPerConnKiB: (after.heapUsed + after.external - before.heapUsed - before.external) / after.connections / 1024,
      rssPerConnKiB: (after.rss - before.rss) / after.connections / 1024,
    };
    if (snapshot) {
      const a = census(file('before'));
      const b = census(file('after'));
      const rows = [...b].map(([k, v]) => ({ k, count: v.count - (a.get(k)?.count ?? 0), bytes: v.bytes - (a.get(k)?.bytes ?? 0) }))
        .filter((r) => r.bytes > 0)
        .sort((x, y) => y.bytes - x.bytes)
        .slice(0, 30);
      console.log('retained per connection (snapshot after − before), by constructor or kind:');
      result.retainedPerConn = rows.map((r) => ({ what: r.k, bytes: Math.round(r.bytes / after.connections), objects: +(r.count / after.connections).toFixed(2) }));
      for (const r of rows) console.log(`  ${(r.bytes / after.connections).toFixed(0).padStart(6)} B  ${(r.count / after.connections).toFixed(2).padStart(6)} objects  ${r.k}`);
      if (process.argv.includes('--keep-snapshots')) console.log(`snapshots kept: ${file('before')} ${file('after')}`);
      else for (const tag of ['before', 'after']) rmSync(file(tag), { force: true });
    }
    const out = join(dirname(fileURLToPath(import.meta.url)), 'results', `conn-memory-${String(result.at).replace(/[:.]/g, '-')}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${out}`);
    await closeAll(clients);
  } finally {
    child.disconnect();
  }
}

if (process.argv[2] === 'server') void server(process.argv[3] === 'jwt' ? 'jwt' : 'none');
else await main();
