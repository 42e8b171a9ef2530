import { expect } from 'chai';
import { NYSE_SESSION } from '../../src/market/calendar-nyse.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';
import { isTradingTime } from '../../src/market/session.ts';
import { startServer, type TestServer } from '../support/server.ts';

describe('e2e: /dashboard/api/bars with the exchange calendar and with a range', function () {
  this.timeout(30_000);
  let server: TestServer;
  // A Sunday afternoon: the last 300 minutes had no session.
  const now = () => Date.UTC(2024, 0, 7, 18);
  before(async () => {
    server = await startServer({}, { source: new SimulatedSource({ now, calendar: 'exchange' }), now });
  });
  after(async () => {
    await server.stop();
  });

  it('recent bars of a closed stock are the last sessions\' (not an empty chart), all inside sessions', async () => {
    const body = (await (await fetch(server.http('/dashboard/api/bars?symbol=AAPL&resolution=1&count=300'))).json()) as { bars: { time: number }[] };
    expect(body.bars).to.have.length(300);
    for (const b of body.bars) expect(isTradingTime(NYSE_SESSION, b.time)).to.equal(true);
    expect(new Date(body.bars.at(-1)!.time).toISOString()).to.equal('2024-01-05T20:59:00.000Z');
  });

  it('a range with a calendar (the backtest page): bars in [from, to) under it; bad ranges are 400', async () => {
    const q = (p: string) => fetch(server.http(`/dashboard/api/bars?symbol=AAPL&resolution=60&${p}`));
    const ok = (await (await q(`from=${Date.UTC(2024, 0, 1)}&to=${Date.UTC(2024, 0, 3)}&calendar=always`)).json()) as { bars: unknown[] };
    expect(ok.bars).to.have.length(48);
    const exchange = (await (await q(`from=${Date.UTC(2024, 0, 1)}&to=${Date.UTC(2024, 0, 3)}`)).json()) as { bars: unknown[] };
    expect(exchange.bars).to.have.length(7); // New Year's Day closed; Jan 2: 09:30 … 15:30
    expect((await q(`from=5&to=1`)).status).to.equal(400);
    expect((await q(`from=1&to=5&calendar=nyse`)).status).to.equal(400);
  });
});
