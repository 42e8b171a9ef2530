/**
 * Backtest performance metrics, accumulated incrementally (O(1) per bar and per trade) so the
 * engine can publish interim metrics at any time without re-scanning history.
 *
 * Definitions (all on the equity marked at each bar's close):
 * - total_return = final_equity / initial_equity − 1 (a fraction: 0.05 = +5%).
 * - max_drawdown = max over bars of (running peak − equity) / running peak (a fraction ≥ 0);
 *   the running peak starts at initial_equity.
 * - sharpe_ratio = mean(r) / sd(r) × √barsPerYear, r_t = equity_t / equity_{t−1} − 1 per bar
 *   (equity_{−1} = initial equity), sd the sample standard deviation (n − 1), risk-free rate 0;
 *   0 when fewer than 2 returns or sd = 0.
 * - Trade statistics count closed round trips only; a trade's pnl is net of its fees.
 *   win_rate = winners (pnl > 0) / num_trades (0 when none);
 *   profit_factor = Σ winning pnl / |Σ losing pnl|; null when there is no losing trade.
 * - Benchmark (buy and hold): the initial equity invested in the symbol at the first bar's open, with the same
 *   slippage and entry fee as a strategy entry, held to the end and marked at every close (no exit fee, like an
 *   open position). buy_and_hold_return = its final equity / initial equity − 1; excess_return = total_return −
 *   buy_and_hold_return. Both 0 before the first bar.
 */

export interface BacktestMetrics {
  initial_equity: number;
  final_equity: number;
  net_profit: number;
  total_return: number;
  max_drawdown: number;
  sharpe_ratio: number;
  num_trades: number;
  win_rate: number;
  profit_factor: number | null;
  gross_profit: number;
  gross_loss: number;
  avg_trade_pnl: number;
  total_fees: number;
  /** bars marked so far */
  bars: number;
  /** fraction of bars that ended with an open position */
  exposure: number;
  /** the buy-and-hold benchmark's equity at the last bar */
  buy_and_hold_equity: number;
  buy_and_hold_return: number;
  /** total_return − buy_and_hold_return */
  excess_return: number;
}

export class MetricsAccumulator {
  private equity: number;
  private peak: number;
  private maxDrawdown = 0;
  private bars = 0;
  private barsInMarket = 0;
  // Welford running mean / variance of per-bar returns
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private trades = 0;
  private winners = 0;
  private grossProfit = 0;
  private grossLoss = 0;
  private fees = 0;
  private benchmark: number;

  constructor(
    private readonly initialEquity: number,
    private readonly barsPerYear: number,
  ) {
    this.equity = initialEquity;
    this.peak = initialEquity;
    this.benchmark = initialEquity;
  }

  /** Records the buy-and-hold benchmark's equity at the latest bar. */
  setBenchmark(equity: number): void {
    this.benchmark = equity;
  }

  /** Records the equity at a bar's close; returns that bar's drawdown from the running peak. */
  addBar(equity: number, inMarket: boolean): number {
    const r = this.equity === 0 ? 0 : equity / this.equity - 1;
    this.n++;
    const d = r - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (r - this.mean);
    this.equity = equity;
    this.bars++;
    if (inMarket) this.barsInMarket++;
    if (equity > this.peak) this.peak = equity;
    const drawdown = this.peak > 0 ? (this.peak - equity) / this.peak : 0;
    if (drawdown > this.maxDrawdown) this.maxDrawdown = drawdown;
    return drawdown;
  }

  /** Records a closed round trip with its net pnl. */
  addTrade(pnl: number): void {
    this.trades++;
    if (pnl > 0) {
      this.winners++;
      this.grossProfit += pnl;
    } else if (pnl < 0) {
      this.grossLoss -= pnl;
    }
  }

  addFee(fee: number): void {
    this.fees += fee;
  }

  get currentEquity(): number {
    return this.equity;
  }

  snapshot(): BacktestMetrics {
    const sd = this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0;
    const totalReturn = this.initialEquity === 0 ? 0 : this.equity / this.initialEquity - 1;
    const benchmarkReturn = this.initialEquity === 0 ? 0 : this.benchmark / this.initialEquity - 1;
    return {
      initial_equity: this.initialEquity,
      final_equity: this.equity,
      net_profit: this.equity - this.initialEquity,
      total_return: totalReturn,
      max_drawdown: this.maxDrawdown,
      sharpe_ratio: sd > 0 ? (this.mean / sd) * Math.sqrt(this.barsPerYear) : 0,
      num_trades: this.trades,
      win_rate: this.trades === 0 ? 0 : this.winners / this.trades,
      profit_factor: this.grossLoss === 0 ? null : this.grossProfit / this.grossLoss,
      gross_profit: this.grossProfit,
      gross_loss: this.grossLoss,
      avg_trade_pnl: this.trades === 0 ? 0 : (this.grossProfit - this.grossLoss) / this.trades,
      total_fees: this.fees,
      bars: this.bars,
      exposure: this.bars === 0 ? 0 : this.barsInMarket / this.bars,
      buy_and_hold_equity: this.benchmark,
      buy_and_hold_return: benchmarkReturn,
      excess_return: totalReturn - benchmarkReturn,
    };
  }
}
