import { createHash, randomBytes } from 'node:crypto';
import { ClientClosedError, createClient, DisconnectsClientError, ErrorReply, TimeoutError } from 'redis';
import {
  recoverability,
  type Broker,
  type BrokerEventHandler,
  type HistoryOptions,
  type HistoryPolicyOf,
  type HistoryResult,
  type Publication,
  type StreamPosition,
} from './broker.ts';

/**
 * Redis broker (Centrifugo's Redis engine is the model). Many nodes share one Redis; each topic has
 *
 *   `<prefix>:{<topic>}:meta`    hash: `epoch`, `top` (the last offset). PEXPIRE metaTtlMs after every publish and read.
 *   `<prefix>:{<topic>}:stream`  stream: entry id `<offset>-0`, fields `d` (the data) and `t` (Redis TIME, ms).
 *                                XADD MAXLEN = history size (exact); PEXPIRE = history TTL after every publish.
 *   `<prefix>:{<topic>}:live`    pub/sub channel; payload `<epoch>:<offset>:<data>` (epoch is base64url, no ':').
 *
 * The `{<topic>}` hash tag puts one topic's keys in one Redis Cluster slot, so each script touches one slot.
 *
 * Publishing is one Lua script (PUBLISH_SCRIPT): create the meta with the caller's candidate epoch if it is missing,
 * HINCRBY top, XADD with id = offset, PEXPIRE both keys, PUBLISH. So the position is assigned atomically with storing
 * the publication, and every node sees publications of a topic in offset order.
 *
 * History TTL: every entry carries its publish time (Redis's clock, one clock for all nodes); the history script
 * trims entries older than the TTL from the head (XTRIM MINID) before answering, so `first` is the oldest entry that
 * is still fresh, exactly as the memory broker's sweep-on-read. The stream key also expires as a whole after TTL
 * without publications (it would hold only expired entries), while the meta lives on (metaTtlMs, default 24 h): a
 * topic idle longer than its TTL keeps its epoch and top, so an old position is refused with 'expired', not 'epoch'.
 * A topic whose meta is gone (idle past metaTtlMs, FLUSHALL, a restart without persistence) gets a new epoch and
 * starts again at offset 1; the stale stream, if any, is deleted when that happens.
 *
 * Connections: one command connection (scripts, history) and one dedicated subscriber connection (duplicate()).
 * Both reconnect by themselves with capped exponential backoff and jitter; node-redis resubscribes every channel
 * before the subscriber reports 'ready'. The handler hears 'down' when either connection is lost and 'up' once both
 * are ready again (every topic resubscribed).
 *
 * Failure rule: nothing is queued while a connection is down. `publish`, `history` and `subscribe` reject at once
 * with RedisBrokerError code 'BROKER_UNAVAILABLE' (node-redis `disableOfflineQueue`), and a command whose reply does
 * not come within `commandTimeoutMs` rejects with 'BROKER_TIMEOUT'. A rejected publish may still have been stored
 * (the connection died after Redis ran the script): the publisher must not assume it was not. `unsubscribe` while the
 * subscriber is down resolves at once: the topic's publications are filtered out locally and its channel is
 * unsubscribed after the reconnect.
 *
 * Needs Redis >= 6.2 (XTRIM MINID). Redis Cluster: keys are tagged for it, but this class talks to one node.
 */
export interface RedisBrokerOptions {
  /** `redis://host:port[/db]`; default redis://127.0.0.1:6379. */
  url?: string;
  /** Key and channel prefix, default `tw`. Must not contain `{` or `}` (they would change the hash tag). */
  prefix?: string;
  /** History bounds per topic; default 1000 publications for 5 minutes. */
  historyPolicy?: HistoryPolicyOf;
  /** How long a topic's epoch and top outlive its last publication or read (default 24 h; never less than the history TTL). */
  metaTtlMs?: number;
  /** A command (script, history, subscribe) without a reply in this time rejects with BROKER_TIMEOUT (default 5000). */
  commandTimeoutMs?: number;
  /** `createRedisBroker` rejects when both connections are not ready within this time (default 10 000). */
  connectTimeoutMs?: number;
  /** Reconnect backoff: 100 ms doubling up to this cap (default 5000), plus up to 20% jitter. */
  reconnectMaxDelayMs?: number;
  log?: (line: string) => void;
}

