import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CloseCodes, ErrorCodes } from '../generated/codes.ts';
import { CONFIG_VARIABLES, configTable } from '../src/config.ts';
import { repoRoot } from './support/spec.ts';

// The README's tables are for newcomers; these checks keep them from drifting away from the code.
describe('README tables match the code', () => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

  it('lists every configuration variable with its default', () => {
    for (const [name, def] of CONFIG_VARIABLES) expect(readme, name).to.contain(`| \`${name}\` | ${def} |`);
  });

  it('has the configuration table exactly as src/config.ts writes it (npm run docs:config)', () => {
    expect(readme).to.contain(configTable());
  });

  it('lists every error code', () => {
    for (const code of Object.keys(ErrorCodes)) expect(readme, code).to.contain(`| \`${code}\` |`);
  });

  it('lists every close code with its number', () => {
    for (const [name, c] of Object.entries(CloseCodes)) expect(readme, name).to.contain(`| ${c.code} | ${name} |`);
  });
});
