/**
 * A small seeded pseudo-random generator (sfc32) with uniform and normal sampling.
 *
 * Contract: the same seed gives the same sequence on every platform (32-bit integer arithmetic only,
 * plus Math.log/sqrt/cos for normals, which are deterministic in V8). Not cryptographic.
 * The simulated market never uses Math.random: every random choice flows from a seed, so simulations replay.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Box–Muller yields two normals per draw; the second is kept for the next call. */
  private spare: number | undefined;

  /** @param seed any 32-bit integer (other numbers are truncated to 32 bits). */
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed | 0;
    // Warm up so that nearby seeds give unrelated sequences.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal N(0, 1) (Box–Muller). */
  normal(): number {
    const s = this.spare;
    if (s !== undefined) {
      this.spare = undefined;
      return s;
    }
    // 1 - next() is in (0, 1], so the log is finite.
    const r = Math.sqrt(-2 * Math.log(1 - this.next()));
    const theta = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

/**
 * Derives a 32-bit seed from a list of parts (numbers are taken as 32-bit integers, strings by their
 * UTF-16 code units). Used to give each (seed, symbol, purpose, index) its own independent stream,
 * so that e.g. a symbol's history does not depend on which other symbols exist.
 */
export function deriveSeed(...parts: readonly (number | string)[]): number {
  let h = 0x811c9dc5;
  const mix = (x: number): void => {
    h = Math.imul(h ^ x, 0x01000193);
    h ^= h >>> 15;
  };
  for (const part of parts) {
    if (typeof part === 'number') {
      // Split large integers (day indices, timestamps) into two 32-bit halves.
      mix(part | 0);
      mix(Math.floor(part / 4294967296) | 0);
    } else {
      for (let i = 0; i < part.length; i++) mix(part.charCodeAt(i));
      mix(part.length);
    }
  }
  // murmur3 finalizer
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
