/**
 * Just enough of RFC 6455 for the bench's raw-socket clients (bench/min-client.ts, bench/replay-client.ts): the
 * upgrade request, masked client frames, and the length of a server frame from its header. No allocation beyond
 * the frame written.
 */
import { randomBytes } from 'node:crypto';

export function upgradeRequest(path: string, port: number): string {
  const key = randomBytes(16).toString('base64');
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
}

/** A masked client text frame (payloads up to 65,535 bytes). */
export function maskedText(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 65_535) throw new Error('only client frames up to 64 KiB');
  const head = payload.length < 126 ? 2 : 4;
  const out = Buffer.allocUnsafe(head + 4 + payload.length);
  out[0] = 0x81;
  if (head === 2) out[1] = 0x80 | payload.length;
  else {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(payload.length, 2);
  }
  randomBytes(4).copy(out, head);
  for (let i = 0; i < payload.length; i++) out[head + 4 + i] = payload[i]! ^ out[head + (i & 3)]!;
  return out;
}

export function maskedControl(opcode: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(6 + payload.length);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | payload.length;
  out.writeUInt32BE(0, 2); // an all-zero mask is a valid mask
  payload.copy(out, 6);
  return out;
}

/** Total frame length (header + payload) at buf[off], or -1 when the header is incomplete. */
export function frameLength(buf: Buffer, off: number): number {
  if (off + 2 > buf.length) return -1;
  const b1 = buf[off + 1]! & 0x7f;
  if (b1 < 126) return 2 + b1;
  if (b1 === 126) return off + 4 > buf.length ? -1 : 4 + buf.readUInt16BE(off + 2);
  return off + 10 > buf.length ? -1 : 10 + buf.readUInt32BE(off + 6);
}

/** Where the payload of the frame at buf[off] starts. */
export function payloadStart(buf: Buffer, off: number): number {
  const b1 = buf[off + 1]! & 0x7f;
  return off + (b1 < 126 ? 2 : b1 === 126 ? 4 : 10);
}

/** A Tickwire `bars.subscribe` for a `bars:<symbol>:<resolution>` topic, optionally recovering from `since`. */
export function barsSubscribe(topic: string, id = 's', since?: { epoch: string; offset: number }): string {
  const [, symbol, resolution] = topic.split(':');
  return JSON.stringify({ type: 'bars.subscribe', id, payload: { symbol, resolution, ...(since ? { since } : {}) } });
}
