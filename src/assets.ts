/**
 * Where the files the server reads at run time live, in both layouts:
 * - from source (tsx, tests): `<repo>/generated/` (codegen output) and `<repo>/dist/dashboard/` (build:dashboard);
 * - compiled (`npm run build` → `<out>/src/…`, `<out>/generated/…`, `<out>/dashboard/`, `<out>/build.json`).
 * The compiled layout is recognised by its `build.json` (scripts/build.ts writes it). Computed once from this file's
 * own location; nothing here changes afterwards.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = existsSync(path.join(root, 'build.json'));

export const assetPaths = Object.freeze({
  /** True when running the output of `npm run build`. */
  compiled,
  generated: path.join(root, 'generated'),
  dashboard: compiled ? path.join(root, 'dashboard') : path.join(root, 'dist', 'dashboard'),
});

/**
 * A module file beside the caller, with the caller's own extension (`.ts` from source, `.js` compiled): for
 * `new Worker(siblingModule(import.meta.url, './backtest-worker'))`. The build compiles every file under src/, so a
 * worker entry needs nothing else; from source, start the worker with `execArgv: ['--import', 'tsx']` when
 * `!assetPaths.compiled`.
 */
export function siblingModule(callerUrl: string, relative: string): URL {
  const ext = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`${relative}${ext}`, callerUrl);
}
