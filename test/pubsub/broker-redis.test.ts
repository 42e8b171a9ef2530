import { expect } from 'chai';
import { createClient } from 'redis';
import type { BrokerEventHandler, HistoryResult, StreamPosition } from '../../src/pubsub/broker.ts';
import { createRedisBroker, RedisBroker, RedisBrokerError, type RedisBrokerOptions } from '../../src/pubsub/broker-redis.ts';
import { startRedis, type RedisServer } from '../support/redis-server.ts';
import { waitUntil } from '../support/wait.ts';
import { describeBrokerConformance } from './broker.conformance.ts';

/** One command on a short-lived plain connection (test-side inspection, never through the broker). */
async function redisCommand<T = unknown>(url: string, args: string[]): Promise<T> {
  const c = createClient({ url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.sendCommand(args)) as T;
  } finally {
    c.destroy();
  }
}

class Recorder implements BrokerEventHandler {
  readonly got: { topic: string; data: string; position: StreamPosition }[] = [];
  readonly states: ('down' | 'up')[] = [];
  onPublication(topic: string, data: string, position: StreamPosition): void {
    this.got.push({ topic, data, position });
  }
  onConnectionChange(state: 'down' | 'up'): void {
    this.states.push(state);
  }
}

async function rejection(p: Promise<unknown>): Promise<RedisBrokerError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(RedisBrokerError);
    return err as RedisBrokerError;
  }
  throw new Error('expected a rejection');
}

let seq = 0;
const topic = (name: string) => `test:${process.pid}:${++seq}:${name}`;

