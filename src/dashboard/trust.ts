/**
 * What lets a trader trust the dashboard at a glance (issue 17):
 * - stale data: while any connection is not open the page is dimmed and says "Disconnected since <time>" (body
 *   `data-stale="true"`, the `#stale` banner); it clears when every connection is open again;
 * - per panel "last update": each `[data-updated=<panel>]` element shows how long ago its panel last changed;
 * - the market badge: SIMULATED / IB PAPER / IB LIVE with the calendar and clock speed in force, from
 *   GET /websocket/status (`market`).
 * Pure DOM helpers; main.ts wires them to its clients.
 */
import type { SocketState, TickwireClient } from '../client/client.ts';

const $ = <E extends HTMLElement>(sel: string) => document.querySelector(sel) as E | null;
const hhmmss = (t: number) => new Date(t).toLocaleTimeString('en-GB', { hour12: false });

/** Dims the page while any of `clients` is not open, saying since when. */
export function watchStale(clients: readonly TickwireClient<any>[]): void {
  const banner = $('#stale');
  let since: number | undefined;
  let everOpen = false;
  const render = () => {
    const down = clients.some((c) => c.state !== 'open');
    if (clients.every((c) => c.state === 'open')) everOpen = true;
    // Before the first open there is no data to be stale: the badges say "connecting".
    if (down && everOpen) {
      since ??= Date.now();
      document.body.dataset.stale = 'true';
      if (banner) {
        banner.hidden = false;
        const time = banner.querySelector('time');
        if (time) {
          time.dateTime = new Date(since).toISOString();
          time.textContent = hhmmss(since);
        }
      }
    } else if (!down) {
      since = undefined;
      delete document.body.dataset.stale;
      if (banner) banner.hidden = true;
    }
  };
  for (const c of clients) c.onState((_s: SocketState) => render());
  render();
}

/** Per-panel "last update" labels; `touch(panel)` when that panel receives data. */
export function lastUpdates(): { touch(panel: string): void; stop(): void } {
  const at = new Map<string, number>();
  const render = () => {
    for (const e of Array.from(document.querySelectorAll<HTMLElement>('[data-updated]'))) {
      const t = at.get(e.dataset.updated!);
      if (t === undefined) continue;
      const age = Math.max(0, Math.round((Date.now() - t) / 1000));
      e.textContent = age < 2 ? 'updated just now' : age < 120 ? `updated ${age} s ago` : `updated at ${hhmmss(t)}`;
      e.title = `last update ${new Date(t).toISOString()}`;
      e.dataset.age = String(age);
    }
  };
  const timer = setInterval(render, 1000);
  return {
    touch(panel) {
      const first = !at.has(panel);
      at.set(panel, Date.now());
      if (first) render();
    },
    stop: () => clearInterval(timer),
  };
}

export interface MarketInfo {
  mode: 'simulated' | 'ib_paper' | 'ib_live';
  calendar: string | null;
  speed: number | null;
}

const MODE_LABEL: Record<MarketInfo['mode'], string> = { simulated: 'SIMULATED', ib_paper: 'IB PAPER', ib_live: 'IB LIVE' };

/** The badge text for a market: 'SIMULATED · 24/7 · ×60', 'IB LIVE'. */
export function marketLabel(m: MarketInfo): string {
  const parts = [MODE_LABEL[m.mode] ?? m.mode.toUpperCase()];
  if (m.calendar) parts.push(m.calendar === 'exchange' ? 'NYSE hours' : '24/7');
  if (m.speed && m.speed !== 1) parts.push(`×${m.speed}`);
  return parts.join(' · ');
}

/** Fills the `#mode` badge from GET /websocket/status. */
export async function showMarket(token: string | undefined): Promise<void> {
  const badge = $('#mode');
  if (!badge) return;
  try {
    const res = await fetch('/websocket/status', token ? { headers: { authorization: `Bearer ${token}` } } : undefined);
    const status = (await res.json()) as { market?: MarketInfo; market_source?: string };
    const market = status.market ?? (status.market_source === 'simulated' ? { mode: 'simulated', calendar: null, speed: null } : undefined);
    if (!market) return;
    badge.dataset.mode = market.mode;
    badge.querySelector('b')!.textContent = marketLabel(market as MarketInfo);
    badge.title = market.mode === 'simulated'
      ? `simulated market (not real prices)${market.calendar ? `; calendar ${market.calendar === 'exchange' ? 'exchange: stocks on NYSE hours and holidays, crypto 24/7' : 'always: every symbol 24/7'}` : ''}`
      : market.mode === 'ib_live' ? 'Interactive Brokers LIVE account: real money' : 'Interactive Brokers paper account';
  } catch {
    // The badge keeps "…"; the connection badges say whether the server is reachable.
  }
}
