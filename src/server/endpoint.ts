import type { ErrorCode } from '../../generated/codes.ts';
import type { CloseCodeName } from '../../generated/codes.ts';
import type { ValidatorTable } from '../../generated/runtime.ts';
import type { AccessDecision } from '../auth/permissions.ts';
import type { Identity } from '../auth/verifier.ts';
import type { StreamPosition, UnrecoverableReason } from '../pubsub/broker.ts';

/**
 * The outcome of a subscribe. `added`: `asOf` is the position the client is current to once the request is answered
 * (the replay after `since` when `recovered`, else the snapshot the handler sends); live publications after it follow.
 */
export type TopicSubscription =
  | { status: 'added'; asOf: StreamPosition; recovered: boolean; reason?: UnrecoverableReason; snapshot?: readonly string[] }
  | { status: 'exists' }
  | { status: 'limit' }
  /** The connection's identity may not read the topic (src/auth/permissions.ts); nothing changed. */
  | { status: 'forbidden'; code: 'UNAUTHORIZED' | 'FORBIDDEN' | 'UNKNOWN_BACKTEST'; message: string };

/** The outcome of an `auth` message: the identity taken (and topics dropped), or an error (and maybe a close). */
export type AuthOutcome =
  | { ok: true; identity: Identity | undefined; revoked: string[] }
  | { ok: false; error: ErrorInfo; close?: CloseCodeName };

/** An error as a value: stable code, human message, optional offending field and request id to echo. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  field?: string;
  id?: string;
}

/** What a handler may do with the connection it serves. */
export interface ConnectionContext {
  readonly id: string;
  /** Who the client is (set at upgrade or by an `auth` message); undefined when anonymous or with AUTH=none. */
  readonly identity: Identity | undefined;
  /**
   * Whether this connection may read `topic` now: the same decision `subscribe` enforces (ask it first to refuse a
   * whole request before subscribing any of it).
   */
  mayRead(topic: string): AccessDecision | Promise<AccessDecision>;
  /** Verifies a token sent in an `auth` message and, when good, makes it the connection's identity. */
  authenticate(token: string): Promise<AuthOutcome>;
  /**
   * 'limit' when the per-connection subscription cap would be passed (nothing changes then). Live publications of
   * an added topic reach the client only after the current request's reply and `after` tasks (the replay of
   * missed publications, when recovered, goes first). 'forbidden' when the connection's identity may not read the
   * topic. Rejects when the pub/sub broker is unreachable (nothing changes).
   */
  subscribe(topic: string, options?: { since?: StreamPosition; fromStart?: boolean }): Promise<TopicSubscription>;
  unsubscribe(topic: string): boolean;
  topics(): ReadonlySet<string>;
  /** The position of the last publication delivered on a topic this node follows ({'', 0} when none). */
  positionOf(topic: string): StreamPosition;
  /** Encode and queue one message for this connection only. */
  send(message: object): void;
  /** Queue one already encoded message (e.g. a snapshot from the broker) for this connection only. */
  sendEncoded(text: string): void;
  /** Run after the reply to the current request has been queued (e.g. send the current bar after "subscribed"). */
  after(task: () => void): void;
  close(reason: CloseCodeName, detail?: string): void;
}

export type Match<Params> = { ok: true; params: Params } | { ok: false; error: ErrorInfo; close: CloseCodeName };

/**
 * One WebSocket endpoint of the contract: how its URL is matched, its validator tables, its error message shape,
 * and its handlers. The gateway owns sockets and limits; an endpoint only sees ConnectionContext.
 */
export interface Endpoint<Params = unknown> {
  readonly id: string;
  readonly inbound: ValidatorTable;
  readonly outbound: ValidatorTable;
  /** null when the path is not this endpoint's. */
  match(pathname: string, query: URLSearchParams): Match<Params> | null;
  /** The endpoint's own `error` message shape. */
  errorMessage(error: ErrorInfo): object;
  /**
   * Called once the connection is open; may send, subscribe, or close (e.g. unknown backtest). Inbound messages are
   * handled only after it resolves; `query` carries the URL's query (e.g. `since`).
   */
  open?(ctx: ConnectionContext, params: Params, query: URLSearchParams): void | Promise<void>;
  /** A validated inbound message; returns the reply (if any). Errors thrown become INTERNAL_ERROR. */
  handle(message: { type: string }, ctx: ConnectionContext): object | void | Promise<object | void>;
  closed?(ctx: ConnectionContext): void;
}
