/**
 * IbkrVenue: the OrderVenue over Interactive Brokers TWS / IB Gateway (@stoqey/ib IBApi).
 *
 * Orders:
 * - placeOrder validates locally first (symbol served, quantity > 0, MKT or LMT with a positive limit,
 *   connection ready); a refusal resolves as an order with status 'rejected' and `reason` = a stable
 *   IbkrRejectCode. Accepted orders take the next order id (max of TWS's NEXT_VALID_ID and our counter),
 *   are sent through the connection's pacing queue (DAY, transmit), reported as 'submitted' and resolved.
 * - Order state comes from ORDER_STATUS: PendingSubmit/PreSubmitted/Submitted → 'submitted' (or
 *   'partially_filled' once filled > 0), Filled → 'filled', Cancelled/ApiCancelled → 'cancelled',
 *   Inactive → 'rejected'. IB order errors 103/110/201/203/321 → 'rejected' with the IB text as `reason`;
 *   202 → 'cancelled'. onOrder is called on every change of (status, filled_quantity) — TWS repeats
 *   ORDER_STATUS, listeners do not see repeats; a terminal status is never left.
 *
 * Fills (EXECUTION_DATA + COMMISSION_REPORT), solicited or not (TWS manual trades arrive with request id -1
 * and order id 0; they get order_id `tws-<permId>`):
 * - Dedup / correction rule. An IB execId is `<base>.<NN>`: the last dot-segment is the revision (.01 the
 *   original, .02 the first correction...). `execution_id` = the base. A revision not newer than the one held
 *   is a duplicate and ignored. A newer revision REPLACES the held execution (quantity, price, side),
 *   never adds to it: positions are recomputed; if the fill was already reported, onFill is NOT called again
 *   and `onCorrection(previous, corrected)` is (the OrderVenue contract reports each execution once).
 * - A fill is reported when its COMMISSION_REPORT arrives (commission included), or `commissionWaitMs`
 *   (default 3000) after the execution if none arrives (commission 0 then; a later report is kept in state
 *   but not re-reported). So a correction that arrives before the commission report is folded silently.
 * - `timestamp`: the execution time `yyyyMMdd  HH:mm:ss` read as UTC (when it carries a time zone or cannot
 *   be read, the local receipt time).
 *
 * Positions: the POSITION snapshot of TWS (reqPositions at start and after every reconnect; TWS then pushes
 * changes) is authoritative for a symbol; live executions (request id -1) received after the latest snapshot
 * of that symbol are applied on top of it (average cost via portfolio.ts). Executions replayed by
 * reqExecutions (at start / reconnect, for dedup and reporting) are not applied: the snapshot includes them.
 *
 * Listeners are called synchronously, each isolated (a throw goes to `onError`, others still run).
 *
 * Memory over a long session (state per order and per execution is bounded):
 * - orders(): open orders are always kept; finished ones (filled / cancelled / rejected) only the latest
 *   `maxFinishedOrders` (default 1000), the oldest finished forgotten first. A late ORDER_STATUS for a forgotten
 *   order is ignored, as it would be for any finished order.
 * - Executions are kept for dedup and corrections for `executionRetentionMs` (default 24 h: reqExecutions replays
 *   the current day) after they arrived, then forgotten once reported and no longer applied on top of a position
 *   snapshot. A replayed execution (reqExecutions) whose time is older than that window is ignored, so a replay of a
 *   forgotten execution is never reported twice.
 * - A commission report is folded into its execution and not kept; one that arrives before its execution waits,
 *   at most `maxPendingCommissions` (default 1000) of them, the oldest dropped first.
 */
