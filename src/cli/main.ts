/**
 * tickwire-cli: a terminal client of a Tickwire gateway, built on the typed client (src/client).
 *
 *   tickwire-cli stream <topic...>   bars:<SYM>:<RES> topics and dashboard streams (prices, signals, trades, portfolio)
 *   tickwire-cli status              GET /websocket/status, readably
 *   tickwire-cli backtest start ...  POST /api/backtesting/start, then follow its stream with a progress bar
 *   tickwire-cli token [--sub S]     mint a development token (HS256 with AUTH_JWT_SECRET)
 *
 * Exit codes: 0 done, 1 the server is unreachable or refused, 2 bad arguments (usage printed). No stack traces.
 */
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { DashboardStreamValues } from '../../generated/client.ts';
import { parseBarsTopic } from '../../generated/topics.ts';
import type * as T from '../../generated/types.ts';
import { connect, TickwireError, type BarsTopicName, type RecoveryEvent, type TickwireClient } from '../client/node.ts';

export const USAGE = `usage: tickwire-cli [--url URL] <command> [options]

commands:
  stream <topic...>      print one line per message; topics are bars:<SYMBOL>:<RES> (e.g. bars:AAPL:1)
                         and dashboard streams: ${DashboardStreamValues.join(', ')}; after a reconnect each
                         topic resumes where it was, said on stderr (recovered / lost continuity)
      --json             raw JSON lines          --count N   exit after N messages
  status                 print GET /websocket/status (--json for the raw answer)
  backtest start --symbol SYM --from YYYY-MM-DD --to YYYY-MM-DD
                 [--strategies ma_crossover,rsi] [--timeframe 1] [--name NAME] [--json]
                         start a backtest and follow its stream with a progress bar
  token [--sub SUB] [--ttl SECONDS] [--channels 'bars:*,dashboard:*'] [--roles viewer|trader]
                         print a development token signed with AUTH_JWT_SECRET (HS256; AUTH_JWT_AUDIENCE and
                         AUTH_JWT_ISSUER are used when set); default sub "dev", ttl 3600

options:
  --url URL              gateway base URL (default http://127.0.0.1:8000)
  --token JWT            AUTH=jwt: the token for every request and connection (default: $TICKWIRE_TOKEN)
  --no-color             no ANSI colors (also NO_COLOR=1); colors only when stdout is a terminal
  -h, --help             this help
`;

class UsageError extends Error {}
/** A failure to report in one line (exit 1). */
class Failure extends Error {}

interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Rewrites the current stderr line (progress bar); only on a terminal. */
  status?(line: string): void;
  color: boolean;
}

const ANSI = { reset: '\x1b[0m', dim: '\x1b[2m', bold: '\x1b[1m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m' };
type Paint = (code: keyof typeof ANSI, text: string) => string;
const painter = (on: boolean): Paint => (code, text) => (on ? `${ANSI[code]}${text}${ANSI.reset}` : text);

const num = (n: number, d = 2) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const signed = (n: number, d = 2) => `${n >= 0 ? '+' : ''}${num(n, d)}`;
const pct = (f: number) => `${(f * 100).toFixed(2)}%`;
const tone = (p: Paint, n: number, text: string) => (n > 0 ? p('green', text) : n < 0 ? p('red', text) : text);

/** Readable one-line forms of the messages the CLI streams. */
export function formatMessage(m: { type: string; [k: string]: any }, p: Paint): string {
  switch (m.type) {
    case 'bars.update': {
      const b = (m as T.BarsUpdateMessage).payload;
      const when = new Date(b.time).toISOString().replace('T', ' ').slice(0, 19);
      return `${p('cyan', m.topic.padEnd(16))} ${p('dim', when)}  O ${num(b.open)}  H ${num(b.high)}  L ${num(b.low)}  C ${tone(p, b.close - b.open, num(b.close))}  V ${b.volume}`;
    }
    case 'price_update': {
      const parts = Object.entries((m as T.PriceUpdateMessage).symbols).map(([s, d]) => `${p('bold', s)} ${num(d!.price)} ${tone(p, d!.change, `${signed(d!.change_pct)}%`)}`);
      return `${p('cyan', 'prices'.padEnd(16))} ${parts.join('  ')}`;
    }
    case 'signal': {
      const s = m as T.SignalMessage;
      const side = s.signal_type === 'BUY' ? p('green', 'BUY ') : s.signal_type === 'SELL' ? p('red', 'SELL') : 'HOLD';
      return `${p('cyan', 'signal'.padEnd(16))} ${side} ${p('bold', s.symbol)} @ ${num(s.price)}  conf ${Math.round(s.confidence * 100)}%${s.strategy_id ? `  ${s.strategy_id}` : ''}${s.reason ? p('dim', `  ${s.reason}`) : ''}`;
    }
    case 'trade_executed': {
      const t = m as T.TradeExecutedMessage;
      return `${p('cyan', 'trade'.padEnd(16))} ${t.side === 'BUY' ? p('green', 'BUY ') : p('red', 'SELL')} ${t.quantity} ${p('bold', t.symbol)} @ ${num(t.price)}${t.commission !== undefined ? p('dim', `  fee ${num(t.commission)}`) : ''}`;
    }
    case 'portfolio_update': {
      const f = m as T.PortfolioUpdateMessage;
      return `${p('cyan', 'portfolio'.padEnd(16))} equity ${num(f.equity)}  cash ${num(f.cash)}  P&L ${tone(p, f.total_pnl, signed(f.total_pnl))}  day ${tone(p, f.daily_pnl, signed(f.daily_pnl))}  positions ${f.positions.length}`;
    }
    default:
      return `${p('cyan', m.type.padEnd(16))} ${JSON.stringify(m)}`;
  }
}

