/**
 * tickwire-cli: a terminal client of a Tickwire gateway, built on the typed client (src/client).
 *
 *   tickwire-cli stream <topic...>   bars:<SYM>:<RES> topics and dashboard streams (prices, signals, trades, portfolio)
 *   tickwire-cli status              GET /websocket/status, readably
 *   tickwire-cli backtest start ...  POST /api/backtesting/start, follow its stream, print a summary (backtest.ts)
 *   tickwire-cli backtest get|list|cancel
 *   tickwire-cli token [--sub S]     mint a development token (HS256 with AUTH_JWT_SECRET)
 *
 * Exit codes (common.ts EXIT): 0 done, 1 the server is unreachable, 2 bad arguments (usage printed), 3 the server
 * answered with an error. No stack traces.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { DashboardStreamValues } from '../../generated/client.ts';
import { parseBarsTopic } from '../../generated/topics.ts';
import type * as T from '../../generated/types.ts';
import { connect, TickwireError, type BarsTopicName, type RecoveryEvent, type TickwireClient } from '../client/node.ts';
import { backtestCancel, backtestGet, backtestList, backtestStart, checkId } from './backtest.ts';
import { EXIT, Failure, num, painter, Refused, refusal, request, signed, tone, UsageError, type Io, type Paint } from './common.ts';

export const USAGE = `usage: tickwire-cli [--url URL] <command> [options]

commands:
  stream <topic...>      print one line per message; topics are bars:<SYMBOL>:<RES> (e.g. bars:AAPL:1)
                         and dashboard streams: ${DashboardStreamValues.join(', ')}; after a reconnect each
                         topic resumes where it was, said on stderr (recovered / lost continuity)
      --json             raw JSON lines          --count N   exit after N messages
  status                 print GET /websocket/status (--json for the raw answer)
  backtest start --symbol SYM --from YYYY-MM-DD --to YYYY-MM-DD
                 [--strategies ma_crossover,rsi] [--timeframe 1] [--name NAME]
                 [--capital N] [--fee-bps N] [--slippage-bps N] [--calendar exchange|always]
                         start a backtest, follow it with a progress bar, then print a summary: metrics,
                         buy-and-hold benchmark, equity sparkline (server defaults: capital 100000, fees
                         1 bp stocks / 10 bp crypto, slippage 0, calendar exchange)
  backtest get ID        a run's status, settings and summary
  backtest list [--limit N] [--cursor C]
                         your runs, newest first
  backtest cancel ID     cancel a queued or running run
      --trades           also list every trade (start, get)
      --csv PREFIX       write PREFIX.trades.csv and PREFIX.equity.csv (start, get)
      --json             raw JSON (stream messages for start)
  token [--sub SUB] [--ttl SECONDS] [--channels 'bars:*,dashboard:*'] [--roles viewer|trader]
                         print a development token signed with AUTH_JWT_SECRET (HS256; AUTH_JWT_AUDIENCE and
                         AUTH_JWT_ISSUER are used when set); default sub "dev", ttl 3600

options:
  --url URL              gateway base URL (default http://127.0.0.1:8000)
  --token JWT            AUTH=jwt: the token for every request and connection (default: $TICKWIRE_TOKEN)
  --no-color             no ANSI colors (also NO_COLOR=1); colors only when stdout is a terminal
  -h, --help             this help

exit codes: 0 done, 1 gateway unreachable (or connection lost), 2 bad arguments, 3 refused by the server
(an error answer, an unknown id, a failed or cancelled run), 130 interrupted
`;

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
        finish(info.code >= 4500 ? EXIT.REFUSED : EXIT.UNREACHABLE);
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
      if (err.code === 'UNREACHABLE') throw new Failure(`${err.message.replace(/^UNREACHABLE: /, '')}; is the gateway running? (npm start)`);
      throw new Refused([`refused: ${err.message}`]);
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
  if (!res.ok) throw await refusal('GET /websocket/status', res);
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
  if (s.market && typeof s.market === 'object') {
    const m = s.market as { mode?: string; calendar?: string | null; speed?: number | null };
    const mode = m.mode === 'ib_live' ? p('red', 'IB LIVE (real money)') : m.mode === 'ib_paper' ? p('yellow', 'IB PAPER') : m.mode === 'simulated' ? p('cyan', 'SIMULATED') : String(m.mode);
    const calendar = m.calendar ? `  calendar ${m.calendar === 'exchange' ? 'exchange (NYSE hours for stocks, crypto 24/7)' : 'always (24/7)'}` : '';
    row('market', `${mode}${calendar}${m.speed && m.speed !== 1 ? `  speed ×${m.speed}` : ''}`);
  }
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
  const known = new Set(['enabled', 'market_source', 'market', 'active_connections', 'max_connections', 'connections_by_endpoint', 'ping_interval', 'price_update_interval', 'portfolio_update_interval', 'stream_health']);
  for (const [k, v] of Object.entries(s)) if (!known.has(k)) row(k.replace(/_/g, ' '), typeof v === 'object' ? JSON.stringify(v) : String(v));
  return 0;
}

// ---------------------------------------------------------------- entry

/** Runs the CLI; resolves with the exit code. Exported for tests; `io` defaults to the process streams. */
export async function main(argv: string[], io?: Partial<Io>): Promise<number> {
  const tty = process.stdout.isTTY === true;
  const sink: Io = {
    out: io?.out ?? ((l) => process.stdout.write(`${l}\n`)),
    err: io?.err ?? ((l) => process.stderr.write(`${l}\n`)),
    status: io?.status ?? (process.stderr.isTTY ? (l) => process.stderr.write(`\r\x1b[2K${l}`) : undefined),
    writeFile: io?.writeFile ?? ((file, text) => writeFileSync(file, text)),
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
        trades: { type: 'boolean', default: false },
        csv: { type: 'string' },
        capital: { type: 'string' },
        'fee-bps': { type: 'string' },
        'slippage-bps': { type: 'string' },
        calendar: { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
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
      const flags = ['count', 'symbol', 'from', 'to', 'name', 'csv', 'capital', 'fee-bps', 'slippage-bps', 'calendar', 'limit', 'cursor'];
      const extra = flags.filter((k) => values[k as keyof typeof values] !== undefined && !allowed.includes(k));
      if (values.trades && !allowed.includes('trades')) extra.push('trades');
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
      case 'backtest': {
        const [sub, ...args] = rest;
        const common = { url, token, json: values.json, trades: values.trades, csv: values.csv };
        const noMore = (n: number) => {
          if (args.length > n) throw new UsageError(`backtest ${sub}: unexpected ${args.slice(n).join(' ')}`);
        };
        switch (sub) {
          case 'start':
            only(['symbol', 'from', 'to', 'name', 'trades', 'csv', 'capital', 'fee-bps', 'slippage-bps', 'calendar'], 'backtest start');
            noMore(0);
            return await backtestStart({
              ...common, symbol: values.symbol, from: values.from, to: values.to, strategies: values.strategies, timeframe: values.timeframe, name: values.name,
              capital: values.capital, feeBps: values['fee-bps'], slippageBps: values['slippage-bps'], calendar: values.calendar,
            }, sink);
          case 'get':
            only(['trades', 'csv'], 'backtest get');
            noMore(1);
            return await backtestGet({ ...common, id: checkId(args[0], 'get') }, sink);
          case 'list':
            only(['limit', 'cursor'], 'backtest list');
            noMore(0);
            return await backtestList({ ...common, limit: values.limit, cursor: values.cursor }, sink);
          case 'cancel':
            only([], 'backtest cancel');
            noMore(1);
            return await backtestCancel({ ...common, id: checkId(args[0], 'cancel') }, sink);
          default:
            throw new UsageError(`backtest: the subcommand is start, get, list or cancel${sub ? `, not ${JSON.stringify(sub)}` : ''}`);
        }
      }
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
      const lines = err instanceof UsageError && Array.isArray(err.problems) ? err.problems : [(err as Error).message];
      sink.err(`${lines.map((l) => `tickwire-cli: ${l}`).join('\n')}\n\n${USAGE.trimEnd()}`);
      return EXIT.USAGE;
    }
    if (err instanceof Refused) {
      sink.err(err.lines.map((l, i) => (i === 0 ? `tickwire-cli: ${l}` : l)).join('\n'));
      return EXIT.REFUSED;
    }
    sink.err(`tickwire-cli: ${err instanceof Failure ? err.message : `unexpected error: ${(err as Error).message ?? String(err)}`}`);
    return EXIT.UNREACHABLE;
  }
}