import { EventName, OrderAction, OrderType as IbOrderType, type Contract, type Execution, type CommissionReport } from '@stoqey/ib';
import type { VenuePosition, Fill, Order, OrderVenue, OrderRequest, OrderStatus } from './venue.ts';
import { applyFillToPosition, type PositionState } from './portfolio.ts';
import { IbConnection, type IbConnectionOptions, type IbRequestError } from '../market/ib-connection.ts';
import { defaultContractFor, type IbkrSymbolSpec } from '../market/source-ibkr.ts';
import { SYSTEM_CLOCK, type PacingClock } from '../market/ib-pacing.ts';
import { Listeners } from '../util/listeners.ts';

export type IbkrRejectCode =
  | 'NOT_CONNECTED'
  | 'UNKNOWN_SYMBOL'
  | 'INVALID_QUANTITY'
  | 'INVALID_ORDER_TYPE'
  | 'INVALID_SIDE'
  | 'INVALID_LIMIT_PRICE'
  | 'IB_REJECTED';

export interface IbkrVenueOptions {
  /** A shared connection (not stopped by this venue), or options for one this venue owns. */
  connection: IbConnection | IbConnectionOptions;
  /** Symbols that may be traded (or a predicate). */
  symbols: readonly string[] | ((symbol: string) => boolean);
  contractFor?: (symbol: string) => Pick<IbkrSymbolSpec, 'contract'>;
  /** epoch ms; default Date.now. */
  now?: () => number;
  timers?: PacingClock;
  /** How long a fill waits for its commission report before being reported with commission 0. Default 3000. */
  commissionWaitMs?: number;
  /** How long start() waits for the initial positions / executions. Default 5000. */
  startTimeoutMs?: number;
  /** A correction of an execution that was already reported. */
  onCorrection?: (previous: Fill, corrected: Fill) => void;
  /** Errors thrown by listeners; default: ignore. */
  onError?: (err: unknown, where: 'fill' | 'order' | 'correction') => void;
  /** Finished orders kept for orders(); default 1000 (see the file comment). */
  maxFinishedOrders?: number;
  /** How long an execution is remembered for dedup and corrections; default 24 h (see the file comment). */
  executionRetentionMs?: number;
  /** Commission reports waiting for their execution; default 1000. */
  maxPendingCommissions?: number;
}

const IB_REJECT_CODES = new Set([103, 110, 201, 203, 321]);

interface HeldExecution {
  base: string;
  revision: number;
  fill: Fill;
  /** applied on top of the position snapshot (live), or covered by it (replayed) */
  live: boolean;
  reported: boolean;
  hasCommission: boolean;
  timer: unknown;
  /** receipt time (now()), for the retention */
  at: number;
}

export class IbkrVenue implements OrderVenue {
  readonly name = 'ibkr' as const;
  readonly connection: IbConnection;
  private readonly ownsConnection: boolean;
  private readonly tradable: (symbol: string) => boolean;
  private readonly contractFor: (symbol: string) => Pick<IbkrSymbolSpec, 'contract'>;
  private readonly now: () => number;
  private readonly timers: PacingClock;
  private readonly commissionWaitMs: number;
  private readonly startTimeoutMs: number;
  private readonly onCorrection: (previous: Fill, corrected: Fill) => void;
  private readonly onError: (err: unknown, where: 'fill' | 'order' | 'correction') => void;
  private readonly all = new Map<string, Order>();
  /** ids of finished orders in `all`, oldest finished first */
  private readonly finished = new Set<string>();
  /** by execution base, in arrival order */
  private readonly executions = new Map<string, HeldExecution>();
  /** commissions by full execId that arrived before their execution (revision), oldest first */
  private readonly commissions = new Map<string, number>();
  private readonly maxFinishedOrders: number;
  private readonly executionRetentionMs: number;
  private readonly maxPendingCommissions: number;
  private readonly snapshots = new Map<string, PositionState>();
  /** live execution bases per symbol, in arrival order, applied on top of the snapshot */
  private readonly liveBases = new Map<string, string[]>();
  private readonly fills = new Listeners<Fill>((err) => this.onError(err, 'fill'), (f) => ({ ...f }));
  private readonly orderUpdates = new Listeners<Order>((err) => this.onError(err, 'order'), (o) => ({ ...o }));
  private readonly detach: (() => void)[] = [];
  private nextId = 0;
  private rejectedSeq = 0;
  private execReqId = -2;
  private running = false;
  private positionsLoaded: (() => void) | undefined;
  private executionsLoaded: (() => void) | undefined;

