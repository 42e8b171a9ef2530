/**
 * The production build (issue 14 item 6): `npm run build` (scripts/build.ts) into a temporary folder, then the
 * compiled server started with plain `node` (no tsx loader) answers /health and /ready, serves the docs compressed
 * and the dashboard, streams bars over a WebSocket, and exits 0 on SIGTERM. Every package the compiled code imports
 * is a runtime dependency in package.json (so a `npm ci --omit=dev` install runs it).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { TestClient } from './support/client.ts';
import { killMain, startMain } from './support/main-process.ts';
import { repoRoot } from './support/spec.ts';

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' || name === 'dashboard' ? [] : jsFiles(p);
    return p.endsWith('.js') ? [p] : [];
  });
}

describe('npm run build: the compiled server runs with node alone', function () {
  this.timeout(300_000);
  let out: string;
  let tmp: string;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'tickwire-build-'));
    out = path.join(tmp, 'app');
    const built = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', 'build.ts'), '--out', out], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    built.stdout.on('data', (d) => (log += d));
    built.stderr.on('data', (d) => (log += d));
    const code = await new Promise<number | null>((resolve) => built.on('exit', resolve));
    expect(code, log).to.equal(0);
    // Deployed beside its node_modules: here the repository's (the import check below covers --omit=dev).
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(tmp, 'node_modules'), 'dir');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('writes compiled JavaScript with .js imports, the docs, the dashboard and build.json', () => {
    for (const f of ['src/main.js', 'src/app.js', 'generated/validators.js', 'generated/asyncapi.json', 'generated/docs/index.html', 'dashboard/index.html', 'dashboard/app.js', 'build.json', 'package.json', 'scripts/cluster.js']) {
      expect(statSync(path.join(out, f)).isFile(), f).to.equal(true);
    }
    for (const f of jsFiles(out)) expect(readFileSync(f, 'utf8'), f).to.not.match(/from ['"]\.{1,2}\/[^'"]*\.ts['"]/);
  });

  it('imports only runtime dependencies (npm ci --omit=dev runs it)', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const allowed = new Set(Object.keys(pkg.dependencies));
    const bare = new Set<string>();
    for (const f of jsFiles(out)) {
      for (const m of readFileSync(f, 'utf8').matchAll(/(?:^|\n)\s*import\s[^;]*?from\s+['"]([^'"./][^'"]*)['"]|import\(\s*['"]([^'"./][^'"]*)['"]\s*\)/g)) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        bare.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    expect(bare.size).to.be.above(3);
    for (const name of bare) expect(allowed.has(name), `${name} is imported by the build but is not in "dependencies"`).to.equal(true);
    expect(allowed.has('tsx'), 'tsx is a build tool').to.equal(false);
  });

  it('node <out>/src/main.js: /health, /ready, compressed docs, the dashboard, a WebSocket subscribe, exit 0 on SIGTERM', async () => {
    const main = startMain({}, [path.join(out, 'src', 'main.js')], tmp);
    try {
      const [, port] = await main.line(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 30_000);
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/health`)).status).to.equal(200);
      await main.line(/ready: yes/, 30_000);
      expect((await fetch(`${base}/ready`)).status).to.equal(200);
      // fetch() decompresses transparently: ask through a raw request to see the encoding.
      const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
        import('node:http').then(({ get }) => get(`${base}/api/v1/ws/asyncapi`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
        }).on('error', reject), reject);
      });
      expect(raw.encoding).to.equal('gzip');
      const html = gunzipSync(raw.body);
      expect(raw.body.length, 'compressed smaller than a third').to.be.below(html.length / 3);
      const page = await fetch(`${base}/`);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.contain('<html');
      const c = await TestClient.open(`ws://127.0.0.1:${port}/api/v1/ws`);
      await c.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
      await c.next((m) => m.type === 'bars.update' && m.topic === 'bars:AAPL:1', { timeoutMs: 10_000 });
      main.child.kill('SIGTERM');
      expect((await c.closed()).code).to.equal(1001);
      expect(await main.exited).to.equal(0);
    } finally {
      await killMain(main);
    }
  });
});
