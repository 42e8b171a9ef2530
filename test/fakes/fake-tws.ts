/**
 * A fake TWS / IB Gateway: a `net` server on 127.0.0.1 (port 0) that speaks enough of the TWS API wire
 * protocol (server version 193, the highest @stoqey/ib 1.6.x supports) to drive the REAL, unmodified IBApi
 * client. Field layouts below are those @stoqey/ib's decoder/encoder use at server version 193
 * (node_modules/@stoqey/ib/dist/core/io/{decoder,encoder}.js); a wrong layout shows up on the client as
 * error 505, which the tests assert never happens.
 *
 * Wire format (V100+): the client opens with `API\0` + 4-byte big-endian length + `v100..193`; every later
 * message either way is a 4-byte big-endian length + NUL-terminated fields. The fake answers the handshake
 * with [serverVersion, connectionTime]; after START_API it sends MANAGED_ACCTS and NEXT_VALID_ID (the client
 * queues every request until NEXT_VALID_ID arrives).
 *
 * Covered requests (decoded into `requests`): START_API, REQ_MKT_DATA, CANCEL_MKT_DATA, REQ_MARKET_DATA_TYPE,
 * REQ_REAL_TIME_BARS, CANCEL_REAL_TIME_BARS, REQ_HISTORICAL_DATA, CANCEL_HISTORICAL_DATA, PLACE_ORDER
 * (leading fields only), CANCEL_ORDER, REQ_EXECUTIONS, REQ_POSITIONS, CANCEL_POSITIONS, REQ_PNL, CANCEL_PNL,
 * REQ_IDS, REQ_OPEN_ORDERS, REQ_ALL_OPEN_ORDERS, REQ_AUTO_OPEN_ORDERS. Anything else is logged as `unknown`.
 *
 * Pushed messages: REAL_TIME_BARS, HISTORICAL_DATA, TICK_PRICE, TICK_SIZE, MARKET_DATA_TYPE, ERR_MSG,
 * EXECUTION_DATA, EXECUTION_DATA_END, COMMISSION_REPORT, POSITION, POSITION_END, PNL, ORDER_STATUS,
 * OPEN_ORDER_END, NEXT_VALID_ID, MANAGED_ACCTS, and raw field lists (`sendRaw`, `replay` of JSON fixtures).
 * OPEN_ORDER is not produced (its layout at v193 is ~150 fields; ORDER_STATUS carries what the venue needs).
 *
 * Routing: a message that carries a request id goes to the connection that sent that request id last
 * (ORDER_STATUS: the connection that placed / cancelled that order id); one without (unsolicited executions, positions, connectivity errors) goes to every live connection.
 * Automatic answers are `responders`, each replaceable by a test; defaults are documented on each.
 *
 * Test-only code: one instance per test, no module state, never listens on anything but 127.0.0.1.
 */
import net from 'node:net';

export const SERVER_VERSION = 193;

/** Incoming message ids (server → client) used here. */
export const IN = {
  TICK_PRICE: 1,
  TICK_SIZE: 2,
  ORDER_STATUS: 3,
  ERR_MSG: 4,
  NEXT_VALID_ID: 9,
  EXECUTION_DATA: 11,
  MANAGED_ACCTS: 15,
  HISTORICAL_DATA: 17,
  REAL_TIME_BARS: 50,
  OPEN_ORDER_END: 53,
  EXECUTION_DATA_END: 55,
  MARKET_DATA_TYPE: 58,
  COMMISSION_REPORT: 59,
  POSITION: 61,
  POSITION_END: 62,
  PNL: 94,
  MARKET_DEPTH: 12,
  TICK_BY_TICK: 99,
} as const;

