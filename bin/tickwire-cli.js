#!/usr/bin/env node
// The `tickwire-cli` bin: loads the TypeScript CLI (src/cli/main.ts) through tsx and exits with its code.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exit(await main(process.argv.slice(2)));
