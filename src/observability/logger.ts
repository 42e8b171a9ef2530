/**
 * Structured logs: a small Logger interface the core calls, a pino implementation for the process (JSON lines, or a
 * readable line on a terminal), and a line implementation for callers that pass `log(line)` (tests, embedders).
 *
 * Contracts:
 * - Every record has `time` (ISO 8601), `level` (a word: debug, info, warn, error) and `msg`.
 * - Secrets never reach the output: the message and every string field go through the `redact` function (tokens in
 *   query strings, Bearer headers, JWTs, the configured secrets), and fields named like a credential (`token`,
 *   `authorization`, `secret`, `password`, `cookie`) are replaced whole.
 * - No synchronous writes on a busy process: JSON goes through pino's asynchronous destination (sonic-boom, flushed
 *   on exit); only the terminal format writes as it goes (a person is watching).
 */
import { pino, type DestinationStream, type Logger as Pino } from 'pino';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose every record carries `bindings` (e.g. a connection's id, endpoint and remote address). */
  child(bindings: LogFields): Logger;
  /** Resolves once every record logged so far has been written (call before process.exit: writes are async). */
  flush(): Promise<void>;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface PinoLoggerOptions {
  level: LogLevel;
  /** json: one JSON object per line; pretty: `12:00:01.234 INFO  message key=value`. */
  format: 'json' | 'pretty';
  /** Applied to the message and to every string field (tokens, secrets). */
  redact: (text: string) => string;
  /** Tests: where the lines go (default: stdout, asynchronous for json). */
  destination?: DestinationStream;
}

const CREDENTIAL = /token|authorization|secret|password|cookie/i;

/** Redacted copy of `fields` (shallow: fields are flat by convention). */
function clean(fields: LogFields, redact: (text: string) => string): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (CREDENTIAL.test(k) && v !== undefined && v !== null && typeof v !== 'boolean' && typeof v !== 'number') out[k] = '[redacted]';
    else out[k] = typeof v === 'string' ? redact(v) : v instanceof Error ? redact(v.stack ?? v.message) : v;
  }
  return out;
}

export function createPinoLogger(options: PinoLoggerOptions): Logger {
  const destination = options.destination
    ?? (options.format === 'pretty' ? prettyStream((line) => process.stdout.write(line), !!process.stdout.isTTY) : pino.destination({ dest: 1, sync: false }));
  const root = pino({
    level: options.level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, destination);
  return wrap(root, options.redact, () => drained(destination));
}

/**
 * Resolves when an asynchronous destination has written everything (sonic-boom emits `drain` once its buffer is
 * empty). Its own flush() does not wait for a write in flight with minLength 0, and its exit hook cannot finish one:
 * the last lines before process.exit would be lost.
 */
function drained(stream: DestinationStream): Promise<void> {
  const boom = stream as DestinationStream & { _writing?: boolean; _len?: number; once?(event: 'drain', listener: () => void): unknown };
  if (!boom.once || (!boom._writing && !boom._len)) return Promise.resolve();
  return new Promise((resolve) => boom.once!('drain', () => resolve()));
}

/**
 * A pino logger with bindings. Children (one per connection) are this small object, not pino children: a pino child
 * is a dictionary-mode object with its own property stores (~1.5 KiB per idle connection); logs per connection are
 * few (open, close), so merging the bindings into each record costs less than keeping a child per connection.
 */
class PinoLogger implements Logger {
  constructor(
    private readonly p: Pino,
    private readonly redact: (text: string) => string,
    readonly flush: () => Promise<void>,
    /** Already redacted. */
    private readonly bindings: LogFields | undefined,
  ) {}

  debug(msg: string, fields?: LogFields): void { this.at('debug', msg, fields); }
  info(msg: string, fields?: LogFields): void { this.at('info', msg, fields); }
  warn(msg: string, fields?: LogFields): void { this.at('warn', msg, fields); }
  error(msg: string, fields?: LogFields): void { this.at('error', msg, fields); }

  child(bindings: LogFields): Logger {
    return new PinoLogger(this.p, this.redact, this.flush, { ...this.bindings, ...clean(bindings, this.redact) });
  }

  private at(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields: LogFields | undefined): void {
    if (!this.p.isLevelEnabled(level)) return;
    const all = fields ? { ...this.bindings, ...clean(fields, this.redact) } : this.bindings;
    if (all) this.p[level](all, this.redact(msg));
    else this.p[level](this.redact(msg));
  }
}

function wrap(p: Pino, redact: (text: string) => string, flush: () => Promise<void>): Logger {
  return new PinoLogger(p, redact, flush, undefined);
}

/** The `log(line)` form (see lineLogger); one object per child, methods shared. */
class LineLogger implements Logger {
  constructor(
    private readonly write: (line: string) => void,
    private readonly redact: (text: string) => string,
    private readonly bindings: LogFields,
  ) {}

  debug(msg: string, fields?: LogFields): void { this.at(msg, fields); }
  info(msg: string, fields?: LogFields): void { this.at(msg, fields); }
  warn(msg: string, fields?: LogFields): void { this.at(msg, fields); }
  error(msg: string, fields?: LogFields): void { this.at(msg, fields); }
  child(more: LogFields): Logger { return new LineLogger(this.write, this.redact, { ...this.bindings, ...more }); }
  async flush(): Promise<void> {}

  private at(msg: string, fields: LogFields | undefined): void {
    const all = fields ? { ...this.bindings, ...fields } : this.bindings;
    const kv = formatFields(clean(all, this.redact));
    this.write(this.redact(kv ? `${msg} ${kv}` : msg));
  }
}

/**
 * The `log(line)` form: one string per record, `msg key=value ...` (fields after the message), every level
 * included. What AppOptions.log receives.
 */
export function lineLogger(write: (line: string) => void, redact: (text: string) => string = (t) => t, bindings: LogFields = {}): Logger {
  return new LineLogger(write, redact, bindings);
}

function formatFields(fields: LogFields): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = typeof v === 'string' ? (/^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)) : JSON.stringify(v);
    parts.push(`${k}=${s}`);
  }
  return parts.join(' ');
}

const LEVEL_COLOURS: Record<string, string> = { debug: '\x1b[90m', info: '\x1b[32m', warn: '\x1b[33m', error: '\x1b[31m', fatal: '\x1b[31m' };

/** pino's JSON lines as `HH:MM:SS.mmm LEVEL message key=value` (UTC; the terminal format, no extra dependency; colours only on a terminal). */
export function prettyStream(write: (line: string) => void, colour = true): DestinationStream {
  return {
    write(chunk: string) {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(chunk) as Record<string, unknown>;
      } catch {
        write(chunk);
        return;
      }
      const { time, level, msg, pid: _pid, hostname: _host, node: _node, ...rest } = rec;
      const t = typeof time === 'string' ? time.slice(11, 23) : '';
      const name = String(level ?? '').toUpperCase().padEnd(5);
      const lvl = colour ? `${LEVEL_COLOURS[String(level)] ?? ''}${name}\x1b[0m` : name;
      const kv = formatFields(rest);
      write(`${t} ${lvl} ${String(msg ?? '')}${kv ? `  ${kv}` : ''}\n`);
    },
  };
}
