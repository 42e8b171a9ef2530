/**
 * Subscribing several topics at once with recovery: the `since` a client sends (a map topic → position, in a
 * subscribe message or the `since` query parameter of an endpoint that subscribes by itself) and the `positions`
 * it gets back (topic → {asOf, recovered, reason?}). Used by every endpoint but /api/v1/ws (one topic per request).
 */
import { describeIssue } from '../../generated/runtime.ts';
import type { PositionsMap, SinceMap } from '../../generated/types.ts';
import { validateSinceMap } from '../../generated/validators.js';
import type { StreamPosition, UnrecoverableReason } from '../pubsub/broker.ts';
import type { ConnectionContext, ErrorInfo, TopicSubscription } from '../server/endpoint.ts';

export type { PositionsMap, SinceMap } from '../../generated/types.ts';

export interface SubscribeAllResult {
  /** The state of each topic this call added. */
  positions: PositionsMap;
  /** Topics added and not recovered: the caller sends their snapshot. */
  fresh: Set<string>;
  /** The broker's snapshot of each fresh topic that has one (encoded messages, current to its `asOf`). */
  snapshots: Map<string, readonly string[]>;
  /** Topics refused by the per-connection subscription cap. */
  refused: string[];
  /** Topics the connection's identity may not read (nothing was subscribed for them). */
  forbidden: string[];
}

/** The contract's `not_subscribed` field for the topics the cap refused (absent when none was refused). */
export function notSubscribed(result: Pick<SubscribeAllResult, 'refused'>): { not_subscribed?: { topic: string; code: 'SUBSCRIPTION_LIMIT' }[] } {
  return result.refused.length ? { not_subscribed: result.refused.map((topic) => ({ topic, code: 'SUBSCRIPTION_LIMIT' as const })) } : {};
}

/** Subscribes `topics` in order, each recovering from `since[topic]` when given. */
export async function subscribeAll(ctx: ConnectionContext, topics: readonly string[], since: SinceMap = {}, options: { fromStart?: boolean } = {}): Promise<SubscribeAllResult> {
  const out: SubscribeAllResult = { positions: {}, fresh: new Set(), snapshots: new Map(), refused: [], forbidden: [] };
  for (const topic of topics) {
    const sub = await ctx.subscribe(topic, { since: since[topic], fromStart: options.fromStart });
    if (sub.status === 'limit') out.refused.push(topic);
    if (sub.status === 'forbidden') out.forbidden.push(topic);
    if (sub.status !== 'added') continue;
    out.positions[topic] = { asOf: sub.asOf, recovered: sub.recovered, ...(sub.reason ? { reason: sub.reason } : {}) };
    if (!sub.recovered) out.fresh.add(topic);
    if (!sub.recovered && sub.snapshot) out.snapshots.set(topic, sub.snapshot);
  }
  return out;
}

/**
 * For the endpoints that subscribe a fixed set of topics at connect (backtest, live-trading, market-data): true when
 * the connection may read all of them; else the endpoint's error (UNAUTHORIZED without an identity, FORBIDDEN with
 * one, UNKNOWN_BACKTEST for another user's run) is sent and the connection closed with the same-named close code
 * (4503 / 4504 / 4500), and false.
 */
export async function admit(ctx: ConnectionContext, topics: readonly string[], errorMessage: (error: ErrorInfo) => object): Promise<boolean> {
  for (const topic of topics) {
    const decision = await ctx.mayRead(topic);
    if (decision.ok) continue;
    ctx.send(errorMessage({ code: decision.code, message: decision.message }));
    ctx.close(decision.code, decision.message);
    return false;
  }
  return true;
}

/** Sends the broker's snapshot of every fresh topic, in `topics` order. */
export function sendSnapshots(ctx: ConnectionContext, result: SubscribeAllResult, topics: readonly string[] = [...result.snapshots.keys()]): void {
  for (const t of topics) for (const text of result.snapshots.get(t) ?? []) ctx.sendEncoded(text);
}

/** The `since` query parameter: URL-encoded JSON SinceMap, checked by the contract's validator (strict: a client value). */
export function sinceFromQuery(query: URLSearchParams): { ok: true; since: SinceMap } | { ok: false; message: string } {
  const raw = query.get('since');
  if (raw === null || raw === '') return { ok: true, since: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, message: 'since must be URL-encoded JSON: {"<topic>": {"epoch": "...", "offset": n}}' };
  }
  if (validateSinceMap(parsed)) return { ok: true, since: parsed };
  const issue = validateSinceMap.errors?.[0];
  const { field, message } = issue ? describeIssue(issue) : { field: '/', message: 'is invalid' };
  return { ok: false, message: `since${field === '/' ? '' : field}: ${message}` };
}

/** The position fields of a `*.subscribe` reply. */
export interface SubscribeState {
  asOf: StreamPosition;
  recovered: boolean;
  reason?: UnrecoverableReason;
}

/**
 * Subscribes `topic` for a `*.subscribe` request (bars.subscribe, market.subscribe). A `since` on a topic already
 * subscribed resubscribes it (how a client fills a gap it saw in `seq`). Added without recovery: the fresh snapshot is
 * sent right after the reply. Already subscribed: the client is current to what this node last delivered on the
 * topic. Returns the reply's position fields, or the refusal for the caller to answer in its own terms.
 */
export async function subscribeForReply(ctx: ConnectionContext, topic: string, since?: { epoch: string; offset: number }): Promise<{ ok: true; state: SubscribeState } | { ok: false; refused: Extract<TopicSubscription, { status: 'forbidden' | 'limit' }> }> {
  if (since && ctx.topics().has(topic)) ctx.unsubscribe(topic);
  const sub = await ctx.subscribe(topic, { since });
  if (sub.status === 'forbidden' || sub.status === 'limit') return { ok: false, refused: sub };
  if (sub.status === 'exists') return { ok: true, state: { asOf: ctx.positionOf(topic), recovered: false } };
  if (!sub.recovered && sub.snapshot) {
    const snapshot = sub.snapshot;
    ctx.after(() => {
      for (const text of snapshot) ctx.sendEncoded(text);
    });
  }
  return { ok: true, state: { asOf: sub.asOf, recovered: sub.recovered, ...(sub.reason ? { reason: sub.reason } : {}) } };
}
