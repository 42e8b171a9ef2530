/**
 * Writes the README's configuration table from src/config.ts (the one variable table): `npm run docs:config`.
 * `--check` exits 1 when the README's table differs (test/readme.test.ts checks the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configTable } from '../src/config.ts';

const readmePath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const start = readme.indexOf('| variable | default |');
if (start < 0) throw new Error('README.md has no configuration table (| variable | default | ...)');
const end = readme.indexOf('\n\n', start);
const current = readme.slice(start, end);
const wanted = configTable();
if (process.argv.includes('--check')) {
  if (current !== wanted) {
    console.error('README.md configuration table differs from src/config.ts: run npm run docs:config');
    process.exit(1);
  }
} else if (current !== wanted) {
  writeFileSync(readmePath, readme.slice(0, start) + wanted + readme.slice(end));
  console.log('README.md configuration table updated');
}
