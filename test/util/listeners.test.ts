import { expect } from 'chai';
import { Listeners } from '../../src/util/listeners.ts';

describe('Listeners', () => {
  it('calls listeners in order with their own copy; a throwing one is reported and the rest still run', () => {
    const errors: unknown[] = [];
    const seen: string[] = [];
    const l = new Listeners<{ v: number }>((e) => errors.push(e), (x) => ({ ...x }));
    l.add((x) => { x.v = 99; seen.push('a'); });
    l.add(() => { throw new Error('boom'); });
    l.add((x) => seen.push(`c${x.v}`));
    l.emit({ v: 1 });
    expect(seen).to.deep.equal(['a', 'c1']);
    expect(errors).to.have.length(1);
  });

  it('removal is idempotent; changes during an emit apply from the next emit; a throwing onError is contained', () => {
    const seen: string[] = [];
    const l = new Listeners<number>(() => { throw new Error('reporter broke'); });
    let offB: () => void = () => undefined;
    l.add(() => { seen.push('a'); offB(); l.add(() => seen.push('late')); });
    offB = l.add(() => seen.push('b'));
    l.add(() => { throw new Error('x'); });
    expect(() => l.emit(1)).to.not.throw();
    expect(seen).to.deep.equal(['a', 'b']);
    offB();
    seen.length = 0;
    l.emit(2);
    expect(seen).to.deep.equal(['a', 'late']);
  });
});
