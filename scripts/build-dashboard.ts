/**
 * `npm run build:dashboard` (also run by `prestart`): bundles src/dashboard (the page, the typed client and
 * lightweight-charts from node_modules) with esbuild into dist/dashboard, which the gateway serves at `/`.
 * The output is a build product: dist/ carries its own .gitignore and is never committed.
 */
import { build } from 'esbuild';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const defaultOutDir = path.join(root, 'dist', 'dashboard');

/** Builds the page into `outDir`; resolves with the bundle's size in bytes. */
export async function buildDashboard(outDir: string = defaultOutDir): Promise<{ bytes: number }> {
  await mkdir(outDir, { recursive: true });
  const distRoot = path.dirname(outDir);
  if (path.basename(distRoot) === 'dist') await writeFile(path.join(distRoot, '.gitignore'), '# build output of npm run build:dashboard\n*\n');
  const result = await build({
    // app.js: the dashboard (main.ts); backtest.js: the backtest page (backtest.ts).
    entryPoints: [{ in: path.join(root, 'src', 'dashboard', 'main.ts'), out: 'app' }, { in: path.join(root, 'src', 'dashboard', 'backtest.ts'), out: 'backtest' }],
    outdir: outDir,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  await copyFile(path.join(root, 'src', 'dashboard', 'index.html'), path.join(outDir, 'index.html'));
  await copyFile(path.join(root, 'src', 'dashboard', 'style.css'), path.join(outDir, 'style.css'));
  for (const f of ['backtest.html', 'favicon.svg']) await copyFile(path.join(root, 'src', 'dashboard', f), path.join(outDir, f));
  const bytes = result.metafile.outputs[path.relative(process.cwd(), path.join(outDir, 'app.js'))]?.bytes ?? 0;
  return { bytes };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv.includes('--out') ? path.resolve(process.argv[process.argv.indexOf('--out') + 1]!) : defaultOutDir;
  buildDashboard(out).then(
    ({ bytes }) => console.log(`build:dashboard: wrote ${path.relative(process.cwd(), out) || '.'} (app.js ${(bytes / 1024).toFixed(0)} KiB)`),
    (err) => {
      console.error(`build:dashboard failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
