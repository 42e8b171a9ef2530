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
  // bars.unsubscribe
  { name: 'unsubscribe missing symbol', table: operationEndpointInbound, given: { type: 'bars.unsubscribe', payload: {} }, want: { code: 'INVALID_MESSAGE', field: '/payload/symbol' } },
  { name: 'unsubscribe bad resolution', table: operationEndpointInbound, given: { type: 'bars.unsubscribe', payload: { symbol: 'AAPL', resolution: 'W' } }, want: { code: 'INVALID_MESSAGE', field: '/payload/resolution' } },
  // dashboard
  { name: 'dashboard subscribe missing streams', table: dashboardInbound, given: { type: 'subscribe' }, want: { code: 'INVALID_MESSAGE', field: '/streams' } },
  { name: 'dashboard subscribe empty streams', table: dashboardInbound, given: { type: 'subscribe', streams: [] }, want: { code: 'INVALID_MESSAGE', field: '/streams' } },
  { name: 'dashboard subscribe streams wrong type', table: dashboardInbound, given: { type: 'subscribe', streams: 'prices' }, want: { code: 'INVALID_MESSAGE', field: '/streams' } },
  { name: 'dashboard unsubscribe extra field', table: dashboardInbound, given: { type: 'unsubscribe', streams: ['prices'], all: true }, want: { code: 'INVALID_MESSAGE', field: '/all' } },
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

  it('accepts valid messages, including seed 004 ones without id or resolution', () => {
    for (const given of [sub({ symbol: 'AAPL' }), sub({ symbol: 'BRK.B', resolution: 'D' }, { id: 'a' }), sub({ symbol: 'BTC-USD', resolution: '60' })]) {
      const got = decodeFrame(operationEndpointInbound, JSON.stringify(given));
      expect(got.ok, JSON.stringify(got)).to.equal(true);
    }
  });
});
