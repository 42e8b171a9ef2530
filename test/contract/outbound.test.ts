import { expect } from 'chai';
import {
  endpoints,
  operationEndpointOutbound,
  operationEndpointOutboundStrict,
  dashboardOutbound,
  dashboardOutboundStrict,
  backtestStreamOutbound,
  backtestStreamOutboundStrict,
  liveTradingStreamOutbound,
  liveTradingStreamOutboundStrict,
  marketDataStreamOutbound,
  marketDataStreamOutboundStrict,
} from '../../generated/messages.ts';
import { clientEndpoints } from '../../generated/client.ts';
import { CloseCodes, ErrorCodes } from '../../generated/codes.ts';
import { checkMessage, type ValidatorTable } from '../../generated/runtime.ts';
import * as V from '../../generated/validators.js';
import * as S from '../../generated/validators-strict.js';
import { loadSpec, specExamples } from '../support/spec.ts';

/**
 * The evolution rule (server → client open, client → server strict) and the strict variants the server checks its
 * own output with.
 */

const ts = '2024-02-11T14:30:22Z';
const bt = 'backtest:bt_20240211_143022_a1b2c3';

interface Case {
  name: string;
  open: ValidatorTable;
  strict: ValidatorTable;
  /** A valid server message. */
  base: Record<string, unknown>;
  /** The same message with one undeclared field, and the pointer of that field. */
  extended: Record<string, unknown>;
  field: string;
}

const barsUpdate = { type: 'bars.update', topic: 'bars:AAPL:1', seq: 42, payload: { time: 1734609600000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 } };
const subscribeReply = {
  type: 'bars.subscribe.response', id: 'r1',
  payload: { status: 'ok', message: 'Subscribed to bars:AAPL:1', topic: 'bars:AAPL:1', asOf: { epoch: 'k3f9', offset: 41 }, recovered: false },
};
const subscriptions = { type: 'subscriptions', streams: ['trades'], positions: { 'dashboard:trades': { asOf: { epoch: 'k3f9', offset: 7 }, recovered: true } } };
const priceUpdate = { type: 'price_update', seq: 3, topic: 'dashboard:prices', symbols: { AAPL: { price: 1, change: 0, change_pct: 0 } }, timestamp: ts };
const progress = { type: 'progress', seq: 12, topic: bt, timestamp: ts, data: { processed: 1, total: 2, pct: 50, equity: 100 } };
const connected = {
  type: 'connected', timestamp: ts,
  data: { stream: 'backtest', message: 'Connected', backtest_id: 'bt_20240211_143022_a1b2c3', positions: { [bt]: { asOf: { epoch: 'r7q2', offset: 130 }, recovered: false, reason: 'limit' } } },
};
const order = {
  type: 'order_update', seq: 13, topic: 'live-trading:orders:AAPL', timestamp: ts,
  data: { order_id: '1', symbol: 'AAPL', side: 'BUY', quantity: 1, type: 'MKT', status: 'filled', filled_quantity: 1, created_at: ts },
};
const confluence = {
  type: 'confluence', seq: 951, topic: 'market-data:AAPL:1', timestamp: ts,
  data: { symbol: 'AAPL', resolution: '1', score: 1, bias: 'neutral', components: { trend: 0, momentum: 0, moving_average: 0, pattern: 0 } },
};
const pong = { type: 'pong', timestamp: ts, data: {} };

const deep = (base: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> => {
  const copy = structuredClone(base);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path.at(-1)!] = value;
  return copy;
};

