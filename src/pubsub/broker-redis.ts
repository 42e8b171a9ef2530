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
  type PublishOptions,
  type StreamPosition,
} from './broker.ts';

/**
 * Redis broker (Centrifugo's Redis engine is the model). Many nodes share one Redis; each topic has
 *
 *   `<prefix>:{<topic>}:meta`    hash: `epoch`, `top` (the last offset). PEXPIRE metaTtlMs after every publish and read.
 *   `<prefix>:{<topic>}:stream`  stream: entry id `<offset>-0`, fields `d` (the data) and `t` (Redis TIME, ms).
 *                                XADD MAXLEN = history size (exact); PEXPIRE = history TTL after every publish.
 *   `<prefix>:{<topic>}:snap`    hash: `epoch`, `offset` (the position it is current to), `data` (the snapshot, a JSON
 *                                array of the encoded messages). Written by a publish that carries a snapshot (deleted
 *                                by one that does not: it can never be current again) and by setSnapshot; PEXPIRE
 *                                metaTtlMs whenever the meta's is, so it lives exactly as long as the meta.
 *   `<prefix>:{<topic>}:live`    pub/sub channel; payload `<epoch>:<offset>:<data>` (epoch is base64url, no ':').
 *
 * The `{<topic>}` hash tag puts one topic's keys in one Redis Cluster slot, so each script touches one slot.
 *
 * Publishing is one Lua script (PUBLISH_SCRIPT): create the meta with the caller's candidate epoch if it is missing,
 * HINCRBY top, XADD with id = offset, store (or delete) the snapshot at that position, PEXPIRE the keys, PUBLISH. So
 * the position is assigned atomically with storing the publication and its snapshot, and every node sees
 * publications of a topic in offset order. The history script reads the snapshot with the rest, so it is returned
 * only when its epoch and offset are the top's at that instant.
 *
 * Interest (which topics some node of the cluster subscribes, for producers that feed topics on demand): every
 * broker has a random node id, and
 *
 *   `<prefix>:interest`          sorted set: member `<nodeId>|<topic>`, score = its expiry (Redis TIME + interestTtlMs).
 *   `<prefix>:interest:changes`  pub/sub channel; JSON `{"e": expiry, "add": [member...], "rem": [member...]}`.
 *
 * `subscribe` adds the node's member and announces it, `unsubscribe` and `close` remove it and announce that, in one
 * script each (INTEREST_SCRIPT), so announcements are in the order of the changes. Every interestTtlMs/3 the node
 * re-adds all its members (one script call, not announced), which also puts them back after Redis lost its data; a
 * node that dies stops doing so and its members expire. A watcher (`watchInterest`) subscribes to the channel, then
 * loads the set (WATCH_SCRIPT: drop expired members, return the rest with the Redis time) and reports each topic
 * with at least one member; announcements keep it current, and it reloads every interestTtlMs/3, or when the first
 * member it knows of expires if that is sooner, and after a reconnect. A member it knows of that is missing from a
 * load without an announcement (Redis lost its data) is kept until its known expiry (after a reconnect: at least
 * interestTtlMs more), since a live node puts it back within interestTtlMs/3 of being connected. So a crashed node's
 * interest is reported gone about interestTtlMs after its last refresh (just after its expiry), and a Redis restart
 * that loses the set reports nothing gone, provided the nodes reconnect within interestTtlMs of the watcher.
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
  /**
   * How long this node's interest in a topic outlives its last refresh (default 15 000). The node refreshes it every
   * third of this; a watcher reloads at least that often. So a dead node's interest lapses after about this long.
   */
  interestTtlMs?: number;
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
 * KEYS: meta, stream, snap. ARGV: candidate epoch, data, history size, history ttl ms, meta ttl ms, channel,
 * snapshot ('' = none, else its JSON array). Returns {epoch, offset}.
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
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[3], 'epoch', epoch, 'offset', top, 'data', ARGV[7])
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
else
  redis.call('DEL', KEYS[3])
