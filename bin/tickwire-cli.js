#!/usr/bin/env node
// The `tickwire-cli` bin: runs the compiled CLI (dist/src/cli/main.js, from `npm run build`) when it exists, else the
// TypeScript CLI (src/cli/main.ts) through tsx (a devDependency), and exits with its code.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
let main;
if (existsSync(compiled)) {
  ({ main } = await import(compiled.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exit(await main(process.argv.slice(2)));
