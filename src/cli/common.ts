/**
 * What every tickwire-cli command shares: output sinks, colors, number formats, the error classes that pick the exit
 * code, and HTTP requests that turn transport failures and server refusals into one clear line.
 *
 * Exit codes (the contract of the CLI, printed in its usage): 0 done; 1 the gateway is unreachable or the connection
 * was lost; 2 bad arguments (usage printed, nothing sent); 3 the server answered with an error (a refused request, an
 * unknown id, a failed or cancelled run); 130 interrupted (Ctrl-C) while following a backtest.
 */

export const EXIT = Object.freeze({ OK: 0, UNREACHABLE: 1, USAGE: 2, REFUSED: 3, INTERRUPTED: 130 });

/** Bad arguments: exit 2 with the usage. `problems` are all the things wrong, one per line. */
export class UsageError extends Error {
  constructor(readonly problems: string[] | string) {
    super(Array.isArray(problems) ? problems.join('\n') : problems);
  }
}
/** The gateway could not be reached or the connection was lost (exit 1). */
export class Failure extends Error {}
/** The server answered with an error (exit 3). `lines` are every error it reported. */
export class Refused extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Rewrites the current stderr line (progress bar); only on a terminal. */
  status?(line: string): void;
  /** Writes a file (--csv); default node:fs. */
  writeFile?(path: string, text: string): void;
  color: boolean;
}

const ANSI = { reset: '\x1b[0m', dim: '\x1b[2m', bold: '\x1b[1m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m' };
export type Paint = (code: keyof typeof ANSI, text: string) => string;
export const painter = (on: boolean): Paint => (code, text) => (on ? `${ANSI[code]}${text}${ANSI.reset}` : text);

export const num = (n: number, d = 2) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
export const signed = (n: number, d = 2) => `${n >= 0 ? '+' : ''}${num(n, d)}`;
export const pct = (f: number) => `${(f * 100).toFixed(2)}%`;
export const signedPct = (f: number) => `${f >= 0 ? '+' : ''}${pct(f)}`;
export const tone = (p: Paint, n: number, text: string) => (n > 0 ? p('green', text) : n < 0 ? p('red', text) : text);

/** A fetch that turns "nothing listens there" into one clear line (exit 1). */
export async function request(url: string, init?: RequestInit, token?: string): Promise<Response> {
  try {
    const headers = { ...(init?.headers as Record<string, string> | undefined), ...(token ? { authorization: `Bearer ${token}` } : {}) };
    return await fetch(url, { ...init, headers, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new Failure(`cannot reach ${new URL(url).origin} (${why}); is the gateway running? (npm start)`);
  }
}

interface ServerError {
  code?: string;
  message?: string;
  field?: string;
}

/**
 * Every error a non-2xx answer reports, one line each: `{error}` (the gateway's shape) and `{errors: [...]}` when a
 * server sends several; a 429's Retry-After is said; a body that is not JSON is reported by its status alone.
 */
export async function refusal(what: string, res: Response): Promise<Refused> {
  const body = (await res.json().catch(() => undefined)) as { error?: ServerError; errors?: ServerError[] } | undefined;
  const errors = [...(body?.error ? [body.error] : []), ...(Array.isArray(body?.errors) ? body!.errors : [])];
  const retry = res.headers.get('retry-after');
  const after = res.status === 429 && retry ? `; retry after ${retry} s` : '';
  if (!errors.length) return new Refused([`${what} refused (HTTP ${res.status})${after}`]);
  const line = (e: ServerError) => `${e.code ?? 'ERROR'}: ${e.message ?? ''}${e.field ? ` (field ${e.field})` : ''}`;
  if (errors.length === 1) return new Refused([`${what} refused (HTTP ${res.status}): ${line(errors[0]!)}${after}`]);
  return new Refused([`${what} refused (HTTP ${res.status}), ${errors.length} errors${after}:`, ...errors.map((e) => `  ${line(e)}`)]);
}

/** GET/POST that answers the parsed JSON of a 2xx, or throws Refused (exit 3) / Failure (exit 1). */
export async function call<T>(what: string, url: string, init: RequestInit | undefined, token: string | undefined): Promise<T> {
  const res = await request(url, init, token);
  if (!res.ok) throw await refusal(what, res);
  try {
    return (await res.json()) as T;
  } catch {
    throw new Refused([`${what}: the server answered HTTP ${res.status} without a JSON body`]);
  }
}