describe('RedisBroker', function () {
  this.timeout(20_000);
  let server: RedisServer;
  before(async () => {
    server = await startRedis();
  });
  after(async () => {
    await server?.stop();
  });

  describeBrokerConformance('redis', {
    shared: true,
    make: (policy) => createRedisBroker({ url: server.url, historyPolicy: () => policy }),
    // Redis loses history by losing its data: FLUSHALL, and the same broker goes on with what is left.
    loseHistory: async (old) => {
      await redisCommand(server.url, ['FLUSHALL']);
      return old;
    },
    cleanup: async () => undefined,
  });

  describe('on one redis-server', () => {
    const opened: RedisBroker[] = [];
    const open = async (options: RedisBrokerOptions = {}) => {
      const b = await createRedisBroker({ url: server.url, ...options });
      opened.push(b);
      return b;
    };
    afterEach(async () => {
      for (const b of opened.splice(0)) await b.close();
    });

    it('hash-tags every key and the channel of a topic with the topic, under the configured prefix', async () => {
      const b = await open({ prefix: 'twkeys' });
      const rec = new Recorder();
      b.setHandler(rec);
      const t = 'bars:AAPL:1m';
      await b.subscribe(t);
      await b.publish(t, '"x"');
      const keys = (await redisCommand<string[]>(server.url, ['KEYS', 'twkeys:*'])).sort();
      expect(keys).to.deep.equal(['twkeys:{bars:AAPL:1m}:meta', 'twkeys:{bars:AAPL:1m}:stream']);
      for (const k of keys) expect(/\{([^}]*)\}/.exec(k)?.[1], k).to.equal(t); // Redis Cluster hashes only the tag
      expect(await redisCommand(server.url, ['PUBSUB', 'CHANNELS', 'twkeys:*'])).to.deep.equal(['twkeys:{bars:AAPL:1m}:live']);
      expect(await redisCommand(server.url, ['TYPE', 'twkeys:{bars:AAPL:1m}:stream'])).to.equal('stream');
      expect(await redisCommand(server.url, ['HGETALL', 'twkeys:{bars:AAPL:1m}:meta'])).to.have.property('top', '1');
      expect(() => new RedisBroker({ url: server.url, prefix: 'a{b' })).to.throw(/prefix/);
    });

    it('two nodes asking for a fresh topic agree on its epoch (created once, atomically)', async () => {
      const [a, b] = [await open(), await open()];
      const t = topic('fresh');
      const [ha, hb] = await Promise.all([a.history(t, { limit: 10 }), b.history(t, { limit: 10 })]);
      expect(ha.position).to.deep.equal(hb.position);
      expect(ha.position.offset).to.equal(0);
      expect(await b.publish(t, '"1"')).to.deep.equal({ epoch: ha.position.epoch, offset: 1 });
    });

    it('publications older than the history TTL are `expired`, while the epoch and top live on in the meta', async () => {
      const b = await open({ historyPolicy: () => ({ size: 100, ttlMs: 30 }) });
      const t = topic('ttl');
      const p1 = await b.publish(t, '"a"');
      const p2 = await b.publish(t, '"b"');
      let h: HistoryResult;
      const deadline = Date.now() + 5000;
      // Waits on the broker's answer itself (each turn is one round trip), not on a fixed sleep.
      while ((h = await b.history(t, { since: p1, limit: 10 })).recoverable) {
        if (Date.now() > deadline) throw new Error('history never expired');
      }
      expect(h).to.deep.equal({ recoverable: false, position: p2, reason: 'expired' });
      expect(await b.history(t, { since: p2, limit: 10 })).to.deep.equal({ recoverable: true, position: p2, publications: [] });
      expect(await b.publish(t, '"c"')).to.deep.equal({ epoch: p1.epoch, offset: 3 });
    });

    it('a flushed script cache is reloaded (EVALSHA falls back to EVAL)', async () => {
      const b = await open();
      const t = topic('noscript');
      await b.publish(t, '"a"');
      await redisCommand(server.url, ['SCRIPT', 'FLUSH']);
      expect((await b.publish(t, '"b"')).offset).to.equal(2);
      const h = await b.history(t, { since: { epoch: (await b.publish(t, '"c"')).epoch, offset: 1 }, limit: 10 });
      expect(h.recoverable && h.publications.map((p) => p.data)).to.deep.equal(['"b"', '"c"']);
    });

    it('createRedisBroker rejects with BROKER_UNAVAILABLE when nothing listens, leaving nothing open', async () => {
      const err = await rejection(createRedisBroker({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 300, reconnectMaxDelayMs: 50 }));
      expect(err.code).to.equal('BROKER_UNAVAILABLE');
    });
  });

  describe('when redis-server dies', () => {
    const problems: unknown[] = [];
    const onProblem = (err: unknown) => problems.push(err);
    let own: RedisServer | undefined;
    let broker: RedisBroker | undefined;
    beforeEach(() => {
      problems.length = 0;
      process.on('unhandledRejection', onProblem);
      process.on('uncaughtException', onProblem);
    });
    afterEach(async () => {
      process.off('unhandledRejection', onProblem);
      process.off('uncaughtException', onProblem);
      await broker?.close();
      await own?.stop();
      broker = own = undefined;
    });

    const setup = async (persistence: boolean) => {
      own = await startRedis({ persistence });
      const logs: string[] = [];
      // A long command timeout: a publish that rejected while Redis is down did so because it is down, not by timing out.
      broker = await createRedisBroker({ url: own.url, reconnectMaxDelayMs: 200, commandTimeoutMs: 10_000, log: (l) => logs.push(l) });
      const rec = new Recorder();
      broker.setHandler(rec);
      return { own, broker, rec, logs };
    };

    it('SIGKILL: down, publish/history/subscribe reject at once; restarted: up, resubscribed, new epoch (no persistence)', async () => {
      const { own, broker, rec, logs } = await setup(false);
      const t = topic('kill');
      const left = topic('left-while-down');
      await broker.subscribe(t);
      await broker.subscribe(left);
      const before = await broker.publish(t, '"before"');
      await waitUntil(() => rec.got.length === 1, 'the first publication');

      await own.kill('SIGKILL');
      await waitUntil(() => rec.states.includes('down'), "onConnectionChange('down')");
      expect((await rejection(broker.publish(t, '"while down"'))).code).to.equal('BROKER_UNAVAILABLE');
      expect((await rejection(broker.history(t, { since: before, limit: 10 }))).code).to.equal('BROKER_UNAVAILABLE');
      expect((await rejection(broker.subscribe(topic('other')))).code).to.equal('BROKER_UNAVAILABLE');
      await broker.unsubscribe(left); // resolves while down
      expect(rec.states).to.deep.equal(['down']);

      await own.restart();
      await waitUntil(() => rec.states.includes('up'), "onConnectionChange('up')", 10_000);
      expect(rec.states).to.deep.equal(['down', 'up']);
      await broker.publish(left, '"not for this node any more"');
      const after = await broker.publish(t, '"after"');
      await waitUntil(() => rec.got.length >= 2, 'a publication after the restart, on the resubscribed channel');
      expect(rec.got.slice(1)).to.deep.equal([{ topic: t, data: '"after"', position: after }]);
      const deadline = Date.now() + 5000; // the channel left while down is unsubscribed after the reconnect
      while ((await redisCommand<string[]>(own.url, ['PUBSUB', 'CHANNELS', `tw:{${left}}:live`])).length > 0) {
        if (Date.now() > deadline) throw new Error(`${left} still subscribed`);
      }
      expect(after.offset).to.equal(1);
      expect(after.epoch).to.not.equal(before.epoch);
      expect(await broker.history(t, { since: before, limit: 10 })).to.deep.equal({ recoverable: false, position: after, reason: 'epoch' });
      expect(problems).to.deep.equal([]);
      expect(logs.some((l) => /lost/.test(l)) && logs.some((l) => /connected again/.test(l)), logs.join('\n')).to.equal(true);
    });

    it('SIGKILL with persistence (appendonly): after the restart an old position recovers under the same epoch', async () => {
      const { own, broker, rec } = await setup(true);
      const t = topic('aof');
      const p: StreamPosition[] = [];
      for (let i = 1; i <= 3; i++) p.push(await broker.publish(t, `"m${i}"`));
      await own.kill('SIGKILL');
      await waitUntil(() => rec.states.includes('down'), "onConnectionChange('down')");
      await own.restart();
      await waitUntil(() => rec.states.includes('up'), "onConnectionChange('up')", 10_000);
      expect(await broker.history(t, { since: p[0]!, limit: 10 })).to.deep.equal({
        recoverable: true,
        position: p[2],
        publications: [{ offset: 2, data: '"m2"' }, { offset: 3, data: '"m3"' }],
      });
      expect(await broker.publish(t, '"m4"')).to.deep.equal({ epoch: p[0]!.epoch, offset: 4 });
      expect(problems).to.deep.equal([]);
    });
  });
});