const cases: Case[] = [
  { name: 'bars.update: a root field', open: operationEndpointOutbound, strict: operationEndpointOutboundStrict, base: barsUpdate, extended: deep(barsUpdate, ['epoch'], 'k3f9'), field: '/epoch' },
  { name: 'bars.update: a field in the bar', open: operationEndpointOutbound, strict: operationEndpointOutboundStrict, base: barsUpdate, extended: deep(barsUpdate, ['payload', 'vwap'], 1.2), field: '/payload/vwap' },
  { name: 'bars.subscribe.response: a field in the payload', open: operationEndpointOutbound, strict: operationEndpointOutboundStrict, base: subscribeReply, extended: deep(subscribeReply, ['payload', 'replayed'], 3), field: '/payload/replayed' },
  { name: 'subscriptions: a field in a positions entry', open: dashboardOutbound, strict: dashboardOutboundStrict, base: subscriptions, extended: deep(subscriptions, ['positions', 'dashboard:trades', 'replayed'], 2), field: '/positions/dashboard:trades/replayed' },
  { name: 'price_update: a field in a price', open: dashboardOutbound, strict: dashboardOutboundStrict, base: priceUpdate, extended: deep(priceUpdate, ['symbols', 'AAPL', 'bid'], 0.9), field: '/symbols/AAPL/bid' },
  { name: 'progress: a root field beside seq and topic', open: backtestStreamOutbound, strict: backtestStreamOutboundStrict, base: progress, extended: deep(progress, ['node'], 'edge-1'), field: '/node' },
  { name: 'connected: a field in data', open: backtestStreamOutbound, strict: backtestStreamOutboundStrict, base: connected, extended: deep(connected, ['data', 'history'], 100000), field: '/data/history' },
  { name: 'order_update: a field in data', open: liveTradingStreamOutbound, strict: liveTradingStreamOutboundStrict, base: order, extended: deep(order, ['data', 'tif'], 'DAY'), field: '/data/tif' },
  { name: 'confluence: a field in an inline object (components)', open: marketDataStreamOutbound, strict: marketDataStreamOutboundStrict, base: confluence, extended: deep(confluence, ['data', 'components', 'volume'], 0.1), field: '/data/components/volume' },
  { name: 'pong: a field in the empty data object', open: marketDataStreamOutbound, strict: marketDataStreamOutboundStrict, base: pong, extended: deep(pong, ['data', 'server_time'], ts), field: '/data/server_time' },
];

describe('contract: server → client messages are open; the server checks its own output strictly', () => {
  for (const c of cases) {
    it(`${c.name}: open accepts it, strict refuses it naming ${c.field}`, () => {
      expect(checkMessage(c.open, c.base), 'base, open').to.equal(null);
      expect(checkMessage(c.strict, c.base), 'base, strict').to.equal(null);
      expect(checkMessage(c.open, c.extended), 'extended, open').to.equal(null);
      expect(checkMessage(c.strict, c.extended)).to.equal(`INVALID_MESSAGE: ${c.field} is not an allowed field`);
    });
  }

  it('strict and open tables differ only in openness: same types, and the rest of the schema still applies to both', () => {
    for (const e of endpoints) {
      expect(Object.keys(e.outboundStrict), e.address).to.deep.equal(Object.keys(e.outbound));
      for (const type of Object.keys(e.outbound)) expect(e.outboundStrict[type], `${e.address} ${type}`).to.not.equal(e.outbound[type]);
    }
    const badSeq = { ...barsUpdate, seq: 0 };
    expect(checkMessage(operationEndpointOutbound, badSeq)).to.contain('/seq');
    expect(checkMessage(operationEndpointOutboundStrict, badSeq)).to.contain('/seq');
    const noAsOf = deep(subscribeReply, ['payload', 'asOf'], undefined);
    expect(checkMessage(operationEndpointOutbound, JSON.parse(JSON.stringify(noAsOf)))).to.equal('INVALID_MESSAGE: /payload/asOf is required');
  });

  it('the typed client validates what it receives with the open tables', () => {
    for (const e of endpoints) {
      const info = clientEndpoints[e.address as keyof typeof clientEndpoints];
      expect(info.outbound, e.address).to.equal(e.outbound);
    }
  });

  it('client → server schemas stay strict in both modules', () => {
    const since = { epoch: 'k3f9', offset: 1, extra: true };
    expect(V.validateStreamPosition(since)).to.equal(false);
    expect(S.validateStreamPosition(since)).to.equal(false);
    expect(V.validateSinceMap({ 'bars:AAPL:1': since })).to.equal(false);
  });

  it('every example of a server message passes its strict validator (examples declare only contract fields)', () => {
    const spec = loadSpec();
    const strict = S as unknown as Record<string, (d: unknown) => boolean>;
    const outboundSchemas = new Set(collectOutboundSchemas(spec));
    let checked = 0;
    for (const ex of specExamples(spec)) {
      if (!outboundSchemas.has(ex.schema)) continue;
      expect(strict[`validate${ex.schema}`]!(ex.payload), `${ex.message} "${ex.name}"`).to.equal(true);
      checked++;
    }
    expect(checked).to.be.greaterThan(30);
  });

  it('every publication type shows seq and topic in an example; replies show recovered and not recovered', () => {
    const examples = specExamples(loadSpec());
    const withSeq = new Set(examples.filter((e) => typeof (e.payload as Record<string, unknown>).seq === 'number').map((e) => e.message));
    expect([...withSeq]).to.include.members(['barsUpdate', 'priceUpdate', 'signal', 'tradeExecuted', 'portfolioUpdate', 'backtestProgress', 'backtestTrade', 'orderUpdate', 'marketCandle', 'streamError']);
    const replies = examples.filter((e) => e.message === 'barsSubscribeResponse').map((e) => (e.payload as { payload: Record<string, unknown> }).payload);
    expect(replies.some((p) => p.recovered === true)).to.equal(true);
    expect(replies.some((p) => p.recovered === false && typeof p.reason === 'string')).to.equal(true);
  });
});

