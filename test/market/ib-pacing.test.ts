import { expect } from 'chai';
import { PacingQueue, type PacingClock, type PacedRequest } from '../../src/market/ib-pacing.ts';

/** A manual clock: timers fire only when the test advances time. */
class ManualClock implements PacingClock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  /** Advances to `to`, firing due timers in time order. */
  advanceTo(to: number): void {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (!due || due.at > to) break;
      this.timers.shift();
      this.t = due.at;
      due.fn();
    }
    this.t = to;
  }
}

function setup(limits = {}) {
  const clock = new ManualClock();
  const queue = new PacingQueue({ clock, limits });
  const sent: { label: string; at: number }[] = [];
  const submit = (label: string, req: Omit<PacedRequest, 'send'> = { kind: 'message' }) =>
    queue.submit({ ...req, send: () => sent.push({ label, at: clock.now() }) });
  return { clock, queue, sent, submit };
}

describe('PacingQueue (IB pacing)', () => {
  it('sends at most 50 messages in any 1 s window, in order', () => {
    const { clock, sent, submit } = setup();
    for (let i = 0; i < 120; i++) submit(`m${i}`);
    expect(sent.length).to.equal(50);
    clock.advanceTo(999);
    expect(sent.length).to.equal(50);
    clock.advanceTo(1000);
    expect(sent.length).to.equal(100);
    clock.advanceTo(2000);
    expect(sent.length).to.equal(120);
    expect(sent.map((s) => s.label)).to.deep.equal(Array.from({ length: 120 }, (_, i) => `m${i}`));
    // no 1-second window holds more than 50 sends
    for (const s of sent) expect(sent.filter((o) => o.at >= s.at && o.at < s.at + 1000).length).to.be.at.most(50);
  });

  it('spaces historical requests for the same contract: at most 5 per 2 s', () => {
    const { clock, sent, submit } = setup();
    for (let i = 0; i < 12; i++) submit(`h${i}`, { kind: 'historical', contractKey: 'AAPL|SMART|TRADES', identityKey: `q${i}` });
    expect(sent.map((s) => s.at)).to.deep.equal([0, 0, 0, 0, 0]);
    clock.advanceTo(10_000);
    expect(sent.map((s) => s.at)).to.deep.equal([0, 0, 0, 0, 0, 2000, 2000, 2000, 2000, 2000, 4000, 4000]);
  });

  it('does not hold other contracts or plain messages behind a blocked contract', () => {
    const { sent, submit } = setup();
    for (let i = 0; i < 6; i++) submit(`a${i}`, { kind: 'historical', contractKey: 'AAPL', identityKey: `a${i}` });
    submit('msft', { kind: 'historical', contractKey: 'MSFT', identityKey: 'm' });
    submit('rtb');
    expect(sent.map((s) => s.label)).to.deep.equal(['a0', 'a1', 'a2', 'a3', 'a4', 'msft', 'rtb']);
  });

  it('allows 60 historical requests per 10 minutes overall', () => {
    const { clock, sent, submit } = setup({ historicalPerContractMax: 1000 });
    for (let i = 0; i < 61; i++) submit(`h${i}`, { kind: 'historical', contractKey: `C${i}`, identityKey: `h${i}` });
    // 50 go at once (message rule), 10 more after 1 s, the 61st waits for the 10-minute window
    clock.advanceTo(1000);
    expect(sent.length).to.equal(60);
    clock.advanceTo(599_999);
    expect(sent.length).to.equal(60);
    clock.advanceTo(600_000);
    expect(sent.length).to.equal(61);
    expect(sent[60].at).to.equal(600_000);
  });

  it('sends identical historical requests at least 15 s apart', () => {
    const { clock, sent, submit } = setup();
    submit('first', { kind: 'historical', contractKey: 'AAPL', identityKey: 'same' });
    submit('again', { kind: 'historical', contractKey: 'AAPL', identityKey: 'same' });
    clock.advanceTo(20_000);
    expect(sent.map((s) => s.at)).to.deep.equal([0, 15_000]);
  });

  it('cancel withdraws a pending request; clear() drops all; a throwing send is contained', () => {
    const { clock, queue, sent, submit } = setup({ maxMessagesPerSecond: 1 });
    submit('a');
    const cancel = submit('b');
    submit('c');
    cancel();
    clock.advanceTo(1000);
    expect(sent.map((s) => s.label)).to.deep.equal(['a', 'c']);
    submit('d');
    expect(queue.clear()).to.equal(1);
    clock.advanceTo(5000);
    expect(sent.map((s) => s.label)).to.deep.equal(['a', 'c']);
    queue.submit({ kind: 'message', send: () => { throw new Error('boom'); } });
    expect(queue.stats()).to.include({ sent: 3, dropped: 2 });
  });
});
