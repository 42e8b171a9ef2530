import { expect } from 'chai';
import WebSocket from 'ws';

// ws exports its framer as WebSocket.Sender (untyped in @types/ws).
const Sender = (WebSocket as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } }).Sender;
import { textFrame } from '../../src/pubsub/frame.ts';

describe('textFrame', () => {
  // ws's own framer is the reference: our frame must be byte-identical for every length class.
  for (const length of [0, 1, 125, 126, 1000, 65_535, 65_536, 200_000]) {
    it(`matches ws's framing for a ${length}-byte payload`, () => {
      const text = 'x'.repeat(length);
      const ours = textFrame(text).bytes;
      const theirs = Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));
      expect(ours.equals(theirs)).to.equal(true);
    });
  }

  it('counts bytes, not characters, for non-ASCII text', () => {
    const f = textFrame('€'.repeat(50)); // 150 bytes
    expect(f.bytes[1]).to.equal(126);
    expect(f.bytes.readUInt16BE(2)).to.equal(150);
    expect(f.bytes.length).to.equal(154);
  });
});
