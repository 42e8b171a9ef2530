/**
 * Whether automatic trading may place orders, and what to tell the operator. A real brokerage account is never
 * traded by accident:
 * - MARKET_SOURCE=ibkr: auto-trading is off unless TRADING_AUTO_TRADE=true is set explicitly (config.ts);
 * - a live port (4001 IB Gateway, 7496 TWS) or a live account (not DU…) also needs TRADING_LIVE_ORDERS=yes: checked
 *   at startup from the configuration, and again before every order against the account the connection reports
 *   (the first managed account is known only once connected), failing closed while it is unknown.
 */

export type IbTradingKind = 'paper' | 'live' | 'unknown';

const LIVE_PORTS = new Set([4001, 7496]);
const PAPER_PORTS = new Set([4002, 7497]);

/** An account decides when known (DU… = paper); else the port (4001/7496 live, 4002/7497 paper); else unknown. */
export function ibTradingKind(port: number | undefined, account: string | undefined): IbTradingKind {
  if (account) return /^DU/i.test(account) ? (port !== undefined && LIVE_PORTS.has(port) ? 'live' : 'paper') : 'live';
  if (port !== undefined && LIVE_PORTS.has(port)) return 'live';
  if (port !== undefined && PAPER_PORTS.has(port)) return 'paper';
  return 'unknown';
}

export interface OrderPolicyOptions {
  source: 'simulated' | 'ibkr';
  autoTrade: boolean;
  liveOrders: boolean;
  port: number | undefined;
  /** The account orders go to (IB: configured or first managed; undefined until known). */
  account: () => string | undefined;
}

export interface OrderPolicy {
  /** undefined: an automatic order may be placed now; else why not. */
  refusal(): string | undefined;
  /** One line for the startup banner: can orders be placed, where, paper or live. */
  describe(): string;
}

export function orderPolicy(o: OrderPolicyOptions): OrderPolicy {
  const kind = () => ibTradingKind(o.port, o.account());
  return {
    refusal() {
      if (!o.autoTrade) return 'auto-trading is off';
      if (o.source !== 'ibkr') return undefined;
      const k = kind();
      if (k === 'paper' && o.account()) return undefined;
      if (k === 'live') return o.liveOrders ? undefined : `account ${o.account() ?? '?'} on port ${o.port} is live and TRADING_LIVE_ORDERS is not yes`;
      if (!o.account()) return 'the IB account is not known yet';
      return o.liveOrders ? undefined : `account ${o.account()} on port ${o.port} may be live and TRADING_LIVE_ORDERS is not yes`;
    },
    describe() {
      if (o.source !== 'ibkr') return o.autoTrade ? 'orders: auto-trading ON with the paper venue (simulated market; no real orders)' : 'orders: auto-trading off (TRADING_AUTO_TRADE=false)';
      const account = o.account();
      const k = kind();
      const where = `${k === 'live' ? 'LIVE' : k === 'paper' ? 'paper' : 'unknown (paper or live)'} account ${account ?? '(first managed, known once connected)'} on port ${o.port}`;
      if (!o.autoTrade) return `orders: NONE are placed - auto-trading is off (set TRADING_AUTO_TRADE=true to trade on signals); IB ${where}`;
      if (k === 'live' && !o.liveOrders) return `orders: NONE are placed - IB ${where} needs TRADING_LIVE_ORDERS=yes`;
      return `orders: auto-trading ON - strategy signals place REAL orders at IB, ${where}`;
    },
  };
}
