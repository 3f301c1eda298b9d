// One seedable PRNG for every random number simdnet makes (weights, shuffles, sampling), so the
// same seed gives the same numbers in Node and in every browser.
//
// Generator: xoshiro128** (Blackman & Vigna), 32-bit state words, seeded through splitmix32 so
// that nearby seeds give unrelated streams. Normals: Marsaglia's polar method. It needs ln(s);
// Math.log is not required to be correctly rounded and engines differ in the last bit, so `ln`
// below uses only + − × ÷ (exactly specified by IEEE 754) and is therefore the same everywhere.

const LN2 = 0.6931471805599453;

/** Natural log of a positive finite double, from basic IEEE operations only (deterministic). */
export function ln(x: number): number {
  // Range-reduce to m in [sqrt(1/2), sqrt(2)) with x = m·2^e, by exact scaling by powers of two.
  let e = 0;
  let m = x;
  while (m >= 1.4142135623730951) { m /= 2; e++; }
  while (m < 0.7071067811865476) { m *= 2; e--; }
  // ln(m) = 2·atanh(t), t = (m−1)/(m+1), |t| < 0.172: the odd series converges fast (t² < 0.03).
  const t = (m - 1) / (m + 1);
  const t2 = t * t;
  let term = t;
  let sum = 0;
  for (let k = 1; k < 40; k += 2) {
    sum += term / k;
    term *= t2;
  }
  return 2 * sum + e * LN2;
}

export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | undefined;

  constructor(seed = 0) {
    let z = seed >>> 0;
    const splitmix = () => {
      z = (z + 0x9e3779b9) >>> 0;
      let r = z;
      r = Math.imul(r ^ (r >>> 16), 0x85ebca6b) >>> 0;
      r = Math.imul(r ^ (r >>> 13), 0xc2b2ae35) >>> 0;
      return (r ^ (r >>> 16)) >>> 0;
    };
    this.s0 = splitmix();
    this.s1 = splitmix();
    this.s2 = splitmix();
    this.s3 = splitmix();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!(n >= 1 && n <= 2 ** 32 && Number.isInteger(n))) throw new RangeError(`Random.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const s = this.spareNormal;
      this.spareNormal = undefined;
      return s;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * ln(s)) / s);
        this.spareNormal = v * f;
        return u * f;
      }
    }
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(items: T[] | Int32Array | Uint32Array): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
