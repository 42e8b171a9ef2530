/**
 * `npm run contract:diff`: is asyncapi.yaml safe for clients of the last released contract?
 *
 * Compares asyncapi.yaml with the highest version in contract/released/ (see contract/compat.ts for the rules),
 * prints every change with its class, and exits 1 on a breaking (or unclassified) change unless info.version
 * raises the major version. Exit 0 otherwise, 2 on a usage or parse error.
 *
 * Options: --spec <file> (default asyncapi.yaml), --base <file> (default: the latest released contract),
 * --release (after a passing check, copy the spec to contract/released/<info.version>.yaml; refuses to overwrite).
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { createRequire } from 'node:module';
import { compareContracts, compareVersions, openapiChanges, type ContractReport } from './compat.ts';

const require = createRequire(import.meta.url);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const releasedDir = path.join(root, 'contract', 'released');

/** The released contract with the highest version, or null when none is kept. */
export function latestReleased(dir = releasedDir): string | null {
  if (!existsSync(dir)) return null;
  const versions = readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.yaml$/.test(f)).map((f) => f.replace(/\.yaml$/, ''));
  versions.sort(compareVersions);
  return versions.length ? path.join(dir, `${versions[versions.length - 1]}.yaml`) : null;
}

export function formatReport(report: ContractReport, base: string): string {
  const lines = [`contract:diff: asyncapi.yaml ${report.newVersion} against ${path.relative(root, base)} (${report.oldVersion})`];
  const order = { breaking: 0, unclassified: 1, compatible: 2 } as const;
  for (const c of [...report.changes].sort((a, b) => order[a.kind] - order[b.kind])) {
    lines.push(`  ${c.kind.padEnd(12)} ${c.where}: ${c.what}`);
  }
  lines.push(`${report.ok ? 'OK' : 'FAIL'}: ${report.verdict}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const spec = path.resolve(arg('--spec') ?? path.join(root, 'asyncapi.yaml'));
  const base = arg('--base') ? path.resolve(arg('--base')!) : latestReleased();
  const text = readFileSync(spec, 'utf8');
  if (!base && !process.argv.includes('--release')) {
    console.error(`contract:diff: no released contract in ${path.relative(root, releasedDir)}/; release one with --release`);
    return 2;
  }
  const report = base ? await compareContracts(readFileSync(base, 'utf8'), text) : null;
  // The HTTP API (openapi.yaml) released beside it, under the same version: the same rules, the same verdict.
  const openapiPath = path.join(path.dirname(spec), 'openapi.yaml');
  const openapiBase = base ? base.replace(/\.yaml$/, '.openapi.yaml') : null;
  if (report && openapiBase && existsSync(openapiBase) && existsSync(openapiPath)) {
    const { bundleOpenApi } = require(path.join(root, 'templates', 'tickwire', 'lib', 'gen-openapi.cjs'));
    const http = openapiChanges(
      bundleOpenApi(YAML.parse(readFileSync(openapiBase, 'utf8')), YAML.parse(readFileSync(base!, 'utf8'))),
      bundleOpenApi(YAML.parse(readFileSync(openapiPath, 'utf8')), YAML.parse(text)),
    );
    report.changes.push(...http);
    const broken = http.filter((c) => c.kind !== 'compatible');
    report.breaking.push(...broken);
    if (broken.length && report.ok && !(Number(report.newVersion.split('.')[0]) > Number(report.oldVersion.split('.')[0]))) {
      report.ok = false;
      report.verdict = `${report.breaking.length} breaking change(s) against ${report.oldVersion} (HTTP API included): raise the major version (info.version) or make the change compatible`;
    }
  }
  if (report) console.log(formatReport(report, base!));
  if (report && !report.ok) return 1;
  if (process.argv.includes('--release')) {
    const version = String(YAML.parse(text).info.version);
    const target = path.join(releasedDir, `${version}.yaml`);
    if (existsSync(target)) {
      if (readFileSync(target, 'utf8') === text) { console.log(`contract:diff: ${version} is already released`); return 0; }
      console.error(`contract:diff: ${path.relative(root, target)} exists and differs: raise info.version to release a new contract`);
      return 1;
    }
    writeFileSync(target, text);
    const openapiPath = path.join(path.dirname(spec), 'openapi.yaml');
    if (existsSync(openapiPath)) writeFileSync(target.replace(/\.yaml$/, '.openapi.yaml'), readFileSync(openapiPath, 'utf8'));
    console.log(`contract:diff: released ${path.relative(root, target)}${existsSync(openapiPath) ? ' (and the HTTP API beside it)' : ''}`);
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => process.exit(code), (err) => {
    console.error(`contract:diff: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  });
}
