import { expect } from 'chai';
import { SimulatedSource } from '../../src/market/source-simulated.ts';

describe('SimulatedSource continueFromHistory', () => {
  it('starts the live walk where history ends and takes the previous close from history', async () => {
    const now = Date.UTC(2025, 5, 11, 14, 30, 20);
    const minute = Date.UTC(2025, 5, 11, 14, 30);
    const joined = new SimulatedSource({ continueFromHistory: true, now: () => now, tickIntervalMs: 3_600_000 });
    const plain = new SimulatedSource({ now: () => now, tickIntervalMs: 3_600_000 });
    const [last] = (await joined.history('AAPL', '1', minute - 60_000, minute)).slice(-1);
    const days = await joined.history('AAPL', 'D', now - 7 * 86_400_000, now);
    const previousDay = days.filter((d) => d.time + 86_400_000 <= now).pop()!;
    await joined.start();
    await plain.start();
    joined.step(1);
    plain.step(1);
    const q = joined.quote('AAPL')!;
    // one tick away from history's last close (a tick moves far less than 1%)
    expect(Math.abs(q.price / last!.close - 1)).to.be.below(0.01);
    expect(q.previous_close).to.equal(previousDay.close);
    // without the option the walk starts at the fixed start price instead, far from where history is
    expect(plain.quote('AAPL')!.previous_close).to.not.equal(previousDay.close);
    await joined.stop();
    await plain.stop();
  });
});