  constructor(options: IbkrVenueOptions) {
    this.ownsConnection = !(options.connection instanceof IbConnection);
    this.connection = options.connection instanceof IbConnection ? options.connection : new IbConnection(options.connection);
    const symbols = options.symbols;
    this.tradable = typeof symbols === 'function' ? symbols : (s) => symbols.includes(s);
    this.contractFor = options.contractFor ?? defaultContractFor;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? SYSTEM_CLOCK;
    this.commissionWaitMs = options.commissionWaitMs ?? 3000;
    this.startTimeoutMs = options.startTimeoutMs ?? 5000;
    this.onCorrection = options.onCorrection ?? (() => undefined);
    this.onError = options.onError ?? (() => undefined);
    this.maxFinishedOrders = options.maxFinishedOrders ?? 1000;
    this.executionRetentionMs = options.executionRetentionMs ?? 86_400_000;
    this.maxPendingCommissions = options.maxPendingCommissions ?? 1000;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const c = this.connection;
    this.detach.push(
      c.onReady(({ nextValidId }) => this.onReady(nextValidId)),
      c.onRequestError((e) => this.onRequestError(e)),
      c.on(EventName.orderStatus, (id: number, status: string, filled: number, _remaining: number, avgFillPrice: number, _permId: number, _parentId: number, _last: number, _clientId: number, whyHeld: string) =>
        this.onOrderStatus(id, status, filled ?? 0, avgFillPrice, whyHeld),
      ),
      c.on(EventName.execDetails, (reqId: number, contract: Contract, exec: Execution) => this.onExecution(reqId, contract, exec)),
      c.on(EventName.execDetailsEnd, (reqId: number) => {
        if (reqId === this.execReqId) this.executionsLoaded?.();
      }),
      c.on(EventName.commissionReport, (report: CommissionReport) => this.onCommission(report)),
      c.on(EventName.position, (account: string, contract: Contract, pos: number, avgCost: number) => this.onPosition(account, contract, pos, avgCost)),
      c.on(EventName.positionEnd, () => this.positionsLoaded?.()),
    );
    const loaded = new Promise<void>((resolve) => {
      let left = 2;
      const one = () => {
        if (--left === 0) resolve();
      };
      this.positionsLoaded = once(one);
      this.executionsLoaded = once(one);
    });
    if (c.ready) this.onReady(c.nextValidId ?? 0);
    else await c.start();
    if (!c.ready) return;
    let timer: unknown;
    await Promise.race([loaded, new Promise<void>((resolve) => (timer = this.timers.setTimeout(resolve, this.startTimeoutMs)))]);
    this.timers.clearTimeout(timer);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const off of this.detach.splice(0)) off();
    for (const h of this.executions.values()) {
      if (h.timer !== undefined) this.timers.clearTimeout(h.timer);
      h.timer = undefined;
    }
    if (this.ownsConnection) await this.connection.stop();
  }

  async placeOrder(request: OrderRequest): Promise<Order> {
    const invalid = this.validate(request);
    const base = {
      symbol: request.symbol,
      side: request.side,
      quantity: request.quantity,
      type: request.type,
      ...(request.limit_price !== undefined ? { limit_price: request.limit_price } : {}),
      filled_quantity: 0,
      created_at: new Date(this.now()).toISOString(),
    };
    if (invalid) {
      const order: Order = { ...base, order_id: `ibkr-rejected-${++this.rejectedSeq}`, status: 'rejected', reason: invalid };
      this.store(order);
      this.emitOrder(order);
      return { ...order };
    }
    const id = Math.max(this.nextId, this.connection.nextValidId ?? 0);
    this.nextId = id + 1;
    const order: Order = { ...base, order_id: String(id), status: 'submitted' };
    this.store(order);
    const contract = this.contractFor(request.symbol).contract;
    const ibOrder = {
      action: request.side === 'BUY' ? OrderAction.BUY : OrderAction.SELL,
      totalQuantity: request.quantity,
      orderType: request.type === 'MKT' ? IbOrderType.MKT : IbOrderType.LMT,
      ...(request.type === 'LMT' ? { lmtPrice: request.limit_price } : {}),
      tif: 'DAY',
      transmit: true,
      ...(this.connection.account ? { account: this.connection.account } : {}),
    };
    this.connection.request({ kind: 'message', send: () => this.connection.api.placeOrder(id, contract, ibOrder as never) });
    this.emitOrder(order);
    return { ...order };
  }

  async cancelOrder(orderId: string): Promise<void> {
    const order = this.all.get(orderId);
    if (!order || isTerminal(order.status) || !/^\d+$/.test(orderId)) return;
    const id = Number(orderId);
    this.connection.request({ kind: 'message', send: () => this.connection.api.cancelOrder(id, {} as never) });
  }

  orders(): Order[] {
    return [...this.all.values()].map((o) => ({ ...o }));
  }

  positions(): VenuePosition[] {
    const out: VenuePosition[] = [];
    const symbols = new Set([...this.snapshots.keys(), ...this.liveBases.keys()]);
    for (const symbol of symbols) {
      const p = this.positionOf(symbol);
      if (p.quantity !== 0) out.push({ symbol, quantity: p.quantity, avg_price: p.avg_price });
    }
    return out.sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  onFill(listener: (fill: Fill) => void): () => void {
    return this.fills.add(listener);
  }

  onOrder(listener: (order: Order) => void): () => void {
    return this.orderUpdates.add(listener);
  }

  /** How much per-order state is held (bounded, see the file comment); for status pages and tests. */
  retained(): { orders: number; executions: number; pendingCommissions: number } {
    return { orders: this.all.size, executions: this.executions.size, pendingCommissions: this.commissions.size };
  }

  // ---- upstream ----------------------------------------------------------------------------------------

  private onReady(nextValidId: number): void {
    if (!this.running) return;
    this.nextId = Math.max(this.nextId, nextValidId);
    const c = this.connection;
    this.execReqId = c.allocateRequestId();
    const execReqId = this.execReqId;
    c.request({ kind: 'message', send: () => c.api.reqPositions() });
    c.request({ kind: 'message', send: () => c.api.reqExecutions(execReqId, {}) });
  }

  private validate(r: OrderRequest): IbkrRejectCode | undefined {
    if (!this.running || !this.connection.ready) return 'NOT_CONNECTED';
    if (typeof r.symbol !== 'string' || !this.tradable(r.symbol)) return 'UNKNOWN_SYMBOL';
    if (r.side !== 'BUY' && r.side !== 'SELL') return 'INVALID_SIDE';
    if (!Number.isFinite(r.quantity) || r.quantity <= 0) return 'INVALID_QUANTITY';
    if (r.type !== 'MKT' && r.type !== 'LMT') return 'INVALID_ORDER_TYPE';
    if (r.type === 'LMT' && !(typeof r.limit_price === 'number' && Number.isFinite(r.limit_price) && r.limit_price > 0)) return 'INVALID_LIMIT_PRICE';
    return undefined;
  }

  private onOrderStatus(id: number, ibStatus: string, filled: number, avgFillPrice: number | undefined, whyHeld: string | undefined): void {
    const order = this.all.get(String(id));
    if (!order || isTerminal(order.status)) return;
    let status: OrderStatus;
    switch (ibStatus) {
      case 'Filled':
        status = 'filled';
        break;
      case 'Cancelled':
      case 'ApiCancelled':
        status = 'cancelled';
        break;
      case 'Inactive':
        status = 'rejected';
        break;
      default:
        status = filled > 0 ? 'partially_filled' : 'submitted';
    }
    const next: Order = { ...order, status, filled_quantity: filled };
    if (filled > 0 && avgFillPrice !== undefined && avgFillPrice > 0) next.avg_fill_price = avgFillPrice;
    if (status === 'rejected') next.reason = order.reason ?? (whyHeld || 'IB_REJECTED');
    this.update(order, next);
  }

  private onRequestError(e: IbRequestError): void {
    const order = this.all.get(String(e.reqId));
    if (!order || isTerminal(order.status)) return;
    if (IB_REJECT_CODES.has(e.code)) this.update(order, { ...order, status: 'rejected', reason: `IB ${e.code}: ${e.message}` });
    else if (e.code === 202) this.update(order, { ...order, status: 'cancelled' });
  }

  private update(order: Order, next: Order): void {
    const changed = next.status !== order.status || next.filled_quantity !== order.filled_quantity || next.avg_fill_price !== order.avg_fill_price;
    this.store(next);
    if (changed && (next.status !== order.status || next.filled_quantity !== order.filled_quantity)) this.emitOrder(next);
  }

  /** Keeps an order; a finished one counts against maxFinishedOrders (the oldest finished is forgotten). */
  private store(order: Order): void {
    this.all.set(order.order_id, order);
    if (!isTerminal(order.status) || this.finished.has(order.order_id)) return;
    this.finished.add(order.order_id);
    for (const id of this.finished) {
      if (this.finished.size <= this.maxFinishedOrders) break;
      this.finished.delete(id);
      this.all.delete(id);
    }
  }

  private onExecution(reqId: number, contract: Contract, exec: Execution): void {
    const execId = exec.execId;
    if (!execId || exec.shares === undefined || exec.price === undefined) return;
    const { base, revision } = splitExecId(execId);
    const symbol = symbolOf(contract);
    const side = exec.side === 'SLD' ? 'SELL' : 'BUY';
    const orderId = exec.orderId && exec.orderId > 0 ? String(exec.orderId) : `tws-${exec.permId ?? base}`;
    const now = this.now();
    const execTime = parseExecTime(exec.time);
    // older than what is remembered: it may have been reported and forgotten already
    if (reqId !== -1 && execTime !== undefined && execTime < now - this.executionRetentionMs) return;
    const held = this.executions.get(base);
    if (held && revision <= held.revision) return; // duplicate
    const commission = this.commissions.get(execId);
    this.commissions.delete(execId);
    const fill: Fill = {
      execution_id: base,
      order_id: orderId,
      symbol,
      side,
      quantity: exec.shares,
      price: exec.price,
      commission: commission ?? held?.fill.commission ?? 0,
      timestamp: new Date(execTime ?? now).toISOString(),
    };
    const live = reqId === -1 || held?.live === true;
    if (held) {
      // a correction: replaces the held revision, never adds
      const previous = held.fill;
      held.revision = revision;
      held.fill = fill;
      held.hasCommission = commission !== undefined;
      if (held.reported) {
        this.safe(() => this.onCorrection({ ...previous }, { ...fill }), 'correction');
      } else if (held.hasCommission) {
        this.report(held);
      }
      return;
    }
    this.forgetOldExecutions(now);
    const h: HeldExecution = { base, revision, fill, live, reported: false, hasCommission: commission !== undefined, timer: undefined, at: now };
    this.executions.set(base, h);
    if (live) {
      const list = this.liveBases.get(symbol) ?? [];
      list.push(base);
      this.liveBases.set(symbol, list);
    }
    if (h.hasCommission) this.report(h);
    else
      h.timer = this.timers.setTimeout(() => {
        h.timer = undefined;
        this.report(h);
      }, this.commissionWaitMs);
  }

  /** Executions past the retention, reported and not applied on top of a snapshot, are forgotten. */
  private forgetOldExecutions(now: number): void {
    const cutoff = now - this.executionRetentionMs;
    for (const [base, h] of this.executions) {
      if (h.at >= cutoff) break; // arrival order: the rest are newer
      if (!h.reported || (h.live && this.liveBases.get(h.fill.symbol)?.includes(base))) continue;
      this.executions.delete(base);
    }
  }

  private onCommission(report: CommissionReport): void {
    if (!report.execId || report.commission === undefined) return;
    const { base, revision } = splitExecId(report.execId);
    const h = this.executions.get(base);
    if (h && h.revision > revision) return; // for a revision already replaced
    if (!h || h.revision !== revision) {
      // its execution (revision) has not arrived yet
      this.commissions.set(report.execId, report.commission);
      for (const id of this.commissions.keys()) {
        if (this.commissions.size <= this.maxPendingCommissions) break;
        this.commissions.delete(id);
      }
      return;
    }
    h.fill = { ...h.fill, commission: report.commission };
    h.hasCommission = true;
    if (!h.reported) this.report(h);
  }

  private report(h: HeldExecution): void {
    if (h.reported) return;
    h.reported = true;
    if (h.timer !== undefined) this.timers.clearTimeout(h.timer);
    h.timer = undefined;
    this.fills.emit(h.fill);
  }

  private onPosition(account: string, contract: Contract, pos: number | undefined, avgCost: number | undefined): void {
    const mine = this.connection.account;
    if (mine && account && account !== mine) return;
    const symbol = symbolOf(contract);
    this.snapshots.set(symbol, { quantity: pos ?? 0, avg_price: avgCost ?? 0 });
    this.liveBases.delete(symbol);
  }

  private positionOf(symbol: string): PositionState {
    let p: PositionState = this.snapshots.get(symbol) ?? { quantity: 0, avg_price: 0 };
    for (const base of this.liveBases.get(symbol) ?? []) {
      const f = this.executions.get(base)?.fill;
      if (f) p = applyFillToPosition(p, f.side, f.quantity, f.price).position;
    }
    return p;
  }

  private emitOrder(order: Order): void {
    this.orderUpdates.emit(order);
  }

  private safe(fn: () => void, where: 'fill' | 'order' | 'correction'): void {
    try {
      fn();
    } catch (err) {
      try {
        this.onError(err, where);
      } catch {
        // nobody left to tell
      }
    }
  }
}