/** Outgoing message ids (client → server) the fake decodes. */
export const OUT = {
  REQ_MKT_DATA: 1,
  CANCEL_MKT_DATA: 2,
  PLACE_ORDER: 3,
  CANCEL_ORDER: 4,
  REQ_OPEN_ORDERS: 5,
  REQ_EXECUTIONS: 7,
  REQ_IDS: 8,
  REQ_AUTO_OPEN_ORDERS: 15,
  REQ_ALL_OPEN_ORDERS: 16,
  REQ_HISTORICAL_DATA: 20,
  CANCEL_HISTORICAL_DATA: 25,
  REQ_REAL_TIME_BARS: 50,
  CANCEL_REAL_TIME_BARS: 51,
  REQ_MARKET_DATA_TYPE: 59,
  REQ_POSITIONS: 61,
  CANCEL_POSITIONS: 64,
  START_API: 71,
  REQ_PNL: 92,
  CANCEL_PNL: 93,
  REQ_MKT_DEPTH: 10,
  CANCEL_MKT_DEPTH: 11,
  REQ_TICK_BY_TICK_DATA: 97,
  CANCEL_TICK_BY_TICK_DATA: 98,
} as const;

export type RequestType =
  | 'startApi'
  | 'reqMktData'
  | 'cancelMktData'
  | 'placeOrder'
  | 'cancelOrder'
  | 'reqOpenOrders'
  | 'reqAllOpenOrders'
  | 'reqAutoOpenOrders'
  | 'reqExecutions'
  | 'reqIds'
  | 'reqHistoricalData'
  | 'cancelHistoricalData'
  | 'reqRealTimeBars'
  | 'cancelRealTimeBars'
  | 'reqMarketDataType'
  | 'reqPositions'
  | 'cancelPositions'
  | 'reqPnL'
  | 'cancelPnL'
  | 'reqMktDepth'
  | 'cancelMktDepth'
  | 'reqTickByTickData'
  | 'cancelTickByTickData'
  | 'unknown';

/** One decoded request the client sent. `fields` is the raw field list (message id first). */
export interface TwsRequest {
  type: RequestType;
  msgId: number;
  /** which accepted connection (1, 2, ...) sent it */
  connection: number;
  fields: string[];
  /** named fields; numbers stay strings exactly as on the wire */
  f: Record<string, string>;
}

/** Contract fields as the client encodes them (conId, symbol, secType, ..., localSymbol, tradingClass). */
const CONTRACT_FIELDS = [
  'conId',
  'symbol',
  'secType',
  'lastTradeDateOrContractMonth',
  'strike',
  'right',
  'multiplier',
  'exchange',
  'primaryExch',
  'currency',
  'localSymbol',
  'tradingClass',
];

