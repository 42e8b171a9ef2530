import { expect } from 'chai';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot } from '../support/spec.ts';

const require = createRequire(import.meta.url);
const { buildModel } = require(path.join(repoRoot, 'templates', 'tickwire', 'lib', 'model.cjs')) as { buildModel: (spec: unknown) => unknown };

// The template's model builder (templates/tickwire/lib/model.cjs) on a minimal raw contract.
describe('codegen template model (templates/tickwire/lib/model.cjs)', () => {
  const spec = (channelRef: string) => ({
    channels: { feed: { address: 'feed', messages: { ping: { $ref: '#/components/messages/ping' } } } },
    operations: { sendPing: { action: 'receive', channel: { $ref: channelRef }, messages: [{ $ref: '#/components/messages/ping' }] } },
    components: {
      messages: { ping: { payload: { $ref: '#/components/schemas/Ping' } } },
      schemas: { Ping: { type: 'object', properties: { type: { const: 'ping' } } }, ErrorCode: { type: 'string', enum: [] } },
    },
  });

  it('builds a model for a well-formed contract', () => {
    expect(() => buildModel(spec('#/channels/feed'))).not.to.throw();
  });

  it('an operation on an unknown channel fails with a message naming the operation (not a TypeError)', () => {
    expect(() => buildModel(spec('#/channels/nowhere'))).to.throw(Error, 'operation sendPing: unknown channel');
  });
});
