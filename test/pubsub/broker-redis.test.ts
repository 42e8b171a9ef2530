import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

/** Redis's clock in ms (interest expiries are on it). */
async function redisTime(url: string): Promise<number> {
  const [s, us] = await redisCommand<string[]>(url, ['TIME']);
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

class Recorder implements BrokerEventHandler {
  readonly got: { topic: string; data: string; position: StreamPosition }[] = [];
  readonly states: ('down' | 'up')[] = [];
  /** onInterest calls, as `+topic` / `-topic`. */
  readonly interest: string[] = [];
  onPublication(topic: string, data: string, position: StreamPosition): void {
    this.got.push({ topic, data, position });
  }
  onConnectionChange(state: 'down' | 'up'): void {
    this.states.push(state);
  }
  onInterest(topic: string, interested: boolean): void {
    this.interest.push(`${interested ? '+' : '-'}${topic}`);
  }
  interestIn(topic: string): string[] {
    return this.interest.filter((x) => x.slice(1) === topic);
  }
}

const BROKER_MODULE = fileURLToPath(new URL('../../src/pubsub/broker-redis.ts', import.meta.url));

/**
 * A node in another process that subscribes `topic` and then idles, so the test can SIGKILL it: a real crash (no
 * close, no unsubscribe, its refresh timer dies with it). Resolves with the process and the node's id once subscribed.
 */
async function spawnNode(url: string, topic: string, interestTtlMs: number): Promise<{ child: ChildProcess; nodeId: string }> {
  const code = `
    const { createRedisBroker } = await import(process.argv[1]);
    const b = await createRedisBroker({ url: process.argv[2], interestTtlMs: Number(process.argv[4]) });
    await b.subscribe(process.argv[3]);
    process.stdout.write('subscribed ' + b.nodeId + '\\n');
    setInterval(() => undefined, 60_000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, BROKER_MODULE, url, topic, String(interestTtlMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitUntil(() => exited || /subscribed \S+\n/.test(out), () => `the child node to subscribe; output: ${out}`, 15_000);
  const m = /subscribed (\S+)\n/.exec(out);
  if (!m) throw new Error(`the child node exited: ${out}`);
  return { child, nodeId: m[1]! };
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

    it('hash-tags every key and the channel of a topic with the topic, under the configured prefix; interest is one set', async () => {
      const b = await open({ prefix: 'twkeys' });
      const rec = new Recorder();
      b.setHandler(rec);
      const t = 'bars:AAPL:1m';
      await b.subscribe(t);
      const p = await b.publish(t, '"x"', { snapshot: ['"s"'] });
      const keys = (await redisCommand<string[]>(server.url, ['KEYS', 'twkeys:*'])).sort();
      expect(keys).to.deep.equal(['twkeys:interest', 'twkeys:{bars:AAPL:1m}:meta', 'twkeys:{bars:AAPL:1m}:snap', 'twkeys:{bars:AAPL:1m}:stream']);
      for (const k of keys.slice(1)) expect(/\{([^}]*)\}/.exec(k)?.[1], k).to.equal(t); // Redis Cluster hashes only the tag
      expect(await redisCommand(server.url, ['PUBSUB', 'CHANNELS', 'twkeys:*'])).to.deep.equal(['twkeys:{bars:AAPL:1m}:live']);
      expect(await redisCommand(server.url, ['TYPE', 'twkeys:{bars:AAPL:1m}:stream'])).to.equal('stream');
      expect(await redisCommand(server.url, ['HGETALL', 'twkeys:{bars:AAPL:1m}:meta'])).to.have.property('top', '1');
      expect(await redisCommand(server.url, ['HGETALL', 'twkeys:{bars:AAPL:1m}:snap'])).to.deep.equal({ epoch: p.epoch, offset: '1', data: '["\\"s\\""]' });
      expect(await redisCommand(server.url, ['ZRANGE', 'twkeys:interest', '0', '-1'])).to.deep.equal([`${b.nodeId}|${t}`]);
      await b.watchInterest();
      expect(await redisCommand(server.url, ['PUBSUB', 'CHANNELS', 'twkeys:interest*'])).to.deep.equal(['twkeys:interest:changes']);
      expect(() => new RedisBroker({ url: server.url, prefix: 'a{b' })).to.throw(/prefix/);
    });

    it('a snapshot lives as long as the meta, is dropped by a publication without one, and never outlives its epoch', async () => {
      const b = await open({ metaTtlMs: 60_000, historyPolicy: () => ({ size: 10, ttlMs: 1000 }) });
      const t = topic('snapkeys');
      const [meta, snap] = [`tw:{${t}}:meta`, `tw:{${t}}:snap`];
      await b.publish(t, '"a"', { snapshot: ['1'] });
      const [metaTtl, snapTtl] = await Promise.all([redisCommand<number>(server.url, ['PTTL', meta]), redisCommand<number>(server.url, ['PTTL', snap])]);
      expect(metaTtl).to.be.within(50_000, 60_000);
      expect(Math.abs(snapTtl - metaTtl)).to.be.below(1000);
      await b.publish(t, '"b"');
      expect(await redisCommand(server.url, ['EXISTS', snap])).to.equal(0);

      // A snapshot current to offset 0 of a topic whose meta then expires: the new epoch also starts at offset 0,
      // and the old snapshot must not pass for its state.
      const fresh = topic('snapepoch');
      const p0 = await b.setSnapshot(fresh, ['"old state"']);
      expect(await b.history(fresh, { limit: 10, snapshot: true })).to.have.property('snapshot').that.deep.equals(['"old state"']);
      await redisCommand(server.url, ['DEL', `tw:{${fresh}}:meta`]);
      const h = await b.history(fresh, { limit: 10, snapshot: true });
      expect(h.position.offset).to.equal(0);
      expect(h.position.epoch).to.not.equal(p0.epoch);
      expect(h).to.deep.equal({ recoverable: true, position: h.position, publications: [] });
      expect(await redisCommand(server.url, ['EXISTS', `tw:{${fresh}}:snap`])).to.equal(0);
    });

    it('interest: a member per node and topic, expiring interestTtlMs after its refresh; a topic stays wanted while any node wants it', async () => {
      const ttl = 3000;
      const [a, b, watcher] = [await open({ interestTtlMs: ttl }), await open({ interestTtlMs: ttl }), await open({ interestTtlMs: ttl })];
      const rec = new Recorder();
      watcher.setHandler(rec);
      await watcher.watchInterest();
      const t = topic('shared-interest');
      const before = await redisTime(server.url);
      await a.subscribe(t);
      const score = Number(await redisCommand<string>(server.url, ['ZSCORE', 'tw:interest', `${a.nodeId}|${t}`]));
      expect(score).to.be.within(before + ttl, (await redisTime(server.url)) + ttl);
      await b.subscribe(t);
      await waitUntil(async () => (await redisCommand<string[]>(server.url, ['ZRANGE', 'tw:interest', '0', '-1'])).includes(`${b.nodeId}|${t}`), "node b's member");
      await a.unsubscribe(t);
      expect(await redisCommand(server.url, ['ZSCORE', 'tw:interest', `${a.nodeId}|${t}`])).to.equal(null);
      // A marker announced after a's withdrawal: once it is heard, so was the withdrawal (one channel, in order).
      const marker = topic('marker');
      await a.subscribe(marker);
      await waitUntil(() => rec.interest.includes(`+${marker}`), 'the marker');
      expect(rec.interestIn(t)).to.deep.equal([`+${t}`]);
      // A graceful close withdraws the node's interest at once.
      await b.close();
      await waitUntil(() => rec.interest.includes(`-${t}`), 'the interest ending with the last node');
      expect(rec.interestIn(t)).to.deep.equal([`+${t}`, `-${t}`]);
    });

    describe('a node that crashes', () => {
      let child: ChildProcess | undefined;
      afterEach(() => {
        child?.kill('SIGKILL');
        child = undefined;
      });

      it('interest: the watcher reports its interest gone once it expires, interestTtlMs after its last refresh', async () => {
        const ttl = 400;
        const watcher = await open({ interestTtlMs: ttl });
        const rec = new Recorder();
        watcher.setHandler(rec);
        await watcher.watchInterest();
        const t = topic('crash');
        const node = await spawnNode(server.url, t, ttl);
        child = node.child;
        await waitUntil(() => rec.interest.includes(`+${t}`), 'interest from the child node');
        const member = `${node.nodeId}|${t}`;
        const exited = new Promise((resolve) => node.child.once('exit', resolve));
        const expiry = Number(await redisCommand<string>(server.url, ['ZSCORE', 'tw:interest', member]));
        node.child.kill('SIGKILL');
        await exited;
        const killedAt = Date.now();
        await waitUntil(() => rec.interest.includes(`-${t}`), 'the crashed node’s interest lapsing', 5000);
        const lapsedAfter = Date.now() - killedAt;
        // Not before its expiry (the last refresh may have moved it later), and not long after it.
        expect(await redisTime(server.url)).to.be.at.least(expiry);
        expect(lapsedAfter).to.be.below(ttl + 1500);
        expect(rec.interestIn(t)).to.deep.equal([`+${t}`, `-${t}`]);
        expect(await redisCommand(server.url, ['ZSCORE', 'tw:interest', member])).to.equal(null);
      });
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

    it('interest survives a restart that loses it: nodes put theirs back, a watcher reports nothing gone meanwhile', async () => {
      const ttl = 1500;
      own = await startRedis({ persistence: false });
      const url = own.url;
      // The watcher reconnects at once; the edge only after its backoff (about a second later, within one TTL), so the
      // watcher's first load after the restart misses the edge's member, whose last known expiry has passed.
      broker = await createRedisBroker({ url, reconnectMaxDelayMs: 100, commandTimeoutMs: 10_000, interestTtlMs: ttl });
      const rec = new Recorder();
      broker.setHandler(rec);
      const edge = await createRedisBroker({ url, reconnectMaxDelayMs: 1000, commandTimeoutMs: 10_000, interestTtlMs: ttl });
      const edgeRec = new Recorder();
      edge.setHandler(edgeRec);
      let late: RedisBroker | undefined;
      try {
        await broker.watchInterest();
        const t = topic('restart');
        await edge.subscribe(t);
        await waitUntil(() => rec.interest.includes(`+${t}`), 'interest before the restart');

        const killedAt = Date.now();
        await own.kill('SIGKILL');
        // An outage longer than the TTL: every expiry the watcher knows of passes while Redis is away.
        await waitUntil(() => Date.now() - killedAt > ttl + 100, 'an outage longer than the interest TTL', ttl + 2000);
        await own.restart();
        await waitUntil(() => rec.states.includes('up') && edgeRec.states.includes('up'), "both nodes' onConnectionChange('up')", 10_000);
        // The edge put its interest back, so a watcher that starts now sees it.
        const rec2 = new Recorder();
        late = await createRedisBroker({ url, interestTtlMs: ttl });
        late.setHandler(rec2);
        await late.watchInterest();
        await waitUntil(() => rec2.interest.includes(`+${t}`), 'a new watcher hearing the re-added interest');
        const readdedAt = await redisTime(url);
        // Announcements flow again.
        const u = topic('after-restart');
        await edge.subscribe(u);
        await waitUntil(() => rec.interest.includes(`+${u}`), 'interest announced after the restart');
        // The first watcher has reloaded since the edge re-added its member (it reloads every ttl/3).
        await waitUntil(async () => (await redisTime(url)) > readdedAt + ttl / 3 + 100, 'a reload after the re-add', 5000);
        expect(rec.interestIn(t)).to.deep.equal([`+${t}`]);
        await edge.unsubscribe(t);
        await waitUntil(() => rec.interest.includes(`-${t}`), 'the interest withdrawn after the restart');
        expect(problems).to.deep.equal([]);
      } finally {
        await edge.close();
        await late?.close();
      }
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