/** Field names per request type at server version 193 (after the message id). */
const LAYOUTS: Record<number, { type: RequestType; names: string[] }> = {
  [OUT.START_API]: { type: 'startApi', names: ['version', 'clientId', 'optionalCapabilities'] },
  [OUT.REQ_MKT_DATA]: {
    type: 'reqMktData',
    // deltaNeutral flag is 0 for STK/CRYPTO (no extra fields follow); BAG combo legs are not decoded.
    names: ['version', 'reqId', ...CONTRACT_FIELDS, 'deltaNeutral', 'genericTickList', 'snapshot', 'regulatorySnapshot', 'mktDataOptions'],
  },
  [OUT.CANCEL_MKT_DATA]: { type: 'cancelMktData', names: ['version', 'reqId'] },
  [OUT.PLACE_ORDER]: {
    type: 'placeOrder',
    names: ['orderId', ...CONTRACT_FIELDS, 'secIdType', 'secId', 'action', 'totalQuantity', 'orderType', 'lmtPrice', 'auxPrice', 'tif', 'ocaGroup', 'account'],
  },
  [OUT.CANCEL_ORDER]: { type: 'cancelOrder', names: ['orderId', 'manualOrderCancelTime', 'extOperator', 'manualOrderIndicator'] },
  [OUT.REQ_OPEN_ORDERS]: { type: 'reqOpenOrders', names: ['version'] },
  [OUT.REQ_ALL_OPEN_ORDERS]: { type: 'reqAllOpenOrders', names: ['version'] },
  [OUT.REQ_AUTO_OPEN_ORDERS]: { type: 'reqAutoOpenOrders', names: ['version', 'autoBind'] },
  [OUT.REQ_EXECUTIONS]: {
    type: 'reqExecutions',
    names: ['version', 'reqId', 'clientId', 'acctCode', 'time', 'symbol', 'secType', 'exchange', 'side'],
  },
  [OUT.REQ_IDS]: { type: 'reqIds', names: ['version', 'numIds'] },
  [OUT.REQ_HISTORICAL_DATA]: {
    type: 'reqHistoricalData',
    names: ['reqId', ...CONTRACT_FIELDS, 'includeExpired', 'endDateTime', 'barSize', 'duration', 'useRTH', 'whatToShow', 'formatDate', 'keepUpToDate', 'chartOptions'],
  },
  [OUT.CANCEL_HISTORICAL_DATA]: { type: 'cancelHistoricalData', names: ['version', 'reqId'] },
  [OUT.REQ_REAL_TIME_BARS]: {
    type: 'reqRealTimeBars',
    names: ['version', 'reqId', ...CONTRACT_FIELDS, 'barSize', 'whatToShow', 'useRTH', 'options'],
  },
  [OUT.CANCEL_REAL_TIME_BARS]: { type: 'cancelRealTimeBars', names: ['version', 'reqId'] },
  [OUT.REQ_MARKET_DATA_TYPE]: { type: 'reqMarketDataType', names: ['version', 'marketDataType'] },
  [OUT.REQ_POSITIONS]: { type: 'reqPositions', names: ['version'] },
  [OUT.CANCEL_POSITIONS]: { type: 'cancelPositions', names: ['version'] },
  [OUT.REQ_PNL]: { type: 'reqPnL', names: ['reqId', 'account', 'modelCode'] },
  [OUT.REQ_MKT_DEPTH]: { type: 'reqMktDepth', names: ['version', 'reqId', ...CONTRACT_FIELDS, 'numRows', 'isSmartDepth', 'mktDepthOptions'] },
  [OUT.CANCEL_MKT_DEPTH]: { type: 'cancelMktDepth', names: ['version', 'reqId', 'isSmartDepth'] },
  [OUT.REQ_TICK_BY_TICK_DATA]: { type: 'reqTickByTickData', names: ['reqId', ...CONTRACT_FIELDS, 'tickType', 'numberOfTicks', 'ignoreSize'] },
  [OUT.CANCEL_TICK_BY_TICK_DATA]: { type: 'cancelTickByTickData', names: ['reqId'] },
  [OUT.CANCEL_PNL]: { type: 'cancelPnL', names: ['reqId'] },
};

export interface FakeBar {
  /** epoch seconds (bar start) */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  wap?: number;
  count?: number;
}

export interface FakeExecution {
  /** request id of a reqExecutions, or -1 for an unsolicited (live) execution */
  reqId?: number;
  orderId: number;
  execId: string;
  symbol: string;
  secType?: string;
  currency?: string;
  exchange?: string;
  /** 'BOT' | 'SLD' as TWS sends them */
  side: 'BOT' | 'SLD';
  shares: number;
  price: number;
  /** 'yyyyMMdd  HH:mm:ss' or any string; default derived from the fake's clock */
  time?: string;
  account?: string;
  permId?: number;
  clientId?: number;
  cumQty?: number;
  avgPrice?: number;
  conId?: number;
}

export interface FakePosition {
  account?: string;
  symbol: string;
  secType?: string;
  currency?: string;
  position: number;
  avgCost: number;
  conId?: number;
}

export interface FakeOrderStatus {
  orderId: number;
  status: 'PendingSubmit' | 'PreSubmitted' | 'Submitted' | 'Filled' | 'Cancelled' | 'Inactive' | 'ApiCancelled';
  filled: number;
  remaining: number;
  avgFillPrice?: number;
  lastFillPrice?: number;
  permId?: number;
  clientId?: number;
  whyHeld?: string;
}

/** One recorded message: its wire fields (message id first), with `{reqId}`-style placeholders. */
export interface TwsFixture {
  description: string;
  messages: { name: string; fields: (string | number)[] }[];
}

