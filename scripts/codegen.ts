/**
 * `npm run codegen`: asyncapi.yaml → generated/, from scratch and deterministically.
 * `npm run codegen:check`: regenerate into a temporary folder and fail, naming the files, if generated/ differs.
 *
 * Order: parse and validate the spec with @asyncapi/parser (an invalid spec prints located diagnostics and writes
 * nothing) → render our template (templates/tickwire) and @asyncapi/html-template into a temporary folder →
 * replace generated/ (or compare, with --check). Options: --spec <file>, --out <dir> (tests use them).
 */
import { mkdtemp, readFile, readdir, rm, cp, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Parser } from '@asyncapi/parser';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]!) : fallback;
}

const specPath = arg('--spec', path.join(root, 'asyncapi.yaml'));
const outDir = arg('--out', path.join(root, 'generated'));
const check = process.argv.includes('--check');

async function listFiles(dir: string, base = dir): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full, base)));
    else out.push(path.relative(base, full));
  }
  return out.sort();
}

async function validateSpec(text: string): Promise<boolean> {
  const { document, diagnostics } = await new Parser().parse(text);
  const errors = diagnostics.filter((d) => d.severity === 0);
  for (const d of errors) {
    const where = d.range ? `${path.relative(process.cwd(), specPath)}:${d.range.start.line + 1}:${d.range.start.character + 1}` : specPath;
    console.error(`${where}  ${d.code}: ${d.message}  (at ${d.path.join('.') || '<root>'})`);
  }
  if (!document || errors.length) {
    console.error(`codegen: ${path.basename(specPath)} is not a valid AsyncAPI document (${errors.length} error(s)); nothing was written.`);
    return false;
  }
  return true;
}

async function render(text: string, target: string): Promise<void> {
  // @asyncapi/generator is CommonJS and declares Node >= 24; it runs on Node 20 (engine warning only).
  const Generator = require('@asyncapi/generator');
  const ours = new Generator(path.join(root, 'templates', 'tickwire'), target, { forceWrite: true });
  await ours.generateFromString(text);
  const docsDir = path.join(target, 'docs');
  await mkdir(docsDir, { recursive: true });
  const htmlTemplate = path.dirname(require.resolve('@asyncapi/html-template/package.json'));
  const docs = new Generator(htmlTemplate, docsDir, { forceWrite: true, templateParams: { singleFile: 'true' } });
  await docs.generateFromString(text);
}

async function main(): Promise<number> {
  const text = await readFile(specPath, 'utf8');
  if (!(await validateSpec(text))) return 1;
  const tmp = await mkdtemp(path.join(tmpdir(), 'tickwire-codegen-'));
  try {
    await render(text, tmp);
    if (check) {
      const [want, have] = await Promise.all([listFiles(tmp), listFiles(outDir)]);
      const differing: string[] = [];
      for (const f of new Set([...want, ...have])) {
        const a = want.includes(f) ? await readFile(path.join(tmp, f)) : null;
        const b = have.includes(f) ? await readFile(path.join(outDir, f)) : null;
        if (!a) differing.push(`${f} (stale: not generated any more)`);
        else if (!b) differing.push(`${f} (missing)`);
        else if (!a.equals(b)) differing.push(`${f} (differs)`);
      }
      if (differing.length) {
        console.error(`codegen:check: generated/ is out of date with ${path.basename(specPath)}:`);
        for (const d of differing) console.error(`  generated/${d}`);
        console.error('Run `npm run codegen` and commit the result.');
        return 1;
      }
      console.log(`codegen:check: generated/ matches ${path.basename(specPath)} (${want.length} files).`);
      return 0;
    }
    await rm(outDir, { recursive: true, force: true });
    await cp(tmp, outDir, { recursive: true });
    console.log(`codegen: wrote ${(await listFiles(outDir)).length} files to ${path.relative(process.cwd(), outDir) || '.'}`);
    return 0;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error(`codegen failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
