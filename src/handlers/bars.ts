import type { OperationEndpointHandlers } from '../../generated/messages.ts';
import type { OperationErrorMessage } from '../../generated/types.ts';
import { buildBarsTopic } from '../../generated/topics.ts';
import type { MarketSource } from '../market/source.ts';
import type { ConnectionContext, ErrorInfo } from '../server/endpoint.ts';
import { barsUpdate } from '../streams/bars-feed.ts';
import { pingHandlers } from './streams-common.ts';

export function operationError(error: ErrorInfo): OperationErrorMessage {
  const { id, code, message, field } = error;
  return { type: 'error', ...(id ? { id } : {}), payload: { code, message, ...(field ? { field } : {}) } };
}

/**
 * `bars.subscribe` / `bars.unsubscribe` (seed 004). Resolution defaults to "1"; replies echo the request id.
 * After a successful subscribe the client gets the topic's current bar (when there is one), then live updates.
 */
export function createBarsHandlers(deps: { source: MarketSource }): OperationEndpointHandlers<ConnectionContext> {
  const { source } = deps;
  return {
    ...pingHandlers<ConnectionContext>(),
    'bars.subscribe'(message, ctx) {
      const id = message.id ? { id: message.id } : {};
      const built = buildBarsTopic(message.payload);
      if (!built.ok) return operationError({ code: 'INVALID_MESSAGE', message: built.message, field: `/payload/${built.param}`, ...id });
      const topic = built.value;
      const { symbol } = message.payload;
      const resolution = message.payload.resolution ?? '1';
      if (!source.hasSymbol(symbol)) {
        return operationError({ code: 'UNKNOWN_SYMBOL', message: `unknown symbol ${symbol}; this server serves ${source.symbols().join(', ')}`, ...id });
      }
      if (ctx.subscribe(topic) === 'limit') {
        return operationError({ code: 'SUBSCRIPTION_LIMIT', message: `subscription limit reached (${ctx.topics().size} topics); unsubscribe first`, ...id });
      }
      ctx.after(() => {
        const bar = source.currentBar(symbol, resolution);
        if (bar) ctx.send(barsUpdate(topic, bar));
      });
      return { type: 'bars.subscribe.response', ...id, payload: { status: 'ok', message: `Subscribed to ${topic}`, topic } };
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
