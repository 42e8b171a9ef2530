import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { exitOnSignals } from '../src/shutdown.ts';
import { waitUntil } from './support/wait.ts';

function rig(stop: () => Promise<void>, timeoutMs?: number) {
  const proc = Object.assign(new EventEmitter(), { codes: [] as number[], exit(code: number) { proc.codes.push(code); } });
  const lines: string[] = [];
  const errors: string[] = [];
  let stops = 0;
  exitOnSignals({
    app: { stop: () => (stops++, stop()) },
    proc,
    log: (l) => lines.push(l),
    error: (l) => errors.push(l),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  return { proc, lines, errors, stops: () => stops };
}

describe('shutdown: exitOnSignals', () => {
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('SIGTERM stops the app once and exits 0; a second signal is ignored', async () => {
    const r = rig(async () => undefined);
    r.proc.emit('SIGTERM');
    r.proc.emit('SIGINT');
    await waitUntil(() => r.proc.codes.length > 0, 'exit');
    expect(r.proc.codes).to.deep.equal([0]);
    expect(r.stops()).to.equal(1);
    expect(r.lines).to.deep.equal(['tickwire: SIGTERM received, shutting down', 'tickwire: stopped']);
  });

  it('a stop() that rejects is reported and exits 1, never an unhandled rejection', async () => {
    const r = rig(() => Promise.reject(new Error('stop broke')));
    r.proc.emit('SIGINT');
    await waitUntil(() => r.proc.codes.length > 0 || unhandled.length > 0, 'exit or an unhandled rejection');
    await new Promise((res) => setImmediate(res));
    expect(unhandled.map((e) => (e as Error).message), 'unhandled rejections').to.deep.equal([]);
    expect(r.proc.codes).to.deep.equal([1]);
    expect(r.errors).to.deep.equal(['tickwire: shutdown failed: stop broke']);
  });

  it('a stop() that never settles exits 1 after timeoutMs', async () => {
    const r = rig(() => new Promise<void>(() => undefined), 20);
    r.proc.emit('SIGTERM');
    await waitUntil(() => r.proc.codes.length > 0, 'exit');
    expect(r.proc.codes).to.deep.equal([1]);
    expect(r.errors).to.deep.equal(['tickwire: shutdown took over 0.02 s; exiting']);
  });
});
