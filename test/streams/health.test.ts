import { expect } from 'chai';
import { HealthMonitor } from '../../src/streams/health.ts';
import { StreamManager } from '../../src/streams/stream-manager.ts';
import type { Stream, StreamContext } from '../../src/streams/stream.ts';

describe('HealthMonitor', () => {
  it('unhealthy after 10 consecutive errors; an update resets the count', () => {
    let t = 0;
    const h = new HealthMonitor({ now: () => t });
    h.register('s');
    for (let i = 0; i < 9; i++) h.recordError('s', new Error('x'));
    expect(h.isHealthy('s')).to.equal(true);
    h.recordError('s', new Error('boom'));
    expect(h.isHealthy('s')).to.equal(false);
    expect(h.snapshot().s).to.include({ error_count: 10, is_healthy: false, last_error: 'boom' });
    expect(h.snapshot().s!.last_error_at).to.match(/^\d{4}-\d{2}-\d{2}T/);
    h.recordUpdate('s');
    expect(h.snapshot().s).to.include({ error_count: 0, is_healthy: true });
  });

  it('unhealthy after 5 minutes without an update', () => {
    let t = 0;
    const h = new HealthMonitor({ now: () => t });
    h.register('s');
    t = 5 * 60_000;
    expect(h.isHealthy('s')).to.equal(true);
    t += 1;
    expect(h.isHealthy('s')).to.equal(false);
    h.recordUpdate('s');
    expect(h.isHealthy('s')).to.equal(true);
    expect(h.snapshot().s!.last_update).to.equal(new Date(t).toISOString());
  });
});

describe('StreamManager', () => {
  it('restarts a stream whose start fails, with backoff, and counts the recovery attempt; others keep running', async () => {
    const health = new HealthMonitor();
    const manager = new StreamManager({ health, log: () => undefined, baseBackoffMs: 10 });
    let starts = 0;
    let restarted!: () => void;
    const again = new Promise<void>((r) => (restarted = r));
    let ctxOf: StreamContext | undefined;
    const flaky: Stream = {
      name: 'flaky',
      async start(ctx) {
        starts++;
        ctxOf ??= ctx;
        if (starts === 1) throw new Error('upstream gone');
        restarted();
      },
      stop() {},
    };
    let stoppedSteady = false;
    const steady: Stream = { name: 'steady', start(ctx) { ctx.update(); }, stop() { stoppedSteady = true; } };
    await manager.startAll([flaky, steady]);
    const firstCtx = ctxOf!;
    await again;
    expect(starts).to.equal(2);
    expect(health.snapshot().flaky).to.include({ recovery_attempts: 1 });
    expect(health.snapshot().steady).to.include({ is_healthy: true, recovery_attempts: 0 });
    firstCtx.update(); // a stale context from before the restart is ignored
    expect(health.snapshot().flaky!.last_update).to.equal(null);
    await manager.stopAll();
    expect(stoppedSteady).to.equal(true);
  });
});
