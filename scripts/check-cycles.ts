/**
 * `npm run check:cycles`: imports in src/ run one way.
 *
 * Reads every .ts/.tsx/.js/.mjs/.cjs file under src/ and generated/ and collects its relative imports with
 * TypeScript's own import scanner (ts.preProcessFile: `import … from`, `import type … from`, `export … from`,
 * side-effect `import '…'`, dynamic `import('…')`; comments and strings are skipped). It then reports:
 *  (a) folder-level cycles: each folder directly under src/ is one node (server, handlers, market…), each file
 *      directly in src/ is its own node (app.ts, config.ts, main.ts), and generated/ is one node;
 *  (b) file-level cycles among the files of src/;
 *  (c) any import from generated/ into src/ (generated/ must import nothing hand-written).
 * Cycles are found per strongly connected component; for every import edge inside one, the shortest cycle through
 * that edge is listed (deduplicated), so every import that closes a cycle shows up, each step with one example
 * import (file:line and specifier). Exit 0 when clean, 1 when anything is reported.
 * Options: --root <dir> (default: the repository; tests point it at a fixture tree).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const SOURCE_EXT = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

/** One import: `file` (repository-relative, '/'-separated) names `specifier` on `line` (1-based, the specifier's line). */
export interface ImportEdge {
  file: string;
  line: number;
  specifier: string;
  /** The imported file, repository-relative (resolved on disk when possible). */
  target: string;
}

/** One step of a cycle: node `from` depends on node `to`, for example through `edge`. */
export interface CycleStep {
  from: string;
  to: string;
  edge: ImportEdge;
}

/** A cycle as consecutive steps; the last step's `to` is the first step's `from`. */
export type Cycle = CycleStep[];

export interface CycleReport {
  folderCycles: Cycle[];
  fileCycles: Cycle[];
  /** Imports from generated/ into src/ (each is a rule violation on its own, cycle or not). */
  generatedImportsSrc: ImportEdge[];
}

export interface CheckOptions {
  /** The repository root holding src/ and generated/. */
  root: string;
  srcDir?: string;
  generatedDir?: string;
}

function listSources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(full));
    else if (SOURCE_EXT.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out.sort();
}

/** The file an import names: as written, else `.js` read as `.ts` (NodeNext style), else with an extension or /index added. */
function resolveImport(fromFile: string, specifier: string): string {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const candidates = [base];
  if (/\.(m|c)?js$/.test(base)) candidates.push(base.replace(/\.(m|c)?js$/, (m) => m.replace('js', 'ts')));
  candidates.push(`${base}.ts`, `${base}.tsx`, `${base}.js`, path.join(base, 'index.ts'), path.join(base, 'index.js'));
  for (const c of candidates) if (existsSync(c) && statSync(c).isFile()) return c;
  return base;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** Every relative import of every source file under src/ and generated/. */
export function collectImports(options: CheckOptions): ImportEdge[] {
  const root = path.resolve(options.root);
  const edges: ImportEdge[] = [];
  for (const dir of [options.srcDir ?? 'src', options.generatedDir ?? 'generated']) {
    for (const file of listSources(path.join(root, dir))) {
      const text = readFileSync(file, 'utf8');
      for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
        if (!ref.fileName.startsWith('./') && !ref.fileName.startsWith('../')) continue;
        const line = text.slice(0, ref.pos).split('\n').length;
        edges.push({
          file: toPosix(path.relative(root, file)),
          line,
          specifier: ref.fileName,
          target: toPosix(path.relative(root, resolveImport(file, ref.fileName))),
        });
      }
    }
  }
  return edges;
}

/**
 * The folder-level node a repository-relative path belongs to: 'server' for src/server/…, 'app.ts' for src/app.ts,
 * 'generated' for generated/…; undefined for anything else (node_modules, asyncapi.json at the root…).
 */
export function folderNode(file: string, srcDir = 'src', generatedDir = 'generated'): string | undefined {
  const parts = file.split('/');
  const src = srcDir.split('/');
  // A file directly in src/ is its own node ('app.ts'); a deeper file belongs to its top folder ('server').
  if (src.every((p, i) => parts[i] === p) && parts.length > src.length) return parts[src.length];
  const gen = generatedDir.split('/');
  if (gen.every((p, i) => parts[i] === p) && parts.length > gen.length) return 'generated';
  return undefined;
}