end
redis.call('PUBLISH', ARGV[6], epoch .. ':' .. top .. ':' .. ARGV[2])
return {epoch, top}
`;

/**
 * KEYS: meta, stream, snap. ARGV: candidate epoch, meta ttl ms, snapshot (JSON array). Creates the meta (offset 0)
 * when missing, stores the snapshot current to the top, and returns {epoch, offset}.
 */
export const SET_SNAPSHOT_SCRIPT = `
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'top')
local epoch = meta[1]
local top = tonumber(meta[2]) or 0
if not epoch then
  epoch = ARGV[1]
  top = 0
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'top', 0)
  redis.call('DEL', KEYS[2])
end
redis.call('HSET', KEYS[3], 'epoch', epoch, 'offset', top, 'data', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return {epoch, top}
`;

/**
 * KEYS: meta, stream, snap. ARGV: candidate epoch, meta ttl ms, history ttl ms, since offset, limit, since epoch
 * ('' with no since), '1' to ask for the snapshot.
 * Creates the meta (offset 0) when missing, trims expired entries from the head, and returns
 * {epoch, top, first, {offset, data, ...}, replay[, snapshot]}. `replay` is 1 when `since` is recoverable under
 * `recoverability()`'s rule (the caller applies it too and checks they agree); the publications after `since` are
 * read only then. The snapshot (its JSON) is returned only when asked for, there is nothing to replay, and it is
 * current to the top under the same epoch.
 */
export const HISTORY_SCRIPT = `
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'top')
local epoch = meta[1]
local top = tonumber(meta[2]) or 0
if not epoch then
  epoch = ARGV[1]
  top = 0
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'top', 0)
  redis.call('DEL', KEYS[2], KEYS[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
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
local replay = ARGV[6] ~= '' and ARGV[6] == epoch and since <= top and (since == top or (top - since <= limit and since + 1 >= first))
local pubs = {}
if replay and since < top then
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
local out = {epoch, top, first, pubs, replay and 1 or 0}
if ARGV[7] == '1' and not replay then
  local snap = redis.call('HMGET', KEYS[3], 'epoch', 'offset', 'data')
  if snap[1] == epoch and tonumber(snap[2]) == top and snap[3] then out[6] = snap[3] end
end
return out
`;

/**
 * KEYS: the interest set. ARGV: ttl ms, announcement channel, n (members to add), '1' to announce the additions,
 * then n members to add, then the members to remove (always announced). Drops expired members, adds (or
 * refreshes) the given ones with expiry = Redis TIME + ttl, removes the others, and publishes one announcement of
 * the changes, in the same step. Returns the expiry.
 */
export const INTEREST_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = now + tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = tonumber(ARGV[3])
local add, rem = {}, {}
for i = 5, 4 + n do add[#add + 1] = ARGV[i] end
for i = 5 + n, #ARGV do rem[#rem + 1] = ARGV[i] end
for i = 1, #add, 500 do
  local args = {}
  for j = i, math.min(i + 499, #add) do
    args[#args + 1] = expiry
    args[#args + 1] = add[j]
  end
  redis.call('ZADD', KEYS[1], unpack(args))
end
for i = 1, #rem, 500 do
  redis.call('ZREM', KEYS[1], unpack(rem, i, math.min(i + 499, #rem)))
end
local notice = {e = expiry}
local changed = false
if ARGV[4] == '1' and #add > 0 then notice.add = add changed = true end
if #rem > 0 then notice.rem = rem changed = true end
if changed then redis.call('PUBLISH', ARGV[2], cjson.encode(notice)) end
return expiry
`;

/** KEYS: the interest set. Drops expired members and returns {now, {member, expiry, ...}} (Redis TIME, ms). */
export const WATCH_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return {now, redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')}
`;

/** An announcement on the interest channel. cjson encodes an empty list as `{}`, so the lists may be absent. */
interface InterestNotice {
  e: number;
  add?: string[];
  rem?: string[];
}

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

/** The topic of an interest member `<nodeId>|<topic>` (node ids never contain '|'). */
function topicOfMember(member: string): string {
  return member.slice(member.indexOf('|') + 1);
}

/**
 * A watcher's view of the interest set (see the class comment of RedisBroker): every member it knows of with its
 * expiry (Redis clock), the number of members per topic, and the topics it reported. Loads replace the view;
 * announcements that arrive while a load is in flight are applied after it, in order (each is a set or a delete of
 * a member, and the load already reflects any that ran before it, so re-applying them changes nothing).
 */
class InterestWatcher {
  private readonly known = new Map<string, number>();
  private readonly count = new Map<string, number>();
  private readonly reported = new Set<string>();
  /** Announcements received while a load is in flight (undefined when none is). */
  private buffered: InterestNotice[] | undefined;
  private inFlight: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  /** A connection was lost since the last load: members missing from the next one get interestTtlMs more. */
  private grace = false;
  private failing = false;
  private stopped = false;

  constructor(
    private readonly ttlMs: number,
    private readonly load: () => Promise<{ now: number; members: [string, number][] }>,
    private readonly report: (topic: string, interested: boolean) => void,
    private readonly log: (line: string) => void,
  ) {}

  notice(n: InterestNotice): void {
    if (this.stopped) return;
    if (this.buffered) {
      this.buffered.push(n);
      return;
    }
    const touched = new Set<string>();
    this.apply(n, touched);
    this.reportChanges(touched);
  }

  connectionLost(): void {
    this.grace = true;
  }

  /** Loads the set and reports what changed; one load at a time (a call during one runs another after it). */
  reload(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    clearTimeout(this.timer);
    const p = this.loadOnce().finally(() => {
      this.inFlight = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.reload().catch(() => undefined);
      }
    });
    this.inFlight = p;
    return p;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async loadOnce(): Promise<void> {
    this.buffered = [];
    const grace = this.grace;
    let loaded: { now: number; members: [string, number][] };
    try {
      loaded = await this.load();
    } catch (err) {
      this.flushBuffered();
      if (!this.failing) this.log(`redis broker: loading interest failed (retrying): ${(err as Error).message}`);
      this.failing = true;
      this.schedule(this.ttlMs / 3);
      throw err;
    }
    if (this.stopped) return;
    this.failing = false;
    if (grace) this.grace = false;
    const { now, members } = loaded;
    const next = new Map<string, number>(members);
    for (const [member, expiry] of this.known) {
      if (next.has(member)) continue;
      // Missing without an announcement: Redis lost it (restart, flush); a live node puts it back within ttl/3.
      const until = grace ? Math.max(expiry, now + this.ttlMs) : expiry;
      if (until > now) next.set(member, until);
    }
    this.known.clear();
    this.count.clear();
    for (const [member, expiry] of next) this.set(member, expiry);
    this.flushBuffered(false);
    this.reportChanges(new Set([...this.reported, ...this.count.keys()]));
    let earliest = Infinity;
    for (const expiry of this.known.values()) earliest = Math.min(earliest, expiry);
    // The next load: in a third of the TTL, or just after the first known member expires if that is sooner.
    this.schedule(Math.min(this.ttlMs / 3, earliest - now + 5));
  }

  private flushBuffered(reportNow = true): void {
    const buffered = this.buffered ?? [];
    this.buffered = undefined;
    const touched = new Set<string>();
    for (const n of buffered) this.apply(n, touched);
    if (reportNow) this.reportChanges(touched);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload().catch(() => undefined), Math.max(10, Math.round(delayMs)));
    this.timer.unref();
  }

  private apply(n: InterestNotice, touched: Set<string>): void {
    for (const member of n.add ?? []) {
      this.set(member, Math.max(n.e, this.known.get(member) ?? 0));
      touched.add(topicOfMember(member));
    }
    for (const member of n.rem ?? []) {
      this.delete(member);
      touched.add(topicOfMember(member));
    }
  }

  private set(member: string, expiry: number): void {
    if (!this.known.has(member)) {
      const topic = topicOfMember(member);
      this.count.set(topic, (this.count.get(topic) ?? 0) + 1);
    }
    this.known.set(member, expiry);
  }

  private delete(member: string): void {
    if (!this.known.delete(member)) return;
    const topic = topicOfMember(member);
    const left = (this.count.get(topic) ?? 1) - 1;
    if (left > 0) this.count.set(topic, left);
    else this.count.delete(topic);
  }

  private reportChanges(topics: Iterable<string>): void {
    for (const topic of topics) {
      const interested = this.count.has(topic);
      if (interested === this.reported.has(topic)) continue;
      if (interested) this.reported.add(topic);
      else this.reported.delete(topic);
      try {
        this.report(topic, interested);
      } catch (err) {
        this.log(`redis broker: onInterest(${topic}, ${interested}) threw: ${(err as Error).message}`);
      }
    }
  }
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
  /** Topics whose interest could not be withdrawn (Redis unreachable); the next refresh removes it. */
  private readonly withdrawLater = new Set<string>();
  /** This node's name in the interest set: 12 URL-safe characters (never '|'). */
  readonly nodeId = randomBytes(9).toString('base64url');
  private readonly interestTtlMs: number;
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshFailing = false;
  private watcher: InterestWatcher | undefined;
  private watching: Promise<void> | undefined;
  private readonly prefix: string;
  private readonly policy: HistoryPolicyOf;
  private readonly metaTtlMs: number;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly publishScript = new Script(PUBLISH_SCRIPT);
  private readonly historyScript = new Script(HISTORY_SCRIPT);
  private readonly setSnapshotScript = new Script(SET_SNAPSHOT_SCRIPT);
  private readonly interestScript = new Script(INTEREST_SCRIPT);
  private readonly watchScript = new Script(WATCH_SCRIPT);
  private up = false;
  private connected = false;
  private closing = false;
  /** Per connection: whether its error since it was last ready has been logged (node-redis reports every retry). */
  private readonly errorLogged = { command: false, subscriber: false };
  private readonly onMessage = (message: string, channel: string) => this.deliver(message, channel);
  private readonly onNotice = (message: string) => this.interestNotice(message);

  constructor(options: RedisBrokerOptions = {}) {
    this.prefix = options.prefix ?? 'tw';
    if (/[{}]/.test(this.prefix)) throw new Error(`redis broker: prefix must not contain '{' or '}': ${this.prefix}`);
    this.policy = options.historyPolicy ?? (() => ({ size: 1000, ttlMs: 300_000 }));
    this.metaTtlMs = options.metaTtlMs ?? 86_400_000;
    this.timeoutMs = options.commandTimeoutMs ?? 5000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.interestTtlMs = Math.max(3, options.interestTtlMs ?? 15_000);
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
      for (const script of [this.publishScript, this.historyScript, this.setSnapshotScript, this.interestScript, this.watchScript]) {
        await Promise.race([this.cmd.sendCommand(['SCRIPT', 'LOAD', script.source]), timedOut]);
      }
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
    this.refreshTimer = setInterval(() => void this.refreshInterest(), Math.max(1, Math.floor(this.interestTtlMs / 3)));
    this.refreshTimer.unref();
  }

  setHandler(handler: BrokerEventHandler): void {
    this.handler = handler;
  }

  /**
   * Resolves once Redis confirmed the subscription and the node's interest in the topic is registered (and
   * announced). Rejects at once while a connection is down.
   */
  async subscribe(topic: string): Promise<void> {
    if (this.closing) throw new RedisBrokerError('BROKER_CLOSED', 'broker closed');
    if (!this.sub.isReady) throw new RedisBrokerError('BROKER_UNAVAILABLE', `cannot subscribe ${topic}: redis connection down`);
    this.subscribed.add(topic);
    this.unsubscribeLater.delete(topic);
    this.withdrawLater.delete(topic);
    const done = this.sub.subscribe(this.channel(topic), this.onMessage);
    const registered = this.script(this.interestScript, [this.interestKey()], this.interestArgs([topic], [], true), `subscribe ${topic}`);
    registered.catch(() => undefined);
    try {
      await Promise.all([this.bounded(done, `subscribe ${topic}`), registered]);
    } catch (err) {
      this.subscribed.delete(topic);
      // A subscription confirmed after its timeout is undone; its publications are filtered out until then.
      done.then(() => this.subscribed.has(topic) || this.dropChannel(topic), () => undefined);
      registered.then(() => void (this.subscribed.has(topic) || this.withdraw(topic)), () => undefined);
      throw this.wrap(err, `subscribe ${topic}`);
    }
  }

  /**
   * Resolves once Redis confirmed it and the node's interest is withdrawn (and announced). While the subscriber
   * connection is down it resolves at once: the topic's publications are filtered out from then on, and the channel
   * is unsubscribed after the reconnect. An interest that cannot be withdrawn (Redis unreachable) is removed by the
   * next refresh after the reconnect, or lapses after interestTtlMs.
   */
  async unsubscribe(topic: string): Promise<void> {
    if (!this.subscribed.delete(topic) || this.closing) return;
    const withdrawn = this.withdraw(topic);
    if (!this.sub.isReady) {
      this.unsubscribeLater.add(topic);
      await withdrawn;
      return;
    }
    try {
      await this.bounded(this.sub.unsubscribe(this.channel(topic), this.onMessage), `unsubscribe ${topic}`);
    } catch (err) {
      throw this.wrap(err, `unsubscribe ${topic}`);
    } finally {
      await withdrawn;
    }
  }

  async publish(topic: string, data: string, options: PublishOptions = {}): Promise<StreamPosition> {
    const { size, ttlMs } = this.policy(topic);
    const reply = (await this.script(this.publishScript, this.topicKeys(topic), [
      candidateEpoch(),
      data,
      String(size),
      String(Math.max(1, ttlMs)),
      String(Math.max(this.metaTtlMs, ttlMs)),
      this.channel(topic),
      options.snapshot ? JSON.stringify(options.snapshot) : '',
    ], `publish ${topic}`)) as [string, number];
    return { epoch: String(reply[0]), offset: Number(reply[1]) };
  }

  async setSnapshot(topic: string, snapshot: readonly string[]): Promise<StreamPosition> {
    const { ttlMs } = this.policy(topic);
    const reply = (await this.script(this.setSnapshotScript, this.topicKeys(topic), [
      candidateEpoch(),
      String(Math.max(this.metaTtlMs, ttlMs)),
      JSON.stringify(snapshot),
    ], `setSnapshot ${topic}`)) as [string, number];
    return { epoch: String(reply[0]), offset: Number(reply[1]) };
  }

  /**
   * Deletes the topic's meta, stream and snapshot (one slot: the hash tag). Its next publish or setSnapshot creates
   * the meta again with a new epoch, so a position from before is refused ('epoch'), as on the memory broker.
   */
  async forget(topic: string): Promise<void> {
    if (this.closing) throw new RedisBrokerError('BROKER_CLOSED', `forget ${topic}: broker closed`);
    try {
      await this.cmd.sendCommand(['DEL', ...this.topicKeys(topic)]);
    } catch (err) {
      throw this.wrap(err, `forget ${topic}`);
    }
  }

  async history(topic: string, options: HistoryOptions): Promise<HistoryResult> {
    const { ttlMs } = this.policy(topic);
    const { since } = options;
    const reply = (await this.script(this.historyScript, this.topicKeys(topic), [
      candidateEpoch(),
      String(Math.max(this.metaTtlMs, ttlMs)),
      String(Math.max(1, ttlMs)),
      String(since ? since.offset : -1),
      String(Math.max(0, options.limit)),
      since ? since.epoch : '',
      options.snapshot ? '1' : '0',
    ], `history ${topic}`)) as [string, number, number, (string | number)[], number, string?];
    const position = { epoch: String(reply[0]), offset: Number(reply[1]) };
    const reason = since ? recoverability(since, position, Number(reply[2]), options.limit) : undefined;
    // The script applies the same rule (it decides whether to read the publications or the snapshot).
    if ((Number(reply[4]) === 1) !== (since !== undefined && reason === undefined)) {
      throw new RedisBrokerError('BROKER_FAILED', `history ${topic}: the script and recoverability() disagree (since ${since?.offset}, top ${position.offset})`);
    }
    const snapshot = reply[5] === undefined || reply[5] === null ? {} : { snapshot: this.parseSnapshot(reply[5], topic) };
    if (!since) return { recoverable: true, position, publications: [], ...snapshot };
    if (reason) return { recoverable: false, position, reason, ...snapshot };
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

  /**
   * Networked: from now on reports through the handler's `onInterest` every topic some node subscribes (those already
   * subscribed first, before this resolves), and when the last one unsubscribes, closes or stops refreshing it.
   * Idempotent. Rejects (and watches nothing) while Redis cannot be reached.
   */
  watchInterest(): Promise<void> {
    if (this.closing) return Promise.reject(new RedisBrokerError('BROKER_CLOSED', 'watch interest: broker closed'));
    if (this.watching) return this.watching;
    const watcher = new InterestWatcher(
      this.interestTtlMs,
      () => this.loadInterest(),
      (topic, interested) => this.handler?.onInterest?.(topic, interested),
      this.log,
    );
    this.watcher = watcher;
    this.watching = (async () => {
      try {
        if (!this.sub.isReady) throw new RedisBrokerError('BROKER_UNAVAILABLE', 'watch interest: redis connection down');
        // Announcements first, then the load: none is missed in between.
        await this.bounded(this.sub.subscribe(this.interestChannel(), this.onNotice), 'watch interest');
        await watcher.reload();
      } catch (err) {
        watcher.stop();
        if (this.watcher === watcher) {
          this.watcher = undefined;
          this.watching = undefined;
        }
        if (!this.closing && this.sub.isReady) this.sub.unsubscribe(this.interestChannel(), this.onNotice).catch(() => undefined);
        throw this.wrap(err, 'watch interest');
      }
    })();
    return this.watching;
  }

  /**
   * Withdraws the node's interest in every topic it subscribed (so watchers hear it at once) and quits both
   * connections (gracefully when they are up, bounded by commandTimeoutMs; at once when they are down).
   */
  async close(): Promise<void> {
    if (this.closing) return;
    const leaving = [...new Set([...this.subscribed, ...this.withdrawLater])];
    this.closing = true;
    clearInterval(this.refreshTimer);
    this.watcher?.stop();
    this.subscribed.clear();
    if (leaving.length > 0 && this.cmd.isReady) {
      await this.run(this.interestScript, [this.interestKey()], this.interestArgs([], leaving, false), 'close').catch((err: Error) =>
        this.log(`redis broker: withdrawing interest on close failed (it lapses after ${this.interestTtlMs} ms): ${err.message}`),
      );
    }
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
    if (this.closing) return;
    this.watcher?.connectionLost();
    if (!this.up) return;
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
    // Redis may have lost the interest set: put this node's back at once, then let the watcher look (in that order,
    // on one connection).
    void this.refreshInterest();
    this.watcher?.reload().catch(() => undefined);
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

  private parseSnapshot(json: string, topic: string): readonly string[] {
    let value: unknown;
    try {
      value = JSON.parse(String(json));
    } catch {
      value = undefined;
    }
    if (!Array.isArray(value) || !value.every((m) => typeof m === 'string')) {
      throw new RedisBrokerError('BROKER_FAILED', `history ${topic}: the stored snapshot is not a JSON array of strings`);
    }
    return value;
  }

  /** ARGV of INTEREST_SCRIPT for this node's members of `add` and `remove` (topics). */
  private interestArgs(add: string[], remove: string[], announceAdds: boolean): string[] {
    const member = (topic: string) => `${this.nodeId}|${topic}`;
    return [String(this.interestTtlMs), this.interestChannel(), String(add.length), announceAdds ? '1' : '0', ...add.map(member), ...remove.map(member)];
  }

  /** Removes and announces the node's interest in `topic`; on failure the next refresh removes it. Never rejects. */
  private async withdraw(topic: string): Promise<void> {
    if (this.closing) return;
    try {
      await this.script(this.interestScript, [this.interestKey()], this.interestArgs([], [topic], false), `unsubscribe ${topic}`);
    } catch (err) {
      if (this.closing || this.subscribed.has(topic)) return;
      this.withdrawLater.add(topic);
      this.log(`redis broker: withdrawing interest in ${topic} failed (retried with the next refresh): ${(err as Error).message}`);
    }
  }

  /**
   * Every interestTtlMs/3 and after a reconnect: re-adds every subscribed topic's member with a fresh expiry (not
   * announced) and removes those that could not be withdrawn. The arguments are read when the command is sent (also
   * for the EVAL after a NOSCRIPT), so a refresh never re-adds a topic unsubscribed before it.
   */
  private async refreshInterest(): Promise<void> {
    if (this.closing || !this.cmd.isReady || (this.subscribed.size === 0 && this.withdrawLater.size === 0)) return;
    let removed: string[] = [];
    try {
      await this.script(this.interestScript, [this.interestKey()], () => {
        removed = [...this.withdrawLater].filter((t) => !this.subscribed.has(t));
        return this.interestArgs([...this.subscribed], removed, false);
      }, 'refresh interest');
      for (const topic of removed) this.withdrawLater.delete(topic);
      this.refreshFailing = false;
    } catch (err) {
      if (!this.refreshFailing && !this.closing) this.log(`redis broker: refreshing interest failed (retrying): ${(err as Error).message}`);
      this.refreshFailing = true;
    }
  }

  private async loadInterest(): Promise<{ now: number; members: [string, number][] }> {
    const reply = (await this.script(this.watchScript, [this.interestKey()], [], 'load interest')) as [number, string[]];
    const flat = reply[1];
    const members: [string, number][] = [];
    for (let i = 0; i < flat.length; i += 2) members.push([String(flat[i]), Number(flat[i + 1])]);
    return { now: Number(reply[0]), members };
  }

  private interestNotice(message: string): void {
    let notice: InterestNotice;
    try {
      const v = JSON.parse(message) as { e?: unknown; add?: unknown; rem?: unknown };
      const list = (x: unknown) => (Array.isArray(x) ? x.map(String) : []); // cjson encodes an empty list as {}
      notice = { e: Number(v.e), add: list(v.add), rem: list(v.rem) };
      if (!Number.isFinite(notice.e)) throw new Error('no expiry');
    } catch {
      this.log(`redis broker: malformed interest announcement`);
      return;
    }
    this.watcher?.notice(notice);
  }

  /** EVALSHA, and EVAL when Redis lost its script cache (restart, SCRIPT FLUSH); EVAL caches it again. */
  private async script(script: Script, keys: string[], args: string[] | (() => string[]), what: string): Promise<unknown> {
    if (this.closing) throw new RedisBrokerError('BROKER_CLOSED', `${what}: broker closed`);
    return this.run(script, keys, args, what);
  }

  private async run(script: Script, keys: string[], args: string[] | (() => string[]), what: string): Promise<unknown> {
    const tail = () => [String(keys.length), ...keys, ...(typeof args === 'function' ? args() : args)];
    try {
      return await this.cmd.sendCommand(['EVALSHA', script.sha, ...tail()]);
    } catch (err) {
      if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw this.wrap(err, what);
    }
    try {
      return await this.cmd.sendCommand(['EVAL', script.source, ...tail()]);
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

  /** meta, stream, snap: the KEYS of every per-topic script. */
  private topicKeys(topic: string): string[] {
    const tag = `${this.prefix}:{${topic}}`;
    return [`${tag}:meta`, `${tag}:stream`, `${tag}:snap`];
  }

  private interestKey(): string {
    return `${this.prefix}:interest`;
  }

  private interestChannel(): string {
    return `${this.prefix}:interest:changes`;
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
