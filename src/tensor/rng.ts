/**
 * A small, fast, seeded random number generator (xoshiro128**, Blackman & Vigna 2018).
 * All randomness in Homeostat (initialisers, dropout masks, shuffling, splits) comes from an explicit
 * `Rng`, never from `Math.random`, so the same seed gives the same weights. Its state is four 32-bit
 * words, so it can be saved in a checkpoint and restored exactly.
 *
 * @example
 * const rng = new Rng(42);
 * rng.next();        // uniform in [0, 1)
 * rng.normal();      // standard normal
 * const child = rng.fork("dropout"); // an independent stream, same for the same parent state and label
 */
export class Rng {
  private s: Uint32Array = new Uint32Array(4);
  private spareNormal: number | null = null;

  constructor(seed: number = 0) {
    this.seed(seed);
  }

  /** Reset to the stream of `seed` (any finite number; integers are the usual choice). */
  seed(seed: number): void {
    // splitmix32 expands the seed into four words, so nearby seeds give unrelated streams.
    let x = (Math.floor(seed) >>> 0) ^ Math.floor(seed / 4294967296);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    this.spareNormal = null;
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1), with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!(n >= 1) || n > 4294967296) throw new RangeError(`Rng.int: n must be in [1, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** Shuffle `items` in place (Fisher–Yates) and return it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /**
   * An independent generator derived from this one's current state and a label. Forking does not
   * advance this generator, so adding a new consumer of randomness leaves the others' streams as they were.
   */
  fork(label: string): Rng {
    let h = 2166136261;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619) >>> 0;
    const child = new Rng(0);
    for (let i = 0; i < 4; i++) child.s[i] = (this.s[i] ^ Math.imul(h + i, 0x9e3779b1)) >>> 0;
    if ((child.s[0] | child.s[1] | child.s[2] | child.s[3]) === 0) child.s[0] = 1;
    for (let i = 0; i < 8; i++) child.nextU32(); // decorrelate from the parent's words
    return child;
  }

  /** The full state, as plain numbers (for checkpoints). */
  getState(): { s: number[]; spareNormal: number | null } {
    return { s: Array.from(this.s), spareNormal: this.spareNormal };
  }

  /** Restore a state obtained from `getState`. */
  setState(state: { s: number[]; spareNormal: number | null }): void {
    for (let i = 0; i < 4; i++) this.s[i] = state.s[i] >>> 0;
    this.spareNormal = state.spareNormal;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
