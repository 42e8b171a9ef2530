import type { OperationEndpointHandlers } from '../../generated/messages.ts';
import type { BarsHistoryResponseMessage, BarsSubscribeResponseMessage, OperationErrorMessage } from '../../generated/types.ts';
import { buildBarsTopic } from '../../generated/topics.ts';
import type { HistoryProvider } from '../market/bar-history.ts';
import type { MarketSource } from '../market/source.ts';
import type { ConnectionContext, ErrorInfo } from '../server/endpoint.ts';
import { authHandlers } from './auth.ts';
import { pingHandlers } from './streams-common.ts';
import { subscribeForReply } from './positions.ts';

export function operationError(error: ErrorInfo): OperationErrorMessage {
  const { id, code, message, field } = error;
  return { type: 'error', ...(id ? { id } : {}), payload: { code, message, ...(field ? { field } : {}) } };
}

/**
 * `bars.subscribe` / `bars.unsubscribe` (seed 004). Resolution defaults to "1"; replies echo the request id.
 * The reply says the position the client is current to (`asOf`) and whether a `since` was `recovered`. Then: the
 * missed updates in order (recovered), or the topic's snapshot from the broker, the current bar (when there is
 * one); then live updates, each with its `seq`.
 */
export function createBarsHandlers(deps: {
  source: Pick<MarketSource, 'hasSymbol' | 'symbols'>;
  /** `bars.history`: the local BarHistory, or the producer's over HTTP on an edge. */
  history: HistoryProvider;
}): Omit<OperationEndpointHandlers<ConnectionContext>, 'market.subscribe' | 'market.unsubscribe'> {
  const { source, history } = deps;
  return {
    ...pingHandlers<ConnectionContext>(),
    ...authHandlers(operationError),
    async 'bars.subscribe'(message, ctx) {
      const id = message.id ? { id: message.id } : {};
      const built = buildBarsTopic(message.payload);
      if (!built.ok) return operationError({ code: 'INVALID_MESSAGE', message: built.message, field: `/payload/${built.param}`, ...id });
      const topic = built.value;
      const { symbol } = message.payload;
      if (!source.hasSymbol(symbol)) {
        // An edge that knows no producer yet (Redis just came back) cannot tell: a retryable UNAVAILABLE, not UNKNOWN_SYMBOL.
        if (source.symbols().length === 0) return operationError({ code: 'UNAVAILABLE', message: 'the market is not known yet (no producer reachable); retry later', ...id });
        return operationError({ code: 'UNKNOWN_SYMBOL', message: `unknown symbol ${symbol}; this server serves ${source.symbols().join(', ')}`, ...id });
      }
      const { since } = message.payload;
      const sub = await subscribeForReply(ctx, topic, since);
      if (!sub.ok) {
        // UNAUTHORIZED without a token, FORBIDDEN when the token is not enough (as market.subscribe and bars.history).
        if (sub.refused.status === 'forbidden') return operationError({ code: sub.refused.code, message: sub.refused.message, ...id });
        return operationError({ code: 'SUBSCRIPTION_LIMIT', message: `subscription limit reached (${ctx.topics().size} topics); unsubscribe first`, ...id });
      }
      const reply: BarsSubscribeResponseMessage = { type: 'bars.subscribe.response', ...id, payload: { status: 'ok', message: `Subscribed to ${topic}`, topic, ...sub.state } };
      return reply;
    },

    /**
     * `bars.history`: allowed exactly when a subscribe to the bars topic would be (same permission question); the
     * window rules and limits are BarHistory's (src/market/bar-history.ts).
     */
    async 'bars.history'(message, ctx) {
      const id = message.id ? { id: message.id } : {};
      const built = buildBarsTopic(message.payload);
      if (!built.ok) return operationError({ code: 'INVALID_MESSAGE', message: built.message, field: `/payload/${built.param}`, ...id });
      const access = await ctx.mayRead(built.value);
      if (!access.ok) return operationError({ code: access.code, message: access.message, ...id });
      const { symbol, from, to, countBack } = message.payload;
      const resolution = message.payload.resolution ?? '1';
      const outcome = await history.query({ symbol, resolution, to, ...(from !== undefined ? { from } : {}), ...(countBack !== undefined ? { countBack } : {}) }, ctx.identity ? { token: ctx.identity.token } : undefined);
      if (!outcome.ok) return operationError({ code: outcome.code, message: outcome.message, ...(outcome.field ? { field: outcome.field } : {}), ...id });
      const reply: BarsHistoryResponseMessage = { type: 'bars.history.response', ...id, payload: { symbol, resolution, ...outcome.answer } };
      return reply;
    },

    'bars.unsubscribe'(message, ctx) {
      const id = message.id ? { id: message.id } : {};
      const built = buildBarsTopic(message.payload);
      if (!built.ok) return operationError({ code: 'INVALID_MESSAGE', message: built.message, field: `/payload/${built.param}`, ...id });
      ctx.unsubscribe(built.value);
      return { type: 'bars.unsubscribe.response', ...id, payload: { status: 'ok', message: `Unsubscribed from ${built.value}`, topic: built.value } };
    },
  };
}
