import type { OperationEndpointHandlers } from '../../generated/messages.ts';
import type { MarketSubscribeResponseMessage, MarketSubscribeRequest } from '../../generated/types.ts';
import { buildBookTopic, buildQuotesTopic, buildTradesTopic } from '../../generated/topics.ts';
import type { MarketSource } from '../market/source.ts';
import type { ConnectionContext } from '../server/endpoint.ts';
import { operationError } from './bars.ts';
import { subscribeForReply } from './positions.ts';

type MarketHandlers = Pick<OperationEndpointHandlers<ConnectionContext>, 'market.subscribe' | 'market.unsubscribe'>;

function topicOf(p: Pick<MarketSubscribeRequest, 'channel' | 'symbol' | 'depth'>) {
  if (p.channel !== 'book' && p.depth !== undefined) return { ok: false as const, param: 'depth', message: `depth is only for the book channel, not ${p.channel}` };
  if (p.channel === 'book') return buildBookTopic({ symbol: p.symbol, ...(p.depth ? { depth: p.depth } : {}) });
  return p.channel === 'quotes' ? buildQuotesTopic({ symbol: p.symbol }) : buildTradesTopic({ symbol: p.symbol });
}

/**
 * `market.subscribe` / `market.unsubscribe`: the quotes, trades and book topics, with exactly `bars.subscribe`'s reply,
 * snapshot and recovery behaviour (asOf, recovered, the topic's snapshot from the broker, then live messages).
 * `depth`: whether this node's market serves these topics, and the upstream's limit on books at once (IB's).
 */
export function createMarketTopicHandlers(deps: {
  source: Pick<MarketSource, 'hasSymbol' | 'symbols'>;
  /** Whether these topics are served here, and whether one more book fits the upstream's depth limit. */
  depth: { served: boolean; bookAvailable?: (symbol: string) => { ok: true } | { ok: false; message: string } };
}): MarketHandlers {
  const { source } = deps;
  return {
    async 'market.subscribe'(message, ctx) {
      const id = message.id ? { id: message.id } : {};
      const built = topicOf(message.payload);
      if (!built.ok) return operationError({ code: 'INVALID_MESSAGE', message: built.message, field: `/payload/${built.param}`, ...id });
      const topic = built.value;
      const { symbol, since } = message.payload;
      if (!source.hasSymbol(symbol)) {
        if (source.symbols().length === 0) return operationError({ code: 'UNAVAILABLE', message: 'the market is not known yet (no producer reachable); retry later', ...id });
        return operationError({ code: 'UNKNOWN_SYMBOL', message: `unknown symbol ${symbol}; this server serves ${source.symbols().join(', ')}`, ...id });
      }
      if (!deps.depth.served) return operationError({ code: 'UNKNOWN_SYMBOL', message: `this market source does not serve ${message.payload.channel} topics`, ...id });
      if (message.payload.channel === 'book' && !ctx.topics().has(topic)) {
        // An upstream limit on books at once (IB: 3 market-depth subscriptions): refused, said so, nothing changed.
        const fits = deps.depth.bookAvailable?.(symbol) ?? { ok: true };
        if (!fits.ok) return operationError({ code: 'SUBSCRIPTION_LIMIT', message: fits.message, ...id });
      }
      const sub = await subscribeForReply(ctx, topic, since);
      if (!sub.ok) {
        if (sub.refused.status === 'forbidden') return operationError({ code: sub.refused.code, message: sub.refused.message, ...id });
        return operationError({ code: 'SUBSCRIPTION_LIMIT', message: `subscription limit reached (${ctx.topics().size} topics); unsubscribe first`, ...id });
      }
      const reply: MarketSubscribeResponseMessage = { type: 'market.subscribe.response', ...id, payload: { status: 'ok', message: `Subscribed to ${topic}`, topic, ...sub.state } };
      return reply;
    },

    'market.unsubscribe'(message, ctx) {
      const id = message.id ? { id: message.id } : {};
      const built = topicOf(message.payload);
      if (!built.ok) return operationError({ code: 'INVALID_MESSAGE', message: built.message, field: `/payload/${built.param}`, ...id });
      ctx.unsubscribe(built.value);
      return { type: 'market.unsubscribe.response', ...id, payload: { status: 'ok', message: `Unsubscribed from ${built.value}`, topic: built.value } };
    },
  };
}
