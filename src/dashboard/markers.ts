/**
 * Chart markers that do not overlap (issue 17): events (signals, trades) are placed on the bar that contains them;
 * all the events of one bar on one side (BUY below, SELL above) become ONE marker whose text sums them up; signals
 * are arrows, trades circles; a text label is drawn only when no labelled marker on the same side is within
 * `labelGap` bars before it, so labels of neighbouring bars never run into each other (the marker stays, without
 * text). Callers pass the gap that is LABEL_PX wide at the chart's current zoom (labelGapFor).
 */
import type { SeriesMarker, Time, UTCTimestamp } from 'lightweight-charts';

export interface MarkerEvent {
  /** epoch ms of the event */
  ts: number;
  kind: 'signal' | 'trade';
  side: 'BUY' | 'SELL';
  /** short label, e.g. 'B 10' for a trade */
  text: string;
}

/** Horizontal room a label needs, in CSS pixels. */
export const LABEL_PX = 28;

/** The label gap in bars for a chart showing `visibleBars` bars across `widthPx` pixels. */
export function labelGapFor(widthPx: number, visibleBars: number): number {
  const pxPerBar = visibleBars > 0 && widthPx > 0 ? widthPx / visibleBars : 6;
  return Math.max(1, Math.ceil(LABEL_PX / pxPerBar));
}

/** The index of the last of the sorted `times` at or before `ts`, or -1. */
function barIndex(times: readonly number[], ts: number): number {
  let lo = 0;
  let hi = times.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= ts) (at = mid), (lo = mid + 1);
    else hi = mid - 1;
  }
  return at;
}

export function layoutMarkers(events: readonly MarkerEvent[], times: readonly number[], labelGap = labelGapFor(0, 0)): SeriesMarker<Time>[] {
  const groups = new Map<string, { index: number; side: 'BUY' | 'SELL'; events: MarkerEvent[] }>();
  for (const e of events) {
    const index = barIndex(times, e.ts);
    if (index < 0) continue;
    const key = `${index}:${e.side}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { index, side: e.side, events: [] }));
    g.events.push(e);
  }
  const sorted = [...groups.values()].sort((a, b) => a.index - b.index);
  const lastLabel: Record<'BUY' | 'SELL', number> = { BUY: -Infinity, SELL: -Infinity };
  return sorted.map((g) => {
    const buy = g.side === 'BUY';
    const trades = g.events.filter((e) => e.kind === 'trade');
    const label = trades.length ? trades.map((t) => t.text).join(' ') : g.events.length > 1 ? `${g.side} ×${g.events.length}` : g.side;
    const show = g.index - lastLabel[g.side] >= labelGap;
    if (show) lastLabel[g.side] = g.index;
    return {
      time: (times[g.index]! / 1000) as UTCTimestamp,
      position: buy ? 'belowBar' : 'aboveBar',
      shape: trades.length ? 'circle' : buy ? 'arrowUp' : 'arrowDown',
      color: trades.length ? '#f0b429' : buy ? '#26a69a' : '#ef5350',
      text: show ? label : '',
    } satisfies SeriesMarker<Time>;
  });
}
