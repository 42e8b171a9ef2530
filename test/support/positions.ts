/**
 * What a client written for the seed formats sees of a message: the same message without the additive recovery
 * fields (`seq` and `topic` on pushes, `positions` on subscriptions/connected, `asOf`/`recovered`/`reason` on a
 * bars.subscribe reply). Seed-format tests compare this view exactly, so a seed field that changes still fails them.
 */
export function seedView<T>(message: T): T {
  const m = structuredClone(message) as any;
  delete m.seq;
  if (m.type !== 'bars.update') delete m.topic;
  if (m.type === 'subscriptions') delete m.positions;
  if (m.payload && typeof m.payload === 'object' && m.type === 'bars.subscribe.response') {
    delete m.payload.asOf;
    delete m.payload.recovered;
    delete m.payload.reason;
  }
  if (m.data && typeof m.data === 'object') delete m.data.positions;
  return m;
}
