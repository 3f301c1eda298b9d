// The fuzzer's seeded generator (a 32-bit xorshift-multiply stream): every mutant is a function of
// (format seed, mutant index), so any failure is reproduced by its seed and index alone.

export class FuzzRandom {
  private s: number;

  constructor(seed: number) {
    this.s = (seed ^ 0x9e3779b9) >>> 0 || 1;
    for (let i = 0; i < 4; i++) this.u32();
  }

  u32(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
}

/** The generator for mutant `index` of a run seeded with `seed`. */
export const mutantRandom = (seed: number, index: number) => new FuzzRandom(Math.imul(seed, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
