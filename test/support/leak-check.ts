/**
 * Mocha root hook (.mocharc.json `require`): after the last test, nothing may be left that keeps the process alive.
 *
 * The run has no `exit: true`, so mocha ends only when the event loop is empty: a server, socket, child process or
 * timer left open by a test or by a src stop() path would hang `npm test`. This hook waits briefly for closes in
 * flight, then fails the run (an "after all" hook failure, counted before the summary line) listing what is still
 * open, and arms an unref'd timer that ends the process a moment later so the leak fails CI instead of hanging it.
 * Unref'd handles and timers do not keep the process alive and are not reported.
 */
import type { ChildProcess } from 'node:child_process';
import type { Server, Socket } from 'node:net';

/** How long closes in flight (a socket's FIN, a child's exit) may take after the last test. */
const GRACE_MS = 2000;

type Proc = NodeJS.Process & { _getActiveHandles(): unknown[]; _getActiveRequests(): unknown[] };

function describeHandle(h: unknown): string {
  const name = (h as object)?.constructor?.name ?? typeof h;
  if (name === 'ChildProcess') {
    const c = h as ChildProcess;
    return `child process ${c.pid}: ${c.spawnargs.join(' ').slice(0, 200)}`;
  }
  if (typeof (h as Server).listening === 'boolean' && typeof (h as Server).address === 'function' && !('remotePort' in (h as object))) {
    return `${name} listening on ${JSON.stringify((h as Server).address())}`;
  }
  if ('remotePort' in (h as object) || 'localPort' in (h as object)) {
    const s = h as Socket;
    return s.remotePort !== undefined ? `${name} ${s.localAddress}:${s.localPort} -> ${s.remoteAddress}:${s.remotePort}` : `${name} (not connected, or a pipe)`;
  }
  return name;
}

/** What keeps the process alive right now, besides stdio: one line per handle, request and ref'd timer. */
export function openResources(): string[] {
  const proc = process as Proc;
  const stdio = new Set<unknown>([process.stdin, process.stdout, process.stderr]);
  const out = proc._getActiveHandles().filter((h) => !stdio.has(h)).map(describeHandle);
  for (const r of proc._getActiveRequests()) out.push(`request ${(r as object)?.constructor?.name ?? typeof r}`);
  const timers = process.getActiveResourcesInfo().filter((t) => t === 'Timeout').length;
  if (timers > 0) out.push(`${timers} ref'd timer(s) (setTimeout/setInterval not cleared or unref'd)`);
  return out;
}

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    // Mocha arms this hook's timeout timer once the hook has returned its promise; that timer would count as an
    // open one, so drop it (after the first await) and bound the wait here instead.
    await Promise.resolve();
    this.runnable().clearTimeout();
    const deadline = Date.now() + GRACE_MS;
    let open = openResources();
    while (open.length > 0 && Date.now() < deadline) {
      // resumed from an immediate, so this wait's own timer is gone when we look again
      await new Promise((resolve) => setTimeout(() => setImmediate(resolve), 25));
      open = openResources();
    }
    if (open.length === 0) return;
    setTimeout(() => process.exit(process.exitCode || 1), GRACE_MS).unref();
    throw new Error(`still open after the last test (they would keep \`npm test\` from exiting):\n  ${open.join('\n  ')}`);
  },
};