/** Topics whose state a snapshot restores after a lost recovery; on the others (signals, trades) missed events are gone. */
const hasSnapshot = (topic: string) => topic.startsWith('bars:') || topic === 'dashboard:prices' || topic === 'dashboard:portfolio';

/** One line per topic after a reconnect (or a gap): were the missed messages replayed, or lost? */
export function recoveryLine(e: RecoveryEvent, p: Paint): string {
  const after = e.cause === 'gap' ? ' after a gap' : '';
  if (e.recovered) return p('green', `tickwire-cli: recovered ${e.topic} from seq ${e.since.offset}${after} (${e.asOf.offset - e.since.offset} replayed)`);
  const what = hasSnapshot(e.topic) ? 'snapshot follows' : 'missed events are not replayed';
  return p('yellow', `tickwire-cli: lost continuity on ${e.topic}${after} (${e.reason ?? 'not recovered'}): ${what}`);
}

const STREAM_OF: Record<string, T.DashboardStream> = { price_update: 'prices', signal: 'signals', trade_executed: 'trades', portfolio_update: 'portfolio' };

function baseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url: not a URL: ${raw}`);
  }
  if (!/^(https?|wss?):$/.test(url.protocol)) throw new UsageError(`--url: use http(s):// or ws(s)://, not ${url.protocol}`);
  return url.origin.replace(/^ws(s?):/, 'http$1:');
}

