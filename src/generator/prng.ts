/** Char codes of the 16 lowercase hex digits. A constant table, not state. */
const HEX_CODES: readonly number[] = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const DASH = 45;


/**
 * A seedable pseudo-random generator (sfc32, seeded through splitmix32) on 32-bit integer arithmetic only, so the
 * same seed gives the same sequence on every engine. The generator threads one instance through every step.
 *
 * @example
 * const prng = new Prng(42);
 * prng.next();      // a float in [0, 1)
 * prng.int(6);      // 0..5
 * prng.uuid();      // an RFC 4122 version 4 UUID
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Scratch space of `uuid()`. */
  private readonly uuidCodes: number[] = new Array<number>(36).fill(0);

  /** @param seed an integer 0–4294967295. */
  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix32 = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix32();
    this.b = splitmix32();
    this.c = splitmix32();
    this.d = splitmix32();
    // The authors' recommended warm-up: the first outputs are still close to the seed.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** The next unsigned 32-bit integer. */
  nextUint32(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in `[0, 1)`, a multiple of 2⁻³². */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in `[0, n)`; `n` a positive integer up to 2³². */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in `[min, max]`, both integers. */
  intBetween(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** A float in `[min, max)`. */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /**
   * A random RFC 4122 version 4 UUID (version and variant bits set), lowercase. Built from char codes in one call,
   * so the string is flat: concatenating pieces would keep a rope of small strings alive for every id.
   */
  uuid(): string {
    const codes = this.uuidCodes;
    let at = 0;
    for (let w = 0; w < 4; w++) {
      let word = this.nextUint32();
      if (w === 1) word = (word & 0xffff0fff) | 0x00004000; // version 4
      if (w === 2) word = (word & 0x3fffffff) | 0x80000000; // variant 10xx
      for (let shift = 28; shift >= 0; shift -= 4) {
        if (at === 8 || at === 13 || at === 18 || at === 23) codes[at++] = DASH;
        codes[at++] = HEX_CODES[(word >>> shift) & 0xf]!;
      }
    }
    return String.fromCharCode.apply(null, codes);
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }
}