function isTerminal(s: OrderStatus): boolean {
  return s === 'filled' || s === 'cancelled' || s === 'rejected';
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/** `0000e0d5.6571a1b2.01.02` → base `0000e0d5.6571a1b2.01`, revision 2. An id without a numeric last segment is its own base, revision 1. */
export function splitExecId(execId: string): { base: string; revision: number } {
  const i = execId.lastIndexOf('.');
  if (i > 0 && /^\d+$/.test(execId.slice(i + 1))) return { base: execId.slice(0, i), revision: Number(execId.slice(i + 1)) };
  return { base: execId, revision: 1 };
}

/** Gateway symbol of an IB contract: crypto `BTC` → `BTC-USD`; class shares `BRK B` → `BRK.B`. */
export function symbolOf(contract: Contract): string {
  const s = contract.symbol ?? '';
  if (contract.secType === 'CRYPTO') return `${s}-${contract.currency ?? 'USD'}`;
  return s.replace(' ', '.');
}

/** `yyyyMMdd  HH:mm:ss` (one or two spaces, no zone) as UTC epoch ms; undefined otherwise. */
export function parseExecTime(time: string | undefined): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})\s+(\d{2}):(\d{2}):(\d{2})$/.exec(time?.trim() ?? '');
  if (!m) return undefined;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}
