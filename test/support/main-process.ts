/** `src/main.ts` (what `npm start` runs) as a child process, with its output collected and waitable. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './spec.ts';

export interface MainProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves with the first match of `re` in the output so far or to come; rejects after timeoutMs. */
  line(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** `command` defaults to `node --import tsx src/main.ts`; the compiled build passes `['dist/src/main.js']`. */
export function startMain(env: Record<string, string>, command: string[] = ['--import', 'tsx', path.join(repoRoot, 'src', 'main.ts')], cwd = repoRoot): MainProcess {
  const child = spawn(process.execPath, command, {
    cwd,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    line: (re, timeoutMs = 15_000) => new Promise((resolve, reject) => {
      const check = () => {
        const m = out.match(re);
        if (!m) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve(m);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no ${re} in output: ${out}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    }),
  };
}

/** Stops a child: SIGKILL if it is still running (after a test that already checked its exit). */
export async function killMain(main: MainProcess): Promise<void> {
  if (main.child.exitCode === null && main.child.signalCode === null) {
    main.child.kill('SIGKILL');
    await main.exited;
  }
}
