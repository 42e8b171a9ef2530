import { expect } from 'chai';
import {
  operationEndpointInbound,
  dashboardInbound,
  backtestStreamInbound,
  liveTradingStreamInbound,
  marketDataStreamInbound,
} from '../../generated/messages.ts';
import { decodeFrame, type ValidatorTable } from '../../generated/runtime.ts';

interface Case {
  name: string;
  table: ValidatorTable;
  given: unknown;
  want: { code: string; field?: string; mentions?: string };
}

const sub = (payload: unknown, extra: object = {}) => ({ type: 'bars.subscribe', payload, ...extra });

const cases: Case[] = [
  // bars.subscribe
  { name: 'missing payload', table: operationEndpointInbound, given: { type: 'bars.subscribe' }, want: { code: 'INVALID_MESSAGE', field: '/payload' } },
  { name: 'missing symbol', table: operationEndpointInbound, given: sub({ resolution: '1' }), want: { code: 'INVALID_MESSAGE', field: '/payload/symbol' } },
  { name: 'symbol wrong type', table: operationEndpointInbound, given: sub({ symbol: 42 }), want: { code: 'INVALID_MESSAGE', field: '/payload/symbol' } },
  { name: 'unknown extra field in payload', table: operationEndpointInbound, given: sub({ symbol: 'AAPL', depth: 5 }), want: { code: 'INVALID_MESSAGE', field: '/payload/depth' } },
  { name: 'unknown extra field at root', table: operationEndpointInbound, given: sub({ symbol: 'AAPL' }, { extra: true }), want: { code: 'INVALID_MESSAGE', field: '/extra' } },
  { name: 'bad symbol (lower case)', table: operationEndpointInbound, given: sub({ symbol: 'aapl' }), want: { code: 'INVALID_MESSAGE', field: '/payload/symbol' } },
  { name: 'bad symbol (injection)', table: operationEndpointInbound, given: sub({ symbol: 'AAPL:1' }), want: { code: 'INVALID_MESSAGE', field: '/payload/symbol' } },
  { name: 'bad resolution', table: operationEndpointInbound, given: sub({ symbol: 'AAPL', resolution: '2' }), want: { code: 'INVALID_MESSAGE', field: '/payload/resolution', mentions: '1, 5, 15, 30, 60, D' } },
  { name: 'resolution as number', table: operationEndpointInbound, given: sub({ symbol: 'AAPL', resolution: 1 }), want: { code: 'INVALID_MESSAGE', field: '/payload/resolution' } },
  { name: 'id too long', table: operationEndpointInbound, given: sub({ symbol: 'AAPL' }, { id: 'x'.repeat(65) }), want: { code: 'INVALID_MESSAGE', field: '/id' } },
  { name: 'unknown type', table: operationEndpointInbound, given: { type: 'bars.subscribe_all', payload: {} }, want: { code: 'UNKNOWN_TYPE', mentions: 'bars.subscribe' } },
  { name: 'missing type', table: operationEndpointInbound, given: { payload: {} }, want: { code: 'UNKNOWN_TYPE' } },
  { name: 'server-only type sent by a client', table: operationEndpointInbound, given: { type: 'bars.update', topic: 'bars:AAPL:1', payload: {} }, want: { code: 'UNKNOWN_TYPE' } },
  { name: 'not an object', table: operationEndpointInbound, given: [1, 2], want: { code: 'INVALID_MESSAGE', field: '/' } },
  // bars.subscribe since (recovery)
  { name: 'since missing epoch', table: operationEndpointInbound, given: sub({ symbol: 'AAPL', since: { offset: 4 } }), want: { code: 'INVALID_MESSAGE', field: '/payload/since/epoch' } },
  { name: 'since missing offset', table: operationEndpointInbound, given: sub({ symbol: 'AAPL', since: { epoch: 'k3f9' } }), want: { code: 'INVALID_MESSAGE', field: '/payload/since/offset' } },
  { name: 'since empty epoch', table: operationEndpointInbound, given: sub({ symbol: 'AAPL', since: { epoch: '', offset: 4 } }), want: { code: 'INVALID_MESSAGE', field: '/payload/since/epoch' } },
  { name: 'since epoch too long', table: operationEndpointInbound, given: sub({ symbol: 'AAPL', since: { epoch: 'e'.repeat(65), offset: 4 } }), want: { code: 'INVALID_MESSAGE', field: '/payload/since/epoch' } },
  { name: 'since negative offset', table: operationEndpointInbound, given: sub({ symbol: 'AAPL', since: { epoch: 'k3f9', offset: -1 } }), want: { code: 'INVALID_MESSAGE', field: '/payload/since/offset' } },
  { name: 'since fractional offset', table: operationEndpointInbound, given: sub({ symbol: 'AAPL', since: { epoch: 'k3f9', offset: 1.5 } }), want: { code: 'INVALID_MESSAGE', field: '/payload/since/offset' } },
  { name: 'since offset as string', table: operationEndpointInbound, given: sub({ symbol: 'AAPL', since: { epoch: 'k3f9', offset: '4' } }), want: { code: 'INVALID_MESSAGE', field: '/payload/since/offset' } },
  { name: 'since extra field', table: operationEndpointInbound, given: sub({ symbol: 'AAPL', since: { epoch: 'k3f9', offset: 4, top: 9 } }), want: { code: 'INVALID_MESSAGE', field: '/payload/since/top' } },
  { name: 'since not an object', table: operationEndpointInbound, given: sub({ symbol: 'AAPL', since: 'k3f9:4' }), want: { code: 'INVALID_MESSAGE', field: '/payload/since' } },
  { name: 'since at the root instead of in payload', table: operationEndpointInbound, given: sub({ symbol: 'AAPL' }, { since: { epoch: 'k3f9', offset: 4 } }), want: { code: 'INVALID_MESSAGE', field: '/since' } },
  { name: 'since on an unsubscribe', table: operationEndpointInbound, given: { type: 'bars.unsubscribe', payload: { symbol: 'AAPL', since: { epoch: 'k3f9', offset: 4 } } }, want: { code: 'INVALID_MESSAGE', field: '/payload/since' } },
  // bars.unsubscribe
  { name: 'unsubscribe missing symbol', table: operationEndpointInbound, given: { type: 'bars.unsubscribe', payload: {} }, want: { code: 'INVALID_MESSAGE', field: '/payload/symbol' } },
  { name: 'unsubscribe bad resolution', table: operationEndpointInbound, given: { type: 'bars.unsubscribe', payload: { symbol: 'AAPL', resolution: 'W' } }, want: { code: 'INVALID_MESSAGE', field: '/payload/resolution' } },
  // dashboard
  { name: 'dashboard subscribe missing streams', table: dashboardInbound, given: { type: 'subscribe' }, want: { code: 'INVALID_MESSAGE', field: '/streams' } },
  { name: 'dashboard subscribe empty streams', table: dashboardInbound, given: { type: 'subscribe', streams: [] }, want: { code: 'INVALID_MESSAGE', field: '/streams' } },
  { name: 'dashboard subscribe streams wrong type', table: dashboardInbound, given: { type: 'subscribe', streams: 'prices' }, want: { code: 'INVALID_MESSAGE', field: '/streams' } },
  { name: 'dashboard unsubscribe extra field', table: dashboardInbound, given: { type: 'unsubscribe', streams: ['prices'], all: true }, want: { code: 'INVALID_MESSAGE', field: '/all' } },
  { name: 'dashboard since not an object', table: dashboardInbound, given: { type: 'subscribe', streams: ['trades'], since: [] }, want: { code: 'INVALID_MESSAGE', field: '/since' } },
  { name: 'dashboard since entry not a position', table: dashboardInbound, given: { type: 'subscribe', streams: ['trades'], since: { 'dashboard:trades': 7 } }, want: { code: 'INVALID_MESSAGE', field: '/since/dashboard:trades' } },
  { name: 'dashboard since entry empty epoch', table: dashboardInbound, given: { type: 'subscribe', streams: ['trades'], since: { 'dashboard:trades': { epoch: '', offset: 7 } } }, want: { code: 'INVALID_MESSAGE', field: '/since/dashboard:trades/epoch' } },
  { name: 'dashboard since entry negative offset', table: dashboardInbound, given: { type: 'subscribe', streams: ['trades'], since: { 'dashboard:trades': { epoch: 'k3f9', offset: -7 } } }, want: { code: 'INVALID_MESSAGE', field: '/since/dashboard:trades/offset' } },
  { name: 'dashboard since entry extra field', table: dashboardInbound, given: { type: 'subscribe', streams: ['trades'], since: { 'dashboard:trades': { epoch: 'k3f9', offset: 7, at: 1 } } }, want: { code: 'INVALID_MESSAGE', field: '/since/dashboard:trades/at' } },
  { name: 'dashboard since key with a slash is escaped in the pointer', table: dashboardInbound, given: { type: 'subscribe', streams: ['trades'], since: { 'a/b': { epoch: 'k3f9' } } }, want: { code: 'INVALID_MESSAGE', field: '/since/a~1b/offset' } },
  { name: 'dashboard since empty key', table: dashboardInbound, given: { type: 'subscribe', streams: ['trades'], since: { '': { epoch: 'k3f9', offset: 1 } } }, want: { code: 'INVALID_MESSAGE', field: '/since', mentions: 'key ""' } },
  { name: 'dashboard since key too long (message cut short)', table: dashboardInbound, given: { type: 'subscribe', streams: ['trades'], since: { ['t'.repeat(3000)]: { epoch: 'k3f9', offset: 1 } } }, want: { code: 'INVALID_MESSAGE', field: '/since', mentions: `key "${'t'.repeat(64)}..."` } },
  { name: 'dashboard since too many topics', table: dashboardInbound, given: { type: 'subscribe', streams: ['trades'], since: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`bars:A${i}:1`, { epoch: 'e', offset: 1 }])) }, want: { code: 'INVALID_MESSAGE', field: '/since' } },
  { name: 'dashboard since on an unsubscribe', table: dashboardInbound, given: { type: 'unsubscribe', streams: ['trades'], since: {} }, want: { code: 'INVALID_MESSAGE', field: '/since' } },
  { name: 'dashboard unknown type', table: dashboardInbound, given: { type: 'price_update', symbols: {} }, want: { code: 'UNKNOWN_TYPE' } },
  // seed 003 streams
  { name: 'backtest ping extra field', table: backtestStreamInbound, given: { type: 'ping', when: 1 }, want: { code: 'INVALID_MESSAGE', field: '/when' } },
  { name: 'backtest unknown type', table: backtestStreamInbound, given: { type: 'start' }, want: { code: 'UNKNOWN_TYPE' } },
  { name: 'live-trading ping bad timestamp', table: liveTradingStreamInbound, given: { type: 'ping', timestamp: 'yesterday' }, want: { code: 'INVALID_MESSAGE', field: '/timestamp' } },
  { name: 'market-data unknown type', table: marketDataStreamInbound, given: { type: 'candle' }, want: { code: 'UNKNOWN_TYPE' } },
];