/** Strongly connected components with more than one node (or a node that depends on itself), Tarjan's algorithm. */
function cyclicComponents(nodes: string[], next: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || next.get(v)?.has(v)) out.push(comp.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** The shortest path from `start` to `goal` inside `component` (breadth-first), both ends included. */
function shortestPath(start: string, goal: string, component: Set<string>, next: Map<string, Set<string>>): string[] {
  const parent = new Map<string, string>([[start, start]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    if (v === goal) break;
    for (const w of [...(next.get(v) ?? [])].sort()) {
      if (!component.has(w) || parent.has(w)) continue;
      parent.set(w, v);
      queue.push(w);
    }
  }
  const path = [goal];
  while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
  return path;
}

/**
 * The cycles to report for one strongly connected component: for every import edge u → v inside it, the shortest
 * cycle through that edge (u → v, then the shortest way back from v to u), deduplicated. So every import that
 * takes part in a cycle is shown in at least one reported cycle, and the list stays as long as the edges.
 */
function cyclesThroughEdges(component: string[], next: Map<string, Set<string>>): string[][] {
  const members = new Set(component);
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const u of component) {
    for (const v of [...(next.get(u) ?? [])].sort()) {
      if (!members.has(v)) continue;
      const ring = u === v ? [u] : [u, ...shortestPath(v, u, members, next).slice(0, -1)];
      // Canonical rotation (start at the smallest node) so one cycle found from two edges is listed once.
      const at = ring.indexOf([...ring].sort()[0]!);
      const canonical = [...ring.slice(at), ...ring.slice(0, at)];
      const key = canonical.join('\0');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(canonical);
    }
  }
  return out;
}

function cyclesOf(edges: Array<{ from: string; to: string; edge: ImportEdge }>): Cycle[] {
  const next = new Map<string, Set<string>>();
  const example = new Map<string, ImportEdge>();
  for (const { from, to, edge } of edges) {
    if (!next.has(from)) next.set(from, new Set());
    next.get(from)!.add(to);
    const key = `${from}\0${to}`;
    if (!example.has(key)) example.set(key, edge);
  }
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  return cyclicComponents(nodes, next).flatMap((comp) =>
    cyclesThroughEdges(comp, next).map((ring) =>
      ring.map((from, i) => {
        const to = ring[(i + 1) % ring.length]!;
        return { from, to, edge: example.get(`${from}\0${to}`)! };
      }),
    ),
  );
}

/** The whole check, without printing: folder cycles, file cycles in src/, and generated/ → src/ imports. */
export function findCycles(options: CheckOptions): CycleReport {
  const srcDir = options.srcDir ?? 'src';
  const generatedDir = options.generatedDir ?? 'generated';
  const imports = collectImports(options);
  const folderEdges: Array<{ from: string; to: string; edge: ImportEdge }> = [];
  const fileEdges: Array<{ from: string; to: string; edge: ImportEdge }> = [];
  const generatedImportsSrc: ImportEdge[] = [];
  for (const edge of imports) {
    const from = folderNode(edge.file, srcDir, generatedDir);
    const to = folderNode(edge.target, srcDir, generatedDir);
    if (from === 'generated' && to !== undefined && to !== 'generated') generatedImportsSrc.push(edge);
    if (from !== undefined && to !== undefined && from !== to) folderEdges.push({ from, to, edge });
    if (from !== undefined && from !== 'generated' && to !== undefined && to !== 'generated') fileEdges.push({ from: edge.file, to: edge.target, edge });
  }
  return { folderCycles: cyclesOf(folderEdges), fileCycles: cyclesOf(fileEdges), generatedImportsSrc };
}

/** The report as lines of text; empty when there is nothing to report. */
export function formatReport(report: CycleReport): string[] {
  const lines: string[] = [];
  const step = (s: CycleStep) => `    ${s.from} -> ${s.to}: ${s.edge.file}:${s.edge.line} imports '${s.edge.specifier}'`;
  for (const c of report.folderCycles) {
    lines.push(`folder cycle: ${[...c.map((s) => s.from), c[0]!.from].join(' -> ')}`, ...c.map(step));
  }
  for (const c of report.fileCycles) {
    lines.push(`file cycle: ${[...c.map((s) => s.from), c[0]!.from].join(' -> ')}`, ...c.map(step));
  }
  for (const e of report.generatedImportsSrc) {
    lines.push(`generated/ imports src/: ${e.file}:${e.line} imports '${e.specifier}'`);
  }
  return lines;
}

function main(): number {
  const i = process.argv.indexOf('--root');
  const root = i >= 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]!) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const report = findCycles({ root });
  const lines = formatReport(report);
  if (lines.length) {
    for (const line of lines) console.error(line);
    const n = report.folderCycles.length + report.fileCycles.length;
    console.error(`check:cycles: ${n} cycle(s), ${report.generatedImportsSrc.length} generated/ → src/ import(s)`);
    return 1;
  }
  console.log('check:cycles: no import cycles (folders and files in src/), generated/ imports nothing from src/');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) process.exitCode = main();
