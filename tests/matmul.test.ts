import { describe, expect, it } from "vitest";
import { matmul, tensor, tidy, ShapeError } from "../src/index.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { expectClose, randomFloats } from "./helpers/compare.js";
import { fromF32, matmulRef, transpose } from "./helpers/reference.js";
import { gemmShapes } from "./helpers/shapes.js";

const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** matmul of random operands stored as the transpose flags say, checked against the f64 product. */
function checkMatmul(m: number, n: number, k: number, ta: boolean, tb: boolean, seed: number): Float32Array {
  return tidy(() => {
    const aData = randomFloats(m * k, seed);
    const bData = randomFloats(k * n, seed + 1);
    const a = tensor(aData, ta ? [k, m] : [m, k]);
    const b = tensor(bData, tb ? [n, k] : [k, n]);
    const c = matmul(a, b, { transposeA: ta, transposeB: tb });
    expect(c.shape).toEqual([m, n]);
    const aRef = ta ? transpose(fromF32(aData, k, m)) : fromF32(aData, m, k);
    const bRef = tb ? transpose(fromF32(bData, n, k)) : fromF32(bData, k, n);
    const want = matmulRef(aRef, bRef).data;
    const got = c.toFloat32Array();
    // f32 accumulation of k products of values in [-1, 1): error grows at most ~k·eps.
    expectClose(got, want, 1e-5, 2e-6 * k, `matmul ${m}x${k}·${k}x${n} tA=${ta} tB=${tb}`);
    return got;
  });
}

describe.each(BUILDS)("matmul on the %s build", (build) => {
  it("matches a float64 reference on edge shapes, all transpose combinations", async () => {
    await useBuild(build);
    let seed = 1;
    for (const [m, n, k] of gemmShapes()) {
      for (const [ta, tb] of TRANSPOSES) checkMatmul(m, n, k, ta, tb, seed++);
    }
  });

  it("computes the hand example [[1,2,3],[4,5,6]]·[[7,8],[9,10],[11,12]]", async () => {
    await useBuild(build);
    const c = tidy(() => matmul(tensor([[1, 2, 3], [4, 5, 6]]), tensor([[7, 8], [9, 10], [11, 12]])));
    expect(c.toArray()).toEqual([[58, 64], [139, 154]]);
    c.dispose();
  });

  it("handles k = 0 (an empty sum is 0) and empty outputs", async () => {
    await useBuild(build);
    tidy(() => {
      const c = matmul(tensor(new Float32Array(0), [3, 0]), tensor(new Float32Array(0), [0, 2]));
      expect(c.toArray()).toEqual([[0, 0], [0, 0], [0, 0]]);
      expect(matmul(tensor(new Float32Array(0), [0, 4]), tensor(new Float32Array(8), [4, 2])).shape).toEqual([0, 2]);
    });
  });

  it("runs batched products: [B,m,k]·[B,k,n] and [B,m,k]·[k,n]", async () => {
    await useBuild(build);
    tidy(() => {
      const [B, m, k, n] = [3, 5, 7, 4];
      const aData = randomFloats(B * m * k, 11);
      const bData = randomFloats(B * k * n, 12);
      const a = tensor(aData, [B, m, k]);
      const batched = matmul(a, tensor(bData, [B, k, n])).toFloat32Array();
      const shared = matmul(a, tensor(bData.subarray(0, k * n), [k, n])).toFloat32Array();
      for (let i = 0; i < B; i++) {
        const ai = fromF32(aData.subarray(i * m * k, (i + 1) * m * k), m, k);
        const want = matmulRef(ai, fromF32(bData.subarray(i * k * n, (i + 1) * k * n), k, n)).data;
        expectClose(batched.subarray(i * m * n, (i + 1) * m * n), want, 1e-5, 1e-5, `batch ${i}`);
        const wantShared = matmulRef(ai, fromF32(bData.subarray(0, k * n), k, n)).data;
        expectClose(shared.subarray(i * m * n, (i + 1) * m * n), wantShared, 1e-5, 1e-5, `shared-B batch ${i}`);
      }
    });
  });

  it("writes into `out` when given and checks its shape", async () => {
    await useBuild(build);
    tidy(() => {
      const aData = randomFloats(6, 3), bData = randomFloats(12, 4);
      const a = tensor(aData, [2, 3]);
      const b = tensor(bData, [3, 4]);
      // NaN in out: a kernel that accumulated into out (β ≠ 0) or skipped an element would show it.
      const out = tensor(new Float32Array(8).fill(Number.NaN), [2, 4]);
      const c = matmul(a, b, { out });
      expect(c).toBe(out);
      // k = 3 products of |values| < 1: ≤ 3 roundings of a sum below 3, far inside 1e-6 absolute.
      const want = matmulRef(fromF32(aData, 2, 3), fromF32(bData, 3, 4)).data;
      expectClose(out.toFloat32Array(), want, 1e-6, 1e-6, "matmul into out");
      // A second call overwrites (does not accumulate into) the previous result.
      matmul(a, b, { out });
      expectClose(out.toFloat32Array(), want, 1e-6, 1e-6, "matmul into out, again");
      expect(() => matmul(a, b, { out: tensor(new Float32Array(6), [2, 3]) })).toThrow(/out has shape \[2,3\], the result has shape \[2,4\]/);
    });
  });
});

describe("matmul errors", () => {
  it("names the op, the shapes and the mismatch", async () => {
    await useBuild("simd");
    tidy(() => {
      const a = tensor(new Float32Array(6), [2, 3]);
      const b = tensor(new Float32Array(20), [4, 5]);
      expect(() => matmul(a, b)).toThrow(ShapeError);
      expect(() => matmul(a, b)).toThrow("matmul: [2,3] × [4,5]: inner dimensions 3 and 4 differ");
      expect(() => matmul(a, b, { transposeA: true })).toThrow("matmul: [2,3]ᵀ × [4,5]: inner dimensions 2 and 4 differ");
      expect(() => matmul(tensor([1, 2, 3]), b)).toThrow(/a must have rank 2 or 3, got shape \[3\]/);
      // The runtime stays usable after an error.
      expect(matmul(a, tensor(new Float32Array(3).fill(1), [3, 1])).shape).toEqual([2, 1]);
    });
  });
});

describe("SIMD and scalar builds", () => {
  it("agree within f32 rounding on a large ragged product", async () => {
    const results: Float32Array[] = [];
    for (const build of BUILDS) {
      await useBuild(build);
      results.push(checkMatmul(131, 67, 259, false, false, 99));
    }
    expectClose(results[0]!, results[1]!, 1e-5, 1e-4, "simd vs scalar");
  });
});