/** Automatic answers to requests. Each gets the decoded request and the fake; replace any in a test. */
export interface Responders {
  /** default: nothing (the test pushes bars with `realtimeBar`) */
  reqRealTimeBars?: (req: TwsRequest, fake: FakeTws) => void;
  /** default: HISTORICAL_DATA with `historicalBars(req)` (empty unless set) */
  reqHistoricalData?: (req: TwsRequest, fake: FakeTws) => void;
  /**
   * default: per `marketData.permission` — 'live': nothing (the test pushes ticks); 'none': ERR_MSG 354 for
   * market data type 1, then once the client asks for type 3 (or 4), 10167 + MARKET_DATA_TYPE 3.
   */
  reqMktData?: (req: TwsRequest, fake: FakeTws) => void;
  /** default: ORDER_STATUS Submitted (filled 0) */
  placeOrder?: (req: TwsRequest, fake: FakeTws) => void;
  /** default: ORDER_STATUS Cancelled */
  cancelOrder?: (req: TwsRequest, fake: FakeTws) => void;
  /** default: every stored execution (`executions`) with its commission report, then EXECUTION_DATA_END */
  reqExecutions?: (req: TwsRequest, fake: FakeTws) => void;
  /** default: every stored position, then POSITION_END */
  reqPositions?: (req: TwsRequest, fake: FakeTws) => void;
  /** default: PNL with `pnl` */
  reqPnL?: (req: TwsRequest, fake: FakeTws) => void;
  /** default: NEXT_VALID_ID with the next order id */
  reqIds?: (req: TwsRequest, fake: FakeTws) => void;
  /** default: OPEN_ORDER_END */
  reqOpenOrders?: (req: TwsRequest, fake: FakeTws) => void;
}

export interface FakeTwsOptions {
  accounts?: string[];
  /** first order id given in NEXT_VALID_ID (default 1) */
  nextValidId?: number;
  /** epoch ms; default Date.now */
  now?: () => number;
  /** Port to listen on (default 0: an ephemeral one); a test starts TWS "late" on the port a gateway already tries. */
  port?: number;
}

interface Conn {
  id: number;
  socket: net.Socket;
  buffer: Buffer;
  handshakeDone: boolean;
  marketDataType: number;
}

type RequestWaiter = { match: (r: TwsRequest) => boolean; resolve: (r: TwsRequest) => void };

export class FakeTws {
  readonly requests: TwsRequest[] = [];
  readonly responders: Responders = {};
  /** Executions kept for reqExecutions (the default responder replays them). */
  readonly executions: { exec: FakeExecution; commission?: number }[] = [];
  /** Positions the default reqPositions responder reports. */
  positions: FakePosition[] = [];
  pnl = { daily: 0, unrealized: 0, realized: 0 };
  /** 'live': market data permitted; 'none': only delayed data (354 on type 1, 10167 + delayed ticks on 3). */
  marketData: { permission: 'live' | 'none' } = { permission: 'live' };
  /** Bars the default historical responder returns for a request. */
  historicalBars: (req: TwsRequest) => FakeBar[] = () => [];
  /** Ticks sent right after the default reqMktData answer (per symbol): last and close. */
  quotes = new Map<string, { last: number; close: number }>();

  private readonly server: net.Server;
  private readonly conns = new Map<number, Conn>();
  private readonly reqOwner = new Map<number, number>();
  private readonly orderOwner = new Map<number, number>();
  private readonly waiters: RequestWaiter[] = [];
  private readonly connWaiters: { count: number; resolve: () => void }[] = [];
  private connCount = 0;
  /** Connection attempts closed at once while not accepting. */
  refused = 0;
  private accepting = true;
  private orderId: number;
  private readonly accounts: string[];
  private readonly now: () => number;

