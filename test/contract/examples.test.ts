import { expect } from 'chai';
import * as V from '../../generated/validators.js';
import type { Validator } from '../../generated/validators.js';
import { loadSpec, specExamples } from '../support/spec.ts';

const validators = V as unknown as Record<string, Validator<unknown>>;

describe('contract: examples', () => {
  const spec = loadSpec();

  it('every message has a description or summary and at least one example', () => {
    for (const [id, msg] of Object.entries<any>(spec.components.messages)) {
      expect(msg.summary ?? msg.description, `${id} summary`).to.be.a('string').and.not.empty;
      expect(msg.examples, `${id} examples`).to.be.an('array').with.length.greaterThan(0);
    }
  });

  for (const ex of specExamples(spec)) {
    it(`${ex.message} example "${ex.name}" passes validate${ex.schema}`, () => {
      const validate = validators[`validate${ex.schema}`];
      expect(validate, `validate${ex.schema} exists`).to.be.a('function');
      const ok = validate!(ex.payload);
      expect(ok, JSON.stringify(validate!.errors)).to.equal(true);
    });
  }
});