export type RedisBrokerErrorCode = 'BROKER_UNAVAILABLE' | 'BROKER_TIMEOUT' | 'BROKER_CLOSED' | 'BROKER_FAILED';

/** A failed broker operation; `code` is stable, `cause` is the client's error. */
export class RedisBrokerError extends Error {
  constructor(
    readonly code: RedisBrokerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'RedisBrokerError';
  }
}

/**
 * KEYS: meta, stream. ARGV: candidate epoch, data, history size, history ttl ms, meta ttl ms, channel.
 * Returns {epoch, offset}.
 */
export const PUBLISH_SCRIPT = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch)
end
local top = redis.call('HINCRBY', KEYS[1], 'top', 1)
if top == 1 then
  redis.call('DEL', KEYS[2])
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], top .. '-0', 'd', ARGV[2], 't', now)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PUBLISH', ARGV[6], epoch .. ':' .. top .. ':' .. ARGV[2])
return {epoch, top}
`;

/**
 * KEYS: meta, stream. ARGV: candidate epoch, meta ttl ms, history ttl ms, since offset (-1: none), limit.
 * Creates the meta (offset 0) when missing, trims expired entries from the head, and returns
 * {epoch, top, first, {offset, data, ...}}; the publications after `since` are read only when all of them are kept
 * and there are at most `limit` (the caller applies `recoverability()` to decide).
 */
export const HISTORY_SCRIPT = `
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'top')
local epoch = meta[1]
local top = tonumber(meta[2]) or 0
if not epoch then
  epoch = ARGV[1]
  top = 0
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'top', 0)
  redis.call('DEL', KEYS[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local function offsetOf(entry)
  return tonumber(string.match(entry[1], '^(%d+)'))
end
local function timeOf(entry)
  local f = entry[2]
  for i = 1, #f, 2 do
    if f[i] == 't' then return tonumber(f[i + 1]) end
  end
  return 0
end
local t = redis.call('TIME')
local cutoff = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[3])
local first = top + 1
while true do
  local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 64)
  if #head == 0 then break end
  local fresh = 0
  for i = 1, #head do
    if timeOf(head[i]) >= cutoff then fresh = i break end
  end
  if fresh > 0 then
    first = offsetOf(head[fresh])
    if fresh > 1 then redis.call('XTRIM', KEYS[2], 'MINID', first) end
    break
  end
  redis.call('XTRIM', KEYS[2], 'MINID', offsetOf(head[#head]) + 1)
end
local since = tonumber(ARGV[4])
local limit = tonumber(ARGV[5])
local pubs = {}
if since >= 0 and since < top and top - since <= limit and since + 1 >= first then
  local range = redis.call('XRANGE', KEYS[2], (since + 1) .. '-0', '+', 'COUNT', limit)
  for i = 1, #range do
    local f = range[i][2]
    local data = ''
    for j = 1, #f, 2 do
      if f[j] == 'd' then data = f[j + 1] end
    end
    pubs[#pubs + 1] = offsetOf(range[i])
    pubs[#pubs + 1] = data
  end
end
return {epoch, top, first, pubs}
`;

type RedisClient = ReturnType<typeof createClient>;

class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

/** A short random stream name: 8 URL-safe characters (48 bits); a fresh candidate for every call. */
function candidateEpoch(): string {
  return randomBytes(6).toString('base64url');
}

/** Connects both connections and loads the scripts; rejects (with nothing left open) when Redis is not reachable in time. */
export async function createRedisBroker(options: RedisBrokerOptions = {}): Promise<RedisBroker> {
  const broker = new RedisBroker(options);
  await broker.connect();
  return broker;
}

export class RedisBroker implements Broker {
  private handler: BrokerEventHandler | undefined;
  private readonly cmd: RedisClient;
  private readonly sub: RedisClient;
  /** Topics this node is subscribed to; publications on any other channel are dropped. */
  private readonly subscribed = new Set<string>();
  /** Topics unsubscribed while the subscriber connection was down (node-redis would resubscribe them). */
  private readonly unsubscribeLater = new Set<string>();
  private readonly prefix: string;
  private readonly policy: HistoryPolicyOf;
  private readonly metaTtlMs: number;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly publishScript = new Script(PUBLISH_SCRIPT);
  private readonly historyScript = new Script(HISTORY_SCRIPT);
  private up = false;
  private connected = false;
  private closing = false;
  /** Per connection: whether its error since it was last ready has been logged (node-redis reports every retry). */
  private readonly errorLogged = { command: false, subscriber: false };
  private readonly onMessage = (message: string, channel: string) => this.deliver(message, channel);

  constructor(options: RedisBrokerOptions = {}) {
    this.prefix = options.prefix ?? 'tw';
    if (/[{}]/.test(this.prefix)) throw new Error(`redis broker: prefix must not contain '{' or '}': ${this.prefix}`);
    this.policy = options.historyPolicy ?? (() => ({ size: 1000, ttlMs: 300_000 }));
    this.metaTtlMs = options.metaTtlMs ?? 86_400_000;
    this.timeoutMs = options.commandTimeoutMs ?? 5000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.log = options.log ?? (() => undefined);
    const cap = options.reconnectMaxDelayMs ?? 5000;
    this.cmd = createClient({
      url: options.url ?? 'redis://127.0.0.1:6379',
      disableOfflineQueue: true,
      commandOptions: { timeout: this.timeoutMs },
      socket: {
        connectTimeout: Math.min(this.timeoutMs, 5000),
        reconnectStrategy: (retries) => {
          const base = Math.min(cap, 100 * 2 ** Math.min(retries, 16));
          return Math.round(base + Math.random() * base * 0.2);
        },
      },
    });
    this.sub = this.cmd.duplicate();
    this.watch(this.cmd, 'command');
    this.watch(this.sub, 'subscriber');
  }

  /** Opens both connections and loads the scripts. Called once (createRedisBroker does). */
  async connect(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisBrokerError('BROKER_UNAVAILABLE', `redis not ready within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
    });
    const connecting = Promise.all([this.cmd.connect(), this.sub.connect()]);
    connecting.catch(() => undefined); // after a timeout, destroy() makes it reject; that is expected
    try {
      await Promise.race([connecting, timedOut]);
      await Promise.race([this.cmd.sendCommand(['SCRIPT', 'LOAD', this.publishScript.source]), timedOut]);
      await Promise.race([this.cmd.sendCommand(['SCRIPT', 'LOAD', this.historyScript.source]), timedOut]);
    } catch (err) {
      const failure = this.wrap(err, 'connect');
      this.closing = true;
      this.cmd.destroy();
      this.sub.destroy();
      throw failure;
    } finally {
      clearTimeout(timer);
    }
    this.connected = true;
    this.up = true;
  }

  setHandler(handler: BrokerEventHandler): void {
    this.handler = handler;
  }

  /** Resolves once Redis confirmed the subscription. Rejects at once while the subscriber connection is down. */
  async subscribe(topic: string): Promise<void> {
    if (this.closing) throw new RedisBrokerError('BROKER_CLOSED', 'broker closed');
    if (!this.sub.isReady) throw new RedisBrokerError('BROKER_UNAVAILABLE', `cannot subscribe ${topic}: redis connection down`);
    this.subscribed.add(topic);
    this.unsubscribeLater.delete(topic);
    const done = this.sub.subscribe(this.channel(topic), this.onMessage);
    try {
      await this.bounded(done, `subscribe ${topic}`);
    } catch (err) {
      this.subscribed.delete(topic);
      // A subscription confirmed after its timeout is undone; its publications are filtered out until then.
      done.then(() => this.subscribed.has(topic) || this.dropChannel(topic), () => undefined);
      throw this.wrap(err, `subscribe ${topic}`);
    }
  }

  /**
   * Resolves once Redis confirmed it. While the subscriber connection is down it resolves at once: the topic's
   * publications are filtered out from then on, and the channel is unsubscribed after the reconnect.
   */
  async unsubscribe(topic: string): Promise<void> {
    if (!this.subscribed.delete(topic) || this.closing) return;
    if (!this.sub.isReady) {
      this.unsubscribeLater.add(topic);
      return;
    }
    try {
      await this.bounded(this.sub.unsubscribe(this.channel(topic), this.onMessage), `unsubscribe ${topic}`);
    } catch (err) {
      throw this.wrap(err, `unsubscribe ${topic}`);
    }
  }

  async publish(topic: string, data: string): Promise<StreamPosition> {
    const { size, ttlMs } = this.policy(topic);
    const reply = (await this.script(this.publishScript, [this.metaKey(topic), this.streamKey(topic)], [
      candidateEpoch(),
      data,
      String(size),
      String(Math.max(1, ttlMs)),
      String(Math.max(this.metaTtlMs, ttlMs)),
      this.channel(topic),
    ], `publish ${topic}`)) as [string, number];
    return { epoch: String(reply[0]), offset: Number(reply[1]) };
  }

  async history(topic: string, options: HistoryOptions): Promise<HistoryResult> {
    const { ttlMs } = this.policy(topic);
    const { since } = options;
    const reply = (await this.script(this.historyScript, [this.metaKey(topic), this.streamKey(topic)], [
      candidateEpoch(),
      String(Math.max(this.metaTtlMs, ttlMs)),
      String(Math.max(1, ttlMs)),
      String(since ? since.offset : -1),
      String(Math.max(0, options.limit)),
    ], `history ${topic}`)) as [string, number, number, (string | number)[]];
    const position = { epoch: String(reply[0]), offset: Number(reply[1]) };
    if (!since) return { recoverable: true, position, publications: [] };
    const reason = recoverability(since, position, Number(reply[2]), options.limit);
    if (reason) return { recoverable: false, position, reason };
    const flat = reply[3];
    const publications: Publication[] = [];
    for (let i = 0; i < flat.length; i += 2) publications.push({ offset: Number(flat[i]), data: String(flat[i + 1]) });
    // The script reads under the same rule, atomically: anything else is a bug, never a partial answer.
    const contiguous = publications.every((p, i) => p.offset === since.offset + 1 + i);
    if (publications.length !== position.offset - since.offset || !contiguous) {
      throw new RedisBrokerError('BROKER_FAILED', `history ${topic}: inconsistent range after ${since.offset} (top ${position.offset})`);
    }
    return { recoverable: true, position, publications };
  }

  /** Quits both connections (gracefully when they are up, bounded by commandTimeoutMs; at once when they are down). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.subscribed.clear();
    await Promise.all([this.shut(this.cmd), this.shut(this.sub)]);
  }

  private async shut(client: RedisClient): Promise<void> {
    if (client.isOpen && client.isReady) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([client.close().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, this.timeoutMs)))]);
      clearTimeout(timer);
    }
    client.destroy();
  }

  private watch(client: RedisClient, name: 'command' | 'subscriber'): void {
    // node-redis emits 'error' for every failed attempt while reconnecting; without a listener it would be thrown.
    client.on('error', (err: Error) => {
      if (this.closing || this.errorLogged[name]) return;
      this.errorLogged[name] = true;
      this.log(`redis broker: ${name} connection error: ${err.message || err.name}`);
    });
    client.on('reconnecting', () => this.lost(name));
    client.on('terminated', () => this.lost(name));
    client.on('ready', () => {
      this.errorLogged[name] = false;
      this.regained();
    });
  }

  private lost(name: string): void {
    if (this.closing || !this.up) return;
    this.up = false;
    this.log(`redis broker: ${name} connection lost; reconnecting`);
    this.notify('down');
  }

  private regained(): void {
    if (this.closing || this.up || !this.connected || !this.cmd.isReady || !this.sub.isReady) return;
    this.up = true;
    this.log(`redis broker: connected again; ${this.subscribed.size} topic(s) resubscribed`);
    for (const topic of this.unsubscribeLater) this.dropChannel(topic);
    this.unsubscribeLater.clear();
    this.notify('up');
  }

  private dropChannel(topic: string): void {
    if (this.closing) return;
    this.sub.unsubscribe(this.channel(topic), this.onMessage).catch((err: Error) => this.log(`redis broker: unsubscribe ${topic} failed: ${err.message}`));
  }

  private notify(state: 'down' | 'up'): void {
    try {
      this.handler?.onConnectionChange?.(state);
    } catch (err) {
      this.log(`redis broker: onConnectionChange('${state}') threw: ${(err as Error).message}`);
    }
  }

  private deliver(message: string, channel: string): void {
    const topic = this.topicOf(channel);
    if (topic === undefined || !this.subscribed.has(topic)) return;
    const a = message.indexOf(':');
    const b = message.indexOf(':', a + 1);
    if (a <= 0 || b <= a) {
      this.log(`redis broker: malformed payload on ${channel}`);
      return;
    }
    this.handler?.onPublication(topic, message.slice(b + 1), { epoch: message.slice(0, a), offset: Number(message.slice(a + 1, b)) });
  }

  /** EVALSHA, and EVAL when Redis lost its script cache (restart, SCRIPT FLUSH); EVAL caches it again. */
  private async script(script: Script, keys: string[], args: string[], what: string): Promise<unknown> {
    if (this.closing) throw new RedisBrokerError('BROKER_CLOSED', `${what}: broker closed`);
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.cmd.sendCommand(['EVALSHA', script.sha, ...tail]);
    } catch (err) {
      if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw this.wrap(err, what);
    }
    try {
      return await this.cmd.sendCommand(['EVAL', script.source, ...tail]);
    } catch (err) {
      throw this.wrap(err, what);
    }
  }

  /** Pub/sub commands have no timeout of their own in node-redis. */
  private bounded<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisBrokerError('BROKER_TIMEOUT', `${what}: no reply within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    p.catch(() => undefined);
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private wrap(err: unknown, what: string): RedisBrokerError {
    if (err instanceof RedisBrokerError) return err;
    const message = `${what}: ${(err as Error)?.message || (err as Error)?.constructor?.name || String(err)}`;
    if (this.closing || err instanceof ClientClosedError || err instanceof DisconnectsClientError) {
      return new RedisBrokerError(this.closing ? 'BROKER_CLOSED' : 'BROKER_UNAVAILABLE', message, { cause: err });
    }
    if (err instanceof TimeoutError) return new RedisBrokerError('BROKER_TIMEOUT', `${what}: no reply within ${this.timeoutMs} ms`, { cause: err });
    if (err instanceof ErrorReply) return new RedisBrokerError('BROKER_FAILED', message, { cause: err });
    // ClientOfflineError, SocketClosedUnexpectedlyError, connection errors: the connection is down.
    return new RedisBrokerError('BROKER_UNAVAILABLE', message, { cause: err });
  }

  private metaKey(topic: string): string {
    return `${this.prefix}:{${topic}}:meta`;
  }

  private streamKey(topic: string): string {
    return `${this.prefix}:{${topic}}:stream`;
  }

  private channel(topic: string): string {
    return `${this.prefix}:{${topic}}:live`;
  }

  private topicOf(channel: string): string | undefined {
    const head = `${this.prefix}:{`;
    const tail = '}:live';
    if (!channel.startsWith(head) || !channel.endsWith(tail)) return undefined;
    return channel.slice(head.length, channel.length - tail.length);
  }
}