  private constructor(opts: FakeTwsOptions) {
    this.accounts = opts.accounts ?? ['DU1234567'];
    this.orderId = opts.nextValidId ?? 1;
    this.now = opts.now ?? Date.now;
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** Starts listening on 127.0.0.1, an ephemeral port unless `opts.port`. */
  static async start(opts: FakeTwsOptions = {}): Promise<FakeTws> {
    const fake = new FakeTws(opts);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get port(): number {
    const addr = this.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('fake TWS not listening');
    return addr.port;
  }

  /** Connections accepted so far (including dropped ones). */
  get connectionCount(): number {
    return this.connCount;
  }

  /** Live connections that completed START_API. */
  get liveConnections(): number {
    return [...this.conns.values()].filter((c) => c.handshakeDone).length;
  }

  /** Requests of one type, in arrival order. */
  requestsOf(type: RequestType): TwsRequest[] {
    return this.requests.filter((r) => r.type === type);
  }

  /**
   * Resolves with the first logged request (index >= `since`) of `type` that satisfies `where`;
   * rejects after `timeoutMs` (default 2000).
   */
  waitForRequest(
    type: RequestType,
    opts: { where?: (r: TwsRequest) => boolean; since?: number; timeoutMs?: number } = {},
  ): Promise<TwsRequest> {
    const match = (r: TwsRequest) => r.type === type && (opts.where?.(r) ?? true);
    const found = this.requests.slice(opts.since ?? 0).find(match);
    if (found) return Promise.resolve(found);
    const timeoutMs = opts.timeoutMs ?? 2000;
    return new Promise((resolve, reject) => {
      const waiter: RequestWaiter = {
        match,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`fake TWS: no ${type} request within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Resolves once `count` connections in total have completed START_API. */
  waitForConnections(count: number, timeoutMs = 3000): Promise<void> {
    if (this.requestsOf('startApi').length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const entry = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const i = this.connWaiters.indexOf(entry);
        if (i >= 0) this.connWaiters.splice(i, 1);
        reject(new Error(`fake TWS: ${count} connections not reached within ${timeoutMs} ms`));
      }, timeoutMs);
      this.connWaiters.push(entry);
    });
  }

  /** Kills every live connection (the client sees a disconnect). The server keeps accepting. */
  drop(): void {
    for (const c of this.conns.values()) c.socket.destroy();
    this.conns.clear();
  }

  /** While false, new connections are closed at once (TWS down); `drop()` + `setAccepting(false)` = outage. */
  setAccepting(accepting: boolean): void {
    this.accepting = accepting;
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- pushing messages ------------------------------------------------------------------------------

  /**
   * Sends raw fields (message id first) to the connection that owns `reqId` (a request id, else an order id;
   * `byOrder`: an order id only), or to every live connection.
   */
  sendRaw(fields: (string | number | boolean | undefined)[], reqId?: number, byOrder = false): void {
    const payload = fields.map((v) => (v === undefined ? '' : typeof v === 'boolean' ? (v ? '1' : '0') : String(v)));
    const body = Buffer.from(payload.join('\0') + '\0', 'utf8');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    const frame = Buffer.concat([header, body]);
    for (const c of this.targets(reqId, byOrder)) c.socket.write(frame);
  }

  /** REAL_TIME_BARS (5-second bar; `time` in epoch seconds). */
  realtimeBar(reqId: number, bar: FakeBar): void {
    this.sendRaw(
      [IN.REAL_TIME_BARS, 3, reqId, bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.wap ?? bar.close, bar.count ?? 1],
      reqId,
    );
  }

  /** HISTORICAL_DATA: all bars in one message, dates as epoch seconds (formatDate 2) unless given as strings. */
  historicalData(reqId: number, bars: (FakeBar & { date?: string })[], start = '', end = ''): void {
    const fields: (string | number)[] = [IN.HISTORICAL_DATA, reqId, start, end, bars.length];
    for (const b of bars) {
      fields.push(b.date ?? String(b.time), b.open, b.high, b.low, b.close, b.volume, b.wap ?? b.close, b.count ?? 1);
    }
    this.sendRaw(fields, reqId);
  }

  /** TICK_PRICE (version 3: price, size, attribute mask). Tick types: 4 last, 9 close, 68 delayed last, 75 delayed close. */
  tickPrice(reqId: number, tickType: number, price: number, size = 0): void {
    this.sendRaw([IN.TICK_PRICE, 3, reqId, tickType, price, size, 0], reqId);
  }

  tickSize(reqId: number, tickType: number, size: number): void {
    this.sendRaw([IN.TICK_SIZE, 1, reqId, tickType, size], reqId);
  }

  /**
   * MARKET_DEPTH (version 1): one row of a level-2 book. operation 0 insert at `position`, 1 update, 2 delete;
   * side 0 ask, 1 bid.
   */
  marketDepth(reqId: number, position: number, operation: 0 | 1 | 2, side: 0 | 1, price: number, size: number): void {
    this.sendRaw([IN.MARKET_DEPTH, 1, reqId, position, operation, side, price, size], reqId);
  }

  /** TICK_BY_TICK, tick type 2 (AllLast): one trade; `time` in epoch seconds. */
  tickByTickLast(reqId: number, time: number, price: number, size: number, exchange = 'NASDAQ'): void {
    this.sendRaw([IN.TICK_BY_TICK, reqId, 2, time, price, size, 0, exchange, ''], reqId);
  }

  /** MARKET_DATA_TYPE: 1 live, 2 frozen, 3 delayed, 4 delayed-frozen. */
  marketDataType(reqId: number, type: number): void {
    this.sendRaw([IN.MARKET_DATA_TYPE, 1, reqId, type], reqId);
  }

  /** ERR_MSG (version 2). id -1 = not tied to a request (the client reports it as `info`). */
  error(id: number, code: number, message: string): void {
    this.sendRaw([IN.ERR_MSG, 2, id, code, message, ''], id >= 0 ? id : undefined);
  }

  /**
   * EXECUTION_DATA (no version field at v193), optionally followed by its COMMISSION_REPORT.
   * Unsolicited (reqId -1) executions go to every live connection, as TWS does for manual trades.
   */
  execution(exec: FakeExecution, commission?: number): void {
    const reqId = exec.reqId ?? -1;
    const time = exec.time ?? formatExecTime(this.now());
    this.sendRaw(
      [
        IN.EXECUTION_DATA,
        reqId,
        exec.orderId,
        exec.conId ?? 0,
        exec.symbol,
        exec.secType ?? 'STK',
        '',
        0,
        '',
        '',
        exec.exchange ?? 'SMART',
        exec.currency ?? 'USD',
        exec.symbol,
        exec.symbol,
        exec.execId,
        time,
        exec.account ?? this.accounts[0],
        exec.exchange ?? 'ISLAND',
        exec.side,
        exec.shares,
        exec.price,
        exec.permId ?? 0,
        exec.clientId ?? 0,
        0,
        exec.cumQty ?? exec.shares,
        exec.avgPrice ?? exec.price,
        '',
        '',
        '',
        '',
        0,
        0,
      ],
      reqId >= 0 ? reqId : undefined,
    );
    if (commission !== undefined) this.commissionReport(exec.execId, commission);
  }

  /** COMMISSION_REPORT (realized P&L / yield sent as "unset" = Double.MAX_VALUE, as TWS does). */
  commissionReport(execId: string, commission: number, currency = 'USD'): void {
    this.sendRaw([IN.COMMISSION_REPORT, 1, execId, commission, currency, '1.7976931348623157E308', '1.7976931348623157E308', 0]);
  }

  execDetailsEnd(reqId: number): void {
    this.sendRaw([IN.EXECUTION_DATA_END, 1, reqId], reqId);
  }

  /** POSITION (version 3) to every live connection. */
  position(p: FakePosition): void {
    this.sendRaw([
      IN.POSITION,
      3,
      p.account ?? this.accounts[0],
      p.conId ?? 0,
      p.symbol,
      p.secType ?? 'STK',
      '',
      0,
      '',
      '',
      'SMART',
      p.currency ?? 'USD',
      p.symbol,
      p.symbol,
      p.position,
      p.avgCost,
    ]);
  }

  positionEnd(): void {
    this.sendRaw([IN.POSITION_END, 1]);
  }

  pnlUpdate(reqId: number, daily: number, unrealized: number, realized: number): void {
    this.sendRaw([IN.PNL, reqId, daily, unrealized, realized], reqId);
  }

  /** ORDER_STATUS (v193 layout, no version field). Goes to the connection that placed the order. */
  orderStatus(s: FakeOrderStatus): void {
    this.sendRaw(
      [
        IN.ORDER_STATUS,
        s.orderId,
        s.status,
        s.filled,
        s.remaining,
        s.avgFillPrice ?? 0,
        s.permId ?? 0,
        0,
        s.lastFillPrice ?? 0,
        s.clientId ?? 0,
        s.whyHeld ?? '',
        0,
      ],
      s.orderId,
      true,
    );
  }

  /**
   * Sends a recorded sequence. Placeholders `{name}` inside string fields are replaced from `vars`
   * (e.g. `{reqId}`); a field that is exactly `{name}` takes the variable's value.
   */
  replay(fixture: TwsFixture, vars: Record<string, string | number> = {}, reqId?: number): void {
    for (const m of fixture.messages) {
      const fields = m.fields.map((v) =>
        typeof v === 'string' ? v.replace(/\{(\w+)\}/g, (all, k: string) => (k in vars ? String(vars[k]) : all)) : v,
      );
      this.sendRaw(fields, reqId);
    }
  }

  // ---- internals ---------------------------------------------------------------------------------------

  private targets(reqId?: number, byOrder = false): Conn[] {
    const live = [...this.conns.values()].filter((c) => c.handshakeDone);
    if (reqId === undefined) return live;
    const owner = byOrder ? this.orderOwner.get(reqId) : (this.reqOwner.get(reqId) ?? this.orderOwner.get(reqId));
    const c = owner === undefined ? undefined : this.conns.get(owner);
    return c ? [c] : live;
  }

  private accept(socket: net.Socket): void {
    if (!this.accepting) {
      this.refused++;
      socket.destroy();
      return;
    }
    const conn: Conn = { id: ++this.connCount, socket, buffer: Buffer.alloc(0), handshakeDone: false, marketDataType: 1 };
    this.conns.set(conn.id, conn);
    socket.on('data', (d) => this.onData(conn, d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.conns.get(conn.id) === conn) this.conns.delete(conn.id);
    });
  }

  private onData(conn: Conn, data: Buffer): void {
    conn.buffer = Buffer.concat([conn.buffer, data]);
    if (!conn.handshakeDone && conn.buffer.length >= 4 && conn.buffer.subarray(0, 4).toString('latin1') === 'API\0') {
      if (conn.buffer.length < 8) return;
      const len = conn.buffer.readUInt32BE(4);
      if (conn.buffer.length < 8 + len) return;
      conn.buffer = conn.buffer.subarray(8 + len);
      // server version + connection time, one length-prefixed message
      this.writeTo(conn, [SERVER_VERSION, formatConnTime(this.now())]);
    }
    while (conn.buffer.length >= 4) {
      const len = conn.buffer.readUInt32BE(0);
      if (conn.buffer.length < 4 + len) return;
      const body = conn.buffer.subarray(4, 4 + len).toString('utf8');
      conn.buffer = conn.buffer.subarray(4 + len);
      const fields = body.split('\0');
      if (fields[fields.length - 1] === '') fields.pop();
      this.onRequest(conn, fields);
    }
  }

  private writeTo(conn: Conn, fields: (string | number)[]): void {
    const body = Buffer.from(fields.map(String).join('\0') + '\0', 'utf8');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    conn.socket.write(Buffer.concat([header, body]));
  }

  private onRequest(conn: Conn, fields: string[]): void {
    const msgId = Number(fields[0]);
    const layout = LAYOUTS[msgId];
    const f: Record<string, string> = {};
    if (layout) layout.names.forEach((name, i) => (f[name] = fields[i + 1] ?? ''));
    const req: TwsRequest = { type: layout?.type ?? 'unknown', msgId, connection: conn.id, fields, f };
    if (f.reqId !== undefined && f.reqId !== '') this.reqOwner.set(Number(f.reqId), conn.id);
    if (req.type === 'placeOrder' || req.type === 'cancelOrder') this.orderOwner.set(Number(f.orderId), conn.id);
    this.requests.push(req);
    this.answer(conn, req);
    for (const w of [...this.waiters]) {
      if (w.match(req)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(req);
      }
    }
    if (req.type === 'startApi') {
      const started = this.requestsOf('startApi').length;
      for (const w of [...this.connWaiters]) {
        if (started >= w.count) {
          this.connWaiters.splice(this.connWaiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
  }

  private answer(conn: Conn, req: TwsRequest): void {
    const r = this.responders;
    switch (req.type) {
      case 'startApi':
        conn.handshakeDone = true;
        this.writeTo(conn, [IN.MANAGED_ACCTS, 1, this.accounts.join(',')]);
        this.writeTo(conn, [IN.NEXT_VALID_ID, 1, this.orderId]);
        return;
      case 'reqIds':
        if (r.reqIds) return r.reqIds(req, this);
        this.writeTo(conn, [IN.NEXT_VALID_ID, 1, this.orderId]);
        return;
      case 'reqMarketDataType':
        conn.marketDataType = Number(req.f.marketDataType);
        return;
      case 'reqRealTimeBars':
        return r.reqRealTimeBars?.(req, this);
      case 'reqHistoricalData':
        if (r.reqHistoricalData) return r.reqHistoricalData(req, this);
        this.historicalData(Number(req.f.reqId), this.historicalBars(req));
        return;
      case 'reqMktData':
        if (r.reqMktData) return r.reqMktData(req, this);
        return this.defaultMktData(conn, req);
      case 'placeOrder': {
        const id = Number(req.f.orderId);
        if (id >= this.orderId) this.orderId = id + 1;
        if (r.placeOrder) return r.placeOrder(req, this);
        this.orderStatus({ orderId: id, status: 'Submitted', filled: 0, remaining: Number(req.f.totalQuantity) });
        return;
      }
      case 'cancelOrder':
        if (r.cancelOrder) return r.cancelOrder(req, this);
        this.orderStatus({ orderId: Number(req.f.orderId), status: 'Cancelled', filled: 0, remaining: 0 });
        return;
      case 'reqExecutions': {
        if (r.reqExecutions) return r.reqExecutions(req, this);
        const reqId = Number(req.f.reqId);
        for (const e of this.executions) this.execution({ ...e.exec, reqId }, e.commission);
        this.execDetailsEnd(reqId);
        return;
      }
      case 'reqPositions':
        if (r.reqPositions) return r.reqPositions(req, this);
        for (const p of this.positions) this.position(p);
        this.positionEnd();
        return;
      case 'reqPnL':
        if (r.reqPnL) return r.reqPnL(req, this);
        this.pnlUpdate(Number(req.f.reqId), this.pnl.daily, this.pnl.unrealized, this.pnl.realized);
        return;
      case 'reqOpenOrders':
      case 'reqAllOpenOrders':
        if (r.reqOpenOrders) return r.reqOpenOrders(req, this);
        this.writeTo(conn, [IN.OPEN_ORDER_END, 1]);
        return;
      default:
        return;
    }
  }

  private defaultMktData(conn: Conn, req: TwsRequest): void {
    const reqId = Number(req.f.reqId);
    const quote = this.quotes.get(req.f.symbol);
    if (this.marketData.permission === 'none') {
      if (conn.marketDataType === 1 || conn.marketDataType === 2) {
        this.error(
          reqId,
          354,
          'Requested market data is not subscribed. Delayed market data is available.',
        );
        return;
      }
      this.error(reqId, 10167, 'Requested market data is not subscribed. Displaying delayed market data.');
      this.marketDataType(reqId, 3);
      if (quote) {
        this.tickPrice(reqId, 68, quote.last);
        this.tickPrice(reqId, 75, quote.close);
      }
      return;
    }
    this.marketDataType(reqId, 1);
    if (quote) {
      this.tickPrice(reqId, 4, quote.last);
      this.tickPrice(reqId, 9, quote.close);
    }
  }
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** TWS connection-time format, e.g. `20261123 10:37:09 UTC`. */
function formatConnTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** Execution time as TWS sends it: `yyyyMMdd  HH:mm:ss` (two spaces), here in UTC. */
export function formatExecTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}  ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
