import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findCycles, folderNode, formatReport, type Cycle } from '../../scripts/check-cycles.ts';
import { repoRoot } from '../support/spec.ts';

/** Writes `files` (repository-relative path → text) under a fresh temporary root. */
function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tickwire-cycles-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const ring = (c: Cycle) => c.map((s) => s.from).join(' -> ');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', 'check-cycles.ts'), ...args], { cwd: repoRoot, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

describe('scripts/check-cycles (npm run check:cycles)', function () {
  this.timeout(30_000);
  const roots: string[] = [];
  after(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it('the real src/ has no folder-level or file-level cycle, and generated/ imports nothing from src/', () => {
    const report = findCycles({ root: repoRoot });
    expect(formatReport(report)).to.deep.equal([]);
  });

  it('folder nodes: a top folder of src/, each root file of src/ on its own, generated/ as one node', () => {
    const table: Array<{ given: string; want: string | undefined }> = [
      { given: 'src/server/gateway.ts', want: 'server' },
      { given: 'src/handlers/deep/x.ts', want: 'handlers' },
      { given: 'src/app.ts', want: 'app.ts' },
      { given: 'src/config.ts', want: 'config.ts' },
      { given: 'generated/messages.ts', want: 'generated' },
      { given: 'asyncapi.json', want: undefined },
      { given: 'srcx/a.ts', want: undefined },
    ];
    for (const { given, want } of table) expect(folderNode(given), given).to.equal(want);
  });

  it('reports a folder cycle, a file cycle and a generated/ → src/ import in a fixture, with one import per step', () => {
    const root = fixture({
      // Folder cycle a ⇄ b, closed by a type-only import on one side and a multi-line import on the other.
      'src/a/one.ts': "import type { Two } from '../b/two.ts';\nexport type One = Two;\n",
      'src/b/two.ts': "// import { nothing } from '../c/ignored.ts';  (comments do not count)\nimport {\n  three,\n} from '../a/three.js';\nexport type Two = number;\nexport const t = three;\n",
      'src/a/three.ts': 'export const three = 3;\n',
      // File cycle inside one folder, through a dynamic import and an export-from.
      'src/c/x.ts': "export const load = () => import('./y.ts');\n",
      'src/c/y.ts': "export * from './x.ts';\n",
      // A root file is its own node; importing from it is fine, as long as no cycle closes.
      'src/app.ts': "import { t } from './b/two.ts';\nexport const app = t;\n",
      'src/d/fine.ts': "import { app } from '../app.ts';\nexport const d = app;\n",
      // generated/ may not import src/.
      'generated/types.ts': "import { three } from '../src/a/three.ts';\nexport const g = three;\n",
      'src/a/uses-generated.ts': "import { g } from '../../generated/types.ts';\nexport const u = g;\n",
    });
    roots.push(root);

    const report = findCycles({ root });
    expect(report.folderCycles.map(ring)).to.deep.equal(['a -> b', 'a -> generated']);
    const [ab] = report.folderCycles;
    expect(ab!.map((s) => `${s.from}->${s.to} ${s.edge.file}:${s.edge.line} ${s.edge.specifier}`)).to.deep.equal([
      'a->b src/a/one.ts:1 ../b/two.ts',
      'b->a src/b/two.ts:4 ../a/three.js', // the line of the specifier,
    ]);
    expect(report.fileCycles.map(ring)).to.deep.equal(['src/c/x.ts -> src/c/y.ts']);
    expect(report.generatedImportsSrc.map((e) => `${e.file}:${e.line}`)).to.deep.equal(['generated/types.ts:1']);
    expect(formatReport(report).join('\n')).to.contain("folder cycle: a -> b -> a\n    a -> b: src/a/one.ts:1 imports '../b/two.ts'");
  });

  it('the command exits 1 naming the cycle in a fixture, and 0 on the real tree', async () => {
    const root = fixture({
      'src/p/p.ts': "import { q } from '../q/q.ts';\nexport const p = q;\n",
      'src/q/q.ts': "import type { p } from '../p/p.ts';\nexport const q = 1;\n",
    });
    roots.push(root);
    const bad = await run(['--root', root]);
    expect(bad.code, bad.stdout).to.equal(1);
    expect(bad.stderr).to.contain('folder cycle: p -> q -> p');
    expect(bad.stderr).to.contain("q -> p: src/q/q.ts:1 imports '../p/p.ts'");
    const good = await run([]);
    expect(good.code, good.stderr).to.equal(0);
  });
});
