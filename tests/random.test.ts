import { describe, expect, it } from "vitest";
import { Random } from "../src/index.js";
import { ln } from "../src/runtime/random.js";

describe("ln (deterministic natural log)", () => {
  it("agrees with Math.log to within 2 ulp over many magnitudes", () => {
    for (const x of [1e-300, 1e-30, 1e-7, 0.001, 0.1, 0.5, 0.7071, 0.99999, 1, 1.0001, 2, 10, 12345.678, 1e30]) {
      const want = Math.log(x);
      expect(Math.abs(ln(x) - want)).toBeLessThanOrEqual(Math.max(Math.abs(want), 1) * 4.5e-16);
    }
  });
});

describe("Random", () => {
  it("gives the same stream for the same seed and different streams for different seeds", () => {
    const a = new Random(42), b = new Random(42), c = new Random(43);
    const sa = Array.from({ length: 100 }, () => a.nextUint32());
    const sb = Array.from({ length: 100 }, () => b.nextUint32());
    const sc = Array.from({ length: 100 }, () => c.nextUint32());
    expect(sa).toEqual(sb);
    expect(sa.filter((v, i) => v === sc[i]).length).toBeLessThan(3);
  });

  it("keeps its stream fixed across versions (golden values; a change here changes every seeded run)", () => {
    const r = new Random(1);
    const first = [r.nextUint32(), r.nextUint32(), r.nextUint32()];
    // Recorded from this implementation of xoshiro128** seeded by splitmix32; see random.ts.
    expect(first).toEqual(GOLDEN_SEED1);
  });

  it("draws uniforms in [0, 1) with the right mean and normals with mean 0, variance 1", () => {
    const r = new Random(7);
    const n = 200_000;
    let su = 0, sn = 0, sn2 = 0, minU = 1, maxU = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      su += u; minU = Math.min(minU, u); maxU = Math.max(maxU, u);
      const z = r.normal();
      sn += z; sn2 += z * z;
    }
    expect(minU).toBeGreaterThanOrEqual(0);
    expect(maxU).toBeLessThan(1);
    expect(Math.abs(su / n - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sn / n)).toBeLessThan(0.01);
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(0.02);
  });

  it("draws integers without bias and shuffles into a permutation", () => {
    const r = new Random(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[r.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    const items = Array.from({ length: 50 }, (_, i) => i);
    r.shuffle(items);
    expect(items.slice().sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(items).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(() => r.int(0)).toThrow(RangeError);
  });
});

// Cross-checked against the reference C implementation of xoshiro128** with the same splitmix32 seeding.
const GOLDEN_SEED1 = [2442144158, 3238099751, 3819917871];
