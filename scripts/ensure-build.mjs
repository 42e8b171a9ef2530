// `prestart`: `npm start` runs the compiled build (dist/src/main.js). This builds it first when it is missing or
// older than the sources (src/, generated/), with `npm run build` (needs the devDependencies). In a deployment
// installed with `npm ci --omit=dev`, ship dist/ built beforehand: then this only checks it is there.
// Plain JavaScript on purpose: it runs before anything is compiled and without tsx.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const marker = path.join(root, 'dist', 'build.json');

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const built = existsSync(marker) ? statSync(marker).mtimeMs : 0;
const sources = Math.max(newest(path.join(root, 'src')), newest(path.join(root, 'generated')));
if (built && (built >= sources || !existsSync(path.join(root, 'src')))) process.exit(0);
let canBuild = true;
try {
  await import('typescript');
} catch {
  canBuild = false;
}
if (!canBuild) {
  if (built) {
    console.error('tickwire: dist/ is older than src/ but the build tools are not installed (npm ci --omit=dev); starting the existing build');
    process.exit(0);
  }
  console.error('tickwire: no compiled build in dist/. Build it where the devDependencies are installed (npm ci && npm run build) and ship dist/ with the app.');
  process.exit(1);
}
console.log(built ? 'tickwire: sources changed since the last build; npm run build' : 'tickwire: no build yet; npm run build');
const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
