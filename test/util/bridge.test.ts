import { expect } from 'chai';
import { bridge } from '../../src/util/bridge.ts';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('bridge', () => {
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    // give Node a macrotask turn to report any unhandled rejection before checking
    await new Promise((r) => setImmediate(r));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled, 'unhandled rejections').to.deep.equal([]);
  });

  it('serialize: runs calls strictly in order even when earlier ones are slower', async () => {
    const log: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const fire = bridge(
      async (i: number) => {
        log.push(`start ${i}`);
        await gates[i]!.promise;
        log.push(`end ${i}`);
      },
      { onError: (e) => log.push(`error ${String(e)}`), serialize: true },
    );
    fire(0);
    fire(1);
    fire(2);
    expect(fire.pending).to.equal(3);
    // release in reverse order: serialization must still finish 0, 1, 2
    gates[2]!.resolve();
    gates[1]!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(log).to.deep.equal(['start 0']);
    gates[0]!.resolve();
    await fire.idle();
    expect(log).to.deep.equal(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
    expect(fire.pending).to.equal(0);
  });

  it('concurrent (default): starts in call order, runs overlapped', async () => {
    const log: string[] = [];
    const gates = [deferred(), deferred()];
    const fire = bridge(
      async (i: number) => {
        log.push(`start ${i}`);
        await gates[i]!.promise;
        log.push(`end ${i}`);
      },
      { onError: () => undefined },
    );
    fire(0);
    fire(1);
    await new Promise((r) => setImmediate(r));
    expect(log).to.deep.equal(['start 0', 'start 1']);
    gates[1]!.resolve();
    gates[0]!.resolve();
    await fire.idle();
    expect(log).to.deep.equal(['start 0', 'start 1', 'end 1', 'end 0']);
  });

  it('never runs fn inside the caller stack', async () => {
    let ran = false;
    const fire = bridge(() => {
      ran = true;
    }, { onError: () => undefined });
    fire(undefined);
    expect(ran).to.equal(false);
    await fire.idle();
    expect(ran).to.equal(true);
  });

  for (const serialize of [false, true]) {
    describe(`errors (serialize: ${serialize})`, () => {
      it('a rejection goes to onError and later calls still run', async () => {
        const errors: unknown[] = [];
        const done: number[] = [];
        const fire = bridge(
          async (i: number) => {
            if (i === 1) throw new Error('boom 1');
            done.push(i);
          },
          { onError: (e) => errors.push(e), serialize },
        );
        fire(0);
        fire(1);
        fire(2);
        await fire.idle();
        expect(done).to.deep.equal([0, 2]);
        expect(errors.map((e) => (e as Error).message)).to.deep.equal(['boom 1']);
      });

      it('a synchronous throw goes to onError, the caller does not see it, later calls still run', async () => {
        const errors: unknown[] = [];
        const done: number[] = [];
        const fire = bridge(
          (i: number) => {
            if (i === 0) throw new Error('sync boom');
            done.push(i);
            return Promise.resolve();
          },
          { onError: (e) => errors.push(e), serialize },
        );
        expect(() => fire(0)).to.not.throw();
        fire(1);
        await fire.idle();
        expect(done).to.deep.equal([1]);
        expect(errors.map((e) => (e as Error).message)).to.deep.equal(['sync boom']);
      });

      it('an onError that throws is contained (no uncaught error, no unhandled rejection)', async () => {
        const done: number[] = [];
        const fire = bridge(
          async (i: number) => {
            if (i === 0) throw new Error('first');
            done.push(i);
          },
          {
            onError: () => {
              throw new Error('onError broke');
            },
            serialize,
          },
        );
        fire(0);
        fire(1);
        await fire.idle();
        expect(done).to.deep.equal([1]);
      });
    });
  }

  it('idle() resolves at once when nothing is pending', async () => {
    const fire = bridge(async () => undefined, { onError: () => undefined });
    expect(fire.pending).to.equal(0);
    await fire.idle();
  });
});
