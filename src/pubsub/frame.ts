/**
 * A server-to-client WebSocket text frame (RFC 6455 §5.2: FIN + opcode 1, unmasked), built once per message so
 * the same bytes go to every subscriber. `text` is kept for the optional outbound contract check in tests.
 */
export interface Frame {
  readonly text: string;
  readonly bytes: Buffer;
}

export function textFrame(text: string): Frame {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const bytes = Buffer.allocUnsafe(header + length);
  bytes[0] = 0x81; // FIN | text
  if (header === 2) {
    bytes[1] = length;
  } else if (header === 4) {
    bytes[1] = 126;
    bytes.writeUInt16BE(length, 2);
  } else {
    bytes[1] = 127;
    bytes.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    bytes.writeUInt32BE(length >>> 0, 6);
  }
  bytes.write(text, header, 'utf8');
  return { text, bytes };
}

/**
 * The frames one topic published in one event-loop turn, shared by every subscriber of the topic: the hub hands a
 * subscriber the batch once per turn (not once per message), appends later frames of the turn to it, and each
 * subscriber's queue reads it when it flushes. The first read seals it (later publications start a new batch), so
 * every reader sees the same frames; a reader from index 0 gets one concatenation shared by all of them.
 */
export class TopicBatch {
  readonly frames: Frame[] = [];
  private bytes = 0;
  private whole: Buffer | undefined;
  sealed = false;
  /** When its first frame reached the hub (performance.now()), for the publish-to-write latency metric. */
  readonly bornAt = performance.now();
  /** Set by the flush scheduler once the batch's latency is taken (once per batch, not per subscriber). */
  observed = false;

  add(frame: Frame): void {
    this.frames.push(frame);
    this.bytes += frame.bytes.length;
  }

  /** Bytes of all frames so far. */
  get byteLength(): number {
    return this.bytes;
  }

  /** The bytes of frames[start..], back to back; seals the batch. */
  read(start: number): Buffer {
    this.sealed = true;
    if (start === 0) {
      if (!this.whole) this.whole = this.frames.length === 1 ? this.frames[0]!.bytes : Buffer.concat(this.frames.map((f) => f.bytes), this.bytes);
      return this.whole;
    }
    return Buffer.concat(this.frames.slice(start).map((f) => f.bytes));
  }
}