describe('contract: generated validators reject bad inbound messages', () => {
  for (const c of cases) {
    it(c.name, () => {
      const got = decodeFrame(c.table, JSON.stringify(c.given));
      expect(got.ok).to.equal(false);
      if (got.ok) return;
      expect(got.code).to.equal(c.want.code);
      if (c.want.field) {
        expect(got.field).to.equal(c.want.field);
        expect(got.message).to.contain(c.want.field);
      }
      if (c.want.mentions) expect(got.message).to.contain(c.want.mentions);
    });
  }

  it('invalid JSON is INVALID_JSON', () => {
    const got = decodeFrame(operationEndpointInbound, '{"type": "bars.subscribe",');
    expect(got).to.include({ ok: false, code: 'INVALID_JSON' });
  });

  it('echoes a readable request id in the error', () => {
    const got = decodeFrame(operationEndpointInbound, JSON.stringify(sub({ symbol: 'aapl' }, { id: 'r-9' })));
    expect(got).to.include({ ok: false, id: 'r-9' });
  });

  it('accepts a since on bars.subscribe (offset 0 = nothing seen yet) and on dashboard subscribe', () => {
    const valid: [ValidatorTable, unknown][] = [
      [operationEndpointInbound, sub({ symbol: 'AAPL', resolution: '1', since: { epoch: 'k3f9', offset: 41 } }, { id: 'r1' })],
      [operationEndpointInbound, sub({ symbol: 'AAPL', since: { epoch: 'e'.repeat(64), offset: 0 } })],
      [dashboardInbound, { type: 'subscribe', streams: ['trades', 'prices'], since: { 'dashboard:trades': { epoch: 'k3f9', offset: 7 }, 'dashboard:prices': { epoch: 'k3f9', offset: 0 } } }],
      [dashboardInbound, { type: 'subscribe', streams: ['trades'], since: {} }],
      [dashboardInbound, { type: 'subscribe', streams: ['trades'], since: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`bars:A${i}:1`, { epoch: 'e', offset: 1 }])) }],
    ];
    for (const [table, given] of valid) {
      const got = decodeFrame(table, JSON.stringify(given));
      expect(got.ok, JSON.stringify(got)).to.equal(true);
    }
  });

  it('accepts valid messages, including seed 004 ones without id or resolution', () => {
    for (const given of [sub({ symbol: 'AAPL' }), sub({ symbol: 'BRK.B', resolution: 'D' }, { id: 'a' }), sub({ symbol: 'BTC-USD', resolution: '60' })]) {
      const got = decodeFrame(operationEndpointInbound, JSON.stringify(given));
      expect(got.ok, JSON.stringify(got)).to.equal(true);
    }
  });
});
