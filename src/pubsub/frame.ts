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