/** A fetch that turns "nothing listens there" into one clear line. */
async function request(url: string, init?: RequestInit, token?: string): Promise<Response> {
  try {
    const headers = { ...(init?.headers as Record<string, string> | undefined), ...(token ? { authorization: `Bearer ${token}` } : {}) };
    return await fetch(url, { ...init, headers, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new Failure(`cannot reach ${new URL(url).origin} (${why}); is the gateway running? (npm start)`);
  }
}

// ---------------------------------------------------------------- commands

/** `tickwire-cli token`: a development token signed with the gateway's HS256 secret (from the environment). */
async function mintToken(opts: { sub: string; ttl: string; channels?: string; roles?: string }, env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const secret = env.AUTH_JWT_SECRET;
  if (!secret) throw new UsageError('token: set AUTH_JWT_SECRET (the gateway\'s HS256 secret) in the environment');
  const ttl = Number(opts.ttl);
  if (!Number.isInteger(ttl) || ttl < 1) throw new UsageError('--ttl: a positive number of seconds');
  const channels = opts.channels?.split(',').map((c) => c.trim()).filter(Boolean);
  const roles = opts.roles?.split(',').map((r) => r.trim()).filter(Boolean);
  let jwt = new SignJWT({ ...(channels?.length ? { channels } : {}), ...(roles?.length ? { roles } : {}) }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(opts.sub).setIssuedAt().setExpirationTime(Math.floor(Date.now() / 1000) + ttl);
  if (env.AUTH_JWT_AUDIENCE) jwt = jwt.setAudience(env.AUTH_JWT_AUDIENCE);
  if (env.AUTH_JWT_ISSUER) jwt = jwt.setIssuer(env.AUTH_JWT_ISSUER);
  io.out(await jwt.sign(new TextEncoder().encode(secret)));
  return 0;
}

async function stream(topics: string[], opts: { url: string; json: boolean; count?: number; token?: string }, io: Io): Promise<number> {
  if (!topics.length) throw new UsageError('stream: name at least one topic, e.g. bars:AAPL:1 or prices');
  const bars: BarsTopicName[] = [];
  const streams: T.DashboardStream[] = [];
  for (const t of topics) {
    if (t.startsWith('bars:')) {
      const parsed = parseBarsTopic(t);
      if (!parsed.ok) throw new UsageError(`stream: bad topic ${t}: ${parsed.message}`);
      bars.push(t as BarsTopicName);
    } else if ((DashboardStreamValues as readonly string[]).includes(t)) streams.push(t as T.DashboardStream);
    else throw new UsageError(`stream: unknown topic ${JSON.stringify(t)}; use bars:<SYMBOL>:<RES> or one of ${DashboardStreamValues.join(', ')}`);
  }
  const p = painter(io.color);
  let printed = 0;
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const print = (m: { type: string }) => {
    // Frames that arrive after the count was reached (while closing) are not printed: --count N prints N.
    if (opts.count !== undefined && printed >= opts.count) return;
    io.out(opts.json ? JSON.stringify(m) : formatMessage(m, p));
    if (opts.count !== undefined && ++printed >= opts.count) finish(0);
  };
  const clients: TickwireClient<any>[] = [];
  const watch = (c: TickwireClient<any>) => {
    clients.push(c);
    c.onInvalid((x) => io.err(`tickwire-cli: invalid message from the server (${x.code}: ${x.message})`));
    c.onError((e) => io.err(`tickwire-cli: ${e.message}`));
    c.onClose((info) => {
      if (info.willReconnect) io.err(p('yellow', `tickwire-cli: ${c.endpoint} closed (${info.code}${info.reason ? ` ${info.reason}` : ''}); reconnecting in ${((info.delayMs ?? 0) / 1000).toFixed(1)} s`));
      else if (info.error) return; // never opened: ready() rejects and says so in one line
      else if (info.code !== 1000 || info.reason !== 'client closed') {
        io.err(`tickwire-cli: ${c.endpoint} closed (${info.code}${info.reason ? ` ${info.reason}` : ''}); not reconnecting`);
        finish(1);
      }
    });
    c.onState((s) => s === 'open' && c.lastClose && io.err(p('green', `tickwire-cli: ${c.endpoint} reconnected`)));
    c.onRecovery((e) => io.err(recoveryLine(e, p)));
  };
  try {
    if (bars.length) {
      const c = connect(opts.url, '/api/v1/ws', { failFast: true, ...(opts.token ? { token: opts.token } : {}) });
      watch(c);
      c.on('bars.update', (m) => bars.includes(m.topic as BarsTopicName) && print(m));
      await c.ready();
      await Promise.all(bars.map((t) => c.subscribe(t)));
    }
    if (streams.length) {
      const c = connect(opts.url, '/ws', { failFast: true, ...(opts.token ? { token: opts.token } : {}) });
      watch(c);
      const others = DashboardStreamValues.filter((s) => !streams.includes(s));
      c.onAny((m) => {
        const s = STREAM_OF[m.type];
        if (s && streams.includes(s)) print(m);
      });
      await c.ready();
      await c.subscribe(streams);
      if (others.length) await c.unsubscribe(others);
    }
  } catch (err) {
    for (const c of clients) c.close();
    if (err instanceof TickwireError) {
      throw new Failure(err.code === 'UNREACHABLE' ? `${err.message.replace(/^UNREACHABLE: /, '')}; is the gateway running? (npm start)` : `refused: ${err.message}`);
    }
    throw err;
  }
  const stop = () => finish(0);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await done;
  for (const c of clients) c.close();
  return code;
}

async function status(opts: { url: string; json: boolean }, io: Io): Promise<number> {
  const res = await request(`${opts.url}/websocket/status`);
  if (!res.ok) throw new Failure(`GET /websocket/status answered HTTP ${res.status}`);
  const s = (await res.json()) as Record<string, any>;
  if (opts.json) {
    io.out(JSON.stringify(s));
    return 0;
  }
  const p = painter(io.color);
  const row = (k: string, v: string) => io.out(`  ${k.padEnd(24)} ${v}`);
  io.out(`${p('bold', 'Tickwire')} at ${opts.url}`);
  row('enabled', s.enabled ? p('green', 'yes') : p('red', 'no'));
  row('market source', String(s.market_source ?? '?'));
  row('connections', `${s.active_connections} / ${s.max_connections}`);
  if (s.connections_by_endpoint) {
    for (const [ep, n] of Object.entries<number>(s.connections_by_endpoint)) row(`  ${ep}`, String(n));
  }
  row('ping interval', `${s.ping_interval} s`);
  row('price updates', `every ${s.price_update_interval} s`);
  row('portfolio updates', `every ${s.portfolio_update_interval} s`);
  const health = Object.entries<Record<string, any>>(s.stream_health ?? {});
  io.out('  stream health');
  for (const [name, h] of health) {
    const ok = h.is_healthy ? p('green', 'healthy  ') : p('red', 'UNHEALTHY');
    const last = h.last_update ? `last update ${h.last_update}` : 'no update yet';
    io.out(`    ${name.padEnd(22)} ${ok} errors ${h.error_count}  recoveries ${h.recovery_attempts}  ${p('dim', last)}${h.last_error ? p('red', `  ${h.last_error}`) : ''}`);
  }
  const known = new Set(['enabled', 'market_source', 'active_connections', 'max_connections', 'connections_by_endpoint', 'ping_interval', 'price_update_interval', 'portfolio_update_interval', 'stream_health']);
  for (const [k, v] of Object.entries(s)) if (!known.has(k)) row(k.replace(/_/g, ' '), typeof v === 'object' ? JSON.stringify(v) : String(v));
  return 0;
}

function bar(fraction: number, width = 30): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

async function backtestStart(opts: { url: string; json: boolean; token?: string; symbol?: string; from?: string; to?: string; strategies: string; timeframe: string; name?: string }, io: Io): Promise<number> {
  const missing = (['symbol', 'from', 'to'] as const).filter((k) => !opts[k]);
  if (missing.length) throw new UsageError(`backtest start: missing ${missing.map((m) => `--${m}`).join(', ')}`);
  const body = {
    name: opts.name ?? `tickwire-cli ${opts.symbol} ${opts.from}..${opts.to}`,
    symbol: opts.symbol,
    timeframes: opts.timeframe.split(',').map((s) => s.trim()).filter(Boolean),
    start_date: opts.from,
    end_date: opts.to,
    strategy_ids: opts.strategies.split(',').map((s) => s.trim()).filter(Boolean),
  };
  const res = await request(`${opts.url}/api/backtesting/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, opts.token);
  const answer = (await res.json().catch(() => ({}))) as { backtest_id?: string; stream_url?: string; error?: { code: string; message: string; field?: string } };
  if (!res.ok || !answer.backtest_id) {
    const e = answer.error;
    throw new Failure(`backtest refused (HTTP ${res.status})${e ? `: ${e.code}: ${e.message}${e.field ? ` (field ${e.field})` : ''}` : ''}`);
  }
  const id = answer.backtest_id;
  const p = painter(io.color);
  io.err(`tickwire-cli: backtest ${id} started; following ${answer.stream_url ?? `/api/ws/stream/backtest/${id}`}`);
  const client = connect(opts.url, '/api/ws/stream/backtest/{backtest_id}', { params: { backtest_id: id }, failFast: true, ...(opts.token ? { token: opts.token } : {}) });
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  let lastDecile = -1;
  let barShown = false;
  const clearBar = () => {
    if (barShown && io.status) io.status('');
    barShown = false;
  };
  client.onAny((m) => {
    if (opts.json && m.type !== 'pong') io.out(JSON.stringify(m));
    switch (m.type) {
      case 'progress': {
        const d = m.data;
        const line = `${bar(d.pct / 100)} ${d.pct.toFixed(0).padStart(3)}%  ${d.processed}/${d.total} candles  equity ${num(d.equity)}${d.num_trades !== undefined ? `  trades ${d.num_trades}` : ''}`;
        if (io.status) {
          io.status(line);
          barShown = true;
        } else if (!opts.json && Math.floor(d.pct / 10) > lastDecile) {
          lastDecile = Math.floor(d.pct / 10);
          io.out(line);
        }
        break;
      }
      case 'trade':
        if (!opts.json) {
          clearBar();
          const t = m.data;
          io.out(`${p('dim', new Date(t.time).toISOString().slice(0, 16).replace('T', ' '))} ${t.action.padEnd(5)} ${t.side === 'BUY' ? p('green', 'BUY ') : p('red', 'SELL')} ${+t.quantity.toFixed(4)} ${t.symbol} @ ${num(t.price)}${t.pnl !== undefined ? `  pnl ${tone(p, t.pnl, signed(t.pnl))}` : ''}`);
        }
        break;
      case 'complete': {
        clearBar();
        if (!opts.json) {
          const r = m.data.metrics;
          io.out(p('bold', `backtest ${id} complete`) + ` (${m.data.num_candles} candles in ${m.data.duration_ms} ms)`);
          io.out(`  total return   ${tone(p, r.total_return, pct(r.total_return))}`);
          io.out(`  max drawdown   ${pct(r.max_drawdown)}`);
          io.out(`  sharpe         ${r.sharpe_ratio.toFixed(2)}`);
          io.out(`  win rate       ${pct(r.win_rate)}  (${r.num_trades} trades)`);
          io.out(`  profit factor  ${r.profit_factor === null ? '∞' : r.profit_factor.toFixed(2)}`);
          io.out(`  final equity   ${num(r.final_equity)}`);
        }
        finish(0);
        break;
      }
      case 'error':
        clearBar();
        io.err(`tickwire-cli: backtest ${id} failed: ${m.data.code}: ${m.data.message}`);
        finish(1);
        break;
    }
  });
  client.onClose((info) => {
    if (!info.willReconnect && !(info.code === 1000 && info.reason === 'client closed')) {
      clearBar();
      io.err(`tickwire-cli: backtest stream ${info.error ? `unreachable (${info.error})` : `closed (${info.code}${info.reason ? ` ${info.reason}` : ''})`}`);
      finish(1);
    }
  });
  client.onInvalid((x) => io.err(`tickwire-cli: invalid message from the server (${x.code}: ${x.message})`));
  process.once('SIGINT', () => finish(130));
  const code = await done;
  client.close();
  return code;
}

// ---------------------------------------------------------------- entry

/** Runs the CLI; resolves with the exit code. Exported for tests; `io` defaults to the process streams. */
export async function main(argv: string[], io?: Partial<Io>): Promise<number> {
  const tty = process.stdout.isTTY === true;
  const sink: Io = {
    out: io?.out ?? ((l) => process.stdout.write(`${l}\n`)),
    err: io?.err ?? ((l) => process.stderr.write(`${l}\n`)),
    status: io?.status ?? (process.stderr.isTTY ? (l) => process.stderr.write(`\r\x1b[2K${l}`) : undefined),
    color: io?.color ?? (tty && !process.env.NO_COLOR),
  };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string', default: 'http://127.0.0.1:8000' },
        json: { type: 'boolean', default: false },
        count: { type: 'string' },
        'no-color': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        symbol: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        strategies: { type: 'string', default: 'ma_crossover,rsi' },
        timeframe: { type: 'string', default: '1' },
        name: { type: 'string' },
        token: { type: 'string' },
        sub: { type: 'string', default: 'dev' },
        ttl: { type: 'string', default: '3600' },
        channels: { type: 'string' },
        roles: { type: 'string' },
      },
    });
    if (values.help) {
      sink.out(USAGE.trimEnd());
      return 0;
    }
    if (values['no-color']) sink.color = false;
    const url = baseUrl(values.url);
    const token = values.token ?? (process.env.TICKWIRE_TOKEN || undefined);
    const [command, ...rest] = positionals;
    const only = (allowed: string[], cmd: string) => {
      const extra = ['count', 'symbol', 'from', 'to', 'name'].filter((k) => values[k as keyof typeof values] !== undefined && !allowed.includes(k));
      if (extra.length) throw new UsageError(`${cmd}: unexpected ${extra.map((e) => `--${e}`).join(', ')}`);
    };
    switch (command) {
      case 'stream': {
        only(['count'], 'stream');
        let count: number | undefined;
        if (values.count !== undefined) {
          count = Number(values.count);
          if (!Number.isInteger(count) || count < 1) throw new UsageError('--count: a positive integer');
        }
        return await stream(rest, { url, json: values.json, count, token }, sink);
      }
      case 'status':
        only([], 'status');
        if (rest.length) throw new UsageError(`status: unexpected ${rest.join(' ')}`);
        return await status({ url, json: values.json }, sink);
      case 'backtest':
        if (rest[0] !== 'start' || rest.length > 1) throw new UsageError('backtest: the subcommand is `start`');
        only(['symbol', 'from', 'to', 'name'], 'backtest start');
        return await backtestStart({ url, json: values.json, token, symbol: values.symbol, from: values.from, to: values.to, strategies: values.strategies, timeframe: values.timeframe, name: values.name }, sink);
      case 'token':
        if (rest.length) throw new UsageError(`token: unexpected ${rest.join(' ')}`);
        return await mintToken({ sub: values.sub, ttl: values.ttl, channels: values.channels, roles: values.roles }, process.env, sink);
      case undefined:
        throw new UsageError('a command is required');
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      sink.err(`tickwire-cli: ${(err as Error).message}\n\n${USAGE.trimEnd()}`);
      return 2;
    }
    sink.err(`tickwire-cli: ${err instanceof Failure ? err.message : `unexpected error: ${(err as Error).message ?? String(err)}`}`);
    return 1;
  }
}
