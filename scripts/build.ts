/**
 * `npm run build`: the production build, once, into dist/ (or `--out DIR`):
 *   <out>/src/**.js, <out>/generated/**.js   every module of src/ and generated/, compiled by tsc (tsconfig.build.json:
 *                                           `.ts` import specifiers rewritten to `.js`; worker entries included)
 *   <out>/scripts/cluster.js, loopback.js   `npm run start:cluster` on the compiled build
 *   <out>/generated/*.json, docs/           the specs (server view, client view, HTTP API) and the HTML docs served
 *   <out>/dashboard/                        the dashboard page (scripts/build-dashboard.ts)
 *   <out>/package.json                      {"type": "module"}, so the output runs wherever it is copied
 *   <out>/build.json                        what was built, from which commit, when (marks the compiled layout)
 * Run it with `node <out>/src/main.js` (npm start) next to a node_modules installed with `npm ci --omit=dev`.
 * Build-time tools (typescript, esbuild, tsx) are devDependencies; nothing here is needed at run time.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboard } from './build-dashboard.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function build(outDir: string): Promise<void> {
  const started = Date.now();
  // Clear what a previous build wrote (dist/ may also hold the development dashboard: it is rebuilt below).
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', outDir], { cwd: root, stdio: 'inherit' });
  if (compiled.status !== 0) throw new Error(`tsc failed (exit ${compiled.status ?? compiled.signal})`);
  // generated/'s JavaScript (AJV standalone validators), the spec and the docs: copied as they are.
  for (const name of await readdir(path.join(root, 'generated'))) {
    if (name.endsWith('.js') || name.endsWith('.json') || name === 'docs') await cp(path.join(root, 'generated', name), path.join(outDir, 'generated', name), { recursive: true });
  }
  await buildDashboard(path.join(outDir, 'dashboard'));
  await writeFile(path.join(outDir, 'package.json'), `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`);
  if (path.resolve(outDir) === path.join(root, 'dist')) await writeFile(path.join(outDir, '.gitignore'), '# build output of npm run build\n*\n');
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  await writeFile(path.join(outDir, 'build.json'), `${JSON.stringify({ built_at: new Date().toISOString(), commit: commit.status === 0 ? commit.stdout.trim() : null, node: process.version }, null, 2)}\n`);
  console.log(`build: wrote ${path.relative(process.cwd(), outDir) || '.'} in ${((Date.now() - started) / 1000).toFixed(1)} s (run: node ${path.join(path.relative(process.cwd(), outDir) || '.', 'src', 'main.js')})`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv.includes('--out') ? path.resolve(process.argv[process.argv.indexOf('--out') + 1]!) : path.join(root, 'dist');
  build(out).catch((err) => {
    console.error(`build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