describe('contract: recovery codes and the since query parameter', () => {
  it('close 4005 INSUFFICIENT_STATE is reconnectable; its reason fits a close frame', () => {
    expect(CloseCodes.INSUFFICIENT_STATE).to.deep.equal({ code: 4005, reason: 'continuity lost; reconnect and recover', reconnect: true });
    for (const [name, c] of Object.entries(CloseCodes)) {
      expect(Buffer.byteLength(c.reason), name).to.be.lessThan(123);
      if (c.code >= 4000 && c.code < 4500) expect(c.reconnect, name).to.equal(true);
      if (c.code >= 4500) expect(c.reconnect, name).to.equal(false);
    }
  });

  it('error UNAVAILABLE exists in the table and in the ErrorCode schema', () => {
    expect(ErrorCodes.UNAVAILABLE).to.contain('broker');
    expect(V.validateErrorCode('UNAVAILABLE')).to.equal(true);
  });

  for (const channel of ['dashboard', 'backtestStream', 'liveTradingStream', 'marketDataStream']) {
    it(`${channel} declares a since query parameter (a URL-encoded JSON SinceMap) whose example is a valid SinceMap`, () => {
      const since = loadSpec().channels[channel].bindings.ws.query.properties.since;
      expect(since.type).to.equal('string');
      expect(since['x-schema']).to.deep.equal({ $ref: '#/components/schemas/SinceMap' });
      const map = JSON.parse(since.example);
      expect(V.validateSinceMap(map), JSON.stringify(V.validateSinceMap.errors)).to.equal(true);
      expect(Object.keys(map).length).to.be.greaterThan(0);
      // It survives the URL round trip a client does.
      const url = new URL(`ws://localhost:8000/x?since=${encodeURIComponent(since.example)}`);
      expect(JSON.parse(url.searchParams.get('since')!)).to.deep.equal(map);
    });
  }
});

/** Payload schema names of every message some endpoint sends (send operations and replies). */
function collectOutboundSchemas(spec: ReturnType<typeof loadSpec>): string[] {
  const out: string[] = [];
  for (const op of Object.values<any>(spec.operations)) {
    const refs = [...(op.action === 'send' ? op.messages : []), ...(op.reply?.messages ?? [])];
    for (const r of refs) {
      const [, , ch, , key] = String(r.$ref).split('/');
      out.push(String(spec.channels[ch!].messages[key!].$ref).split('/').pop()!);
    }
  }
  return out.map((m) => String(spec.components.messages[m].payload.$ref).split('/').pop()!);
}
