// linear(x, w, bias, { activation }): the dense forward as one fused GEMM call, against a float64
// reference on odd sizes, every activation (GELU included: an epilogue code like the others), with and
// without bias, w plain or transposed, on every build, and the pre-activation the epilogue keeps for GELU.
// Shapes cover the unpacked paths (m = 1, n = 1), ragged 4×8 tiles, and k > 256 (several k-blocks, where
// the epilogue must run once, after the last block).

import { describe, expect, it } from "vitest";
import { ACTIVATIONS, ArgumentError, ShapeError, linear, matmul, randn, tensor, tidy, zeros, type Activation } from "../src/index.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { expectClose } from "./helpers/compare.js";

const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 7, 9], [5, 3, 1], [3, 17, 5], [17, 65, 3], [65, 129, 17], [33, 300, 19], [129, 1, 33],
];

function activate(z: number, act: Activation): number {
  if (act === "relu") return Math.max(z, 0);
  if (act === "sigmoid") return 1 / (1 + Math.exp(-z));
  if (act === "tanh") return Math.tanh(z);
  if (act === "gelu") return 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
  return z;
}

function reference(x: Float32Array, w: Float32Array, b: Float32Array | null, m: number, k: number, n: number, transposeW: boolean, act: Activation): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = b ? b[j]! : 0;
      for (let p = 0; p < k; p++) s += x[i * k + p]! * (transposeW ? w[j * k + p]! : w[p * n + j]!);
      out[i * n + j] = activate(s, act);
    }
  }
  return out;
}

describe.each(BUILDS)("linear on the %s build", (build) => {
  it.each(SHAPES)("x [%i,%i] · w [%i cols]: every activation, bias or not, w plain or transposed", async (m, k, n) => {
    await useBuild(build);
    tidy(() => {
      const x = randn([m, k], { seed: m * 7 + k });
      const bias = randn([n], { seed: n * 3 + 1 });
      for (const transposeW of [false, true]) {
        const w = randn(transposeW ? [n, k] : [k, n], { seed: k * 11 + n, std: 1 / Math.sqrt(k) });
        for (const activation of ACTIVATIONS) {
          for (const withBias of [true, false]) {
            const got = linear(x, w, withBias ? bias : null, { activation, transposeW }).toFloat32Array();
            const want = reference(x.toFloat32Array(), w.toFloat32Array(), withBias ? bias.toFloat32Array() : null, m, k, n, transposeW, activation);
            expectClose(got, want, 2e-5, 2e-5 * Math.sqrt(k), `${build} linear ${m}×${k}·${n} ${activation} bias=${withBias} transposeW=${transposeW}`);
          }
        }
      }
    });
  });
});

describe.each(BUILDS)("linear keeps the pre-activation on the %s build", (build) => {
  it.each(SHAPES)("x [%i,%i] · w [%i cols]: GELU into out, x·w + b into preActivation, in one call", async (m, k, n) => {
    await useBuild(build);
    tidy(() => {
      const x = randn([m, k], { seed: m + 5 * k });
      const w = randn([k, n], { seed: 3 * k + n, std: 2 / Math.sqrt(k) }); // pre-activations of size ~2: GELU's curved part
      const bias = randn([1, n], { seed: n });
      const pre = zeros([m, n]);
      const got = linear(x, w, bias, { activation: "gelu", preActivation: pre }).toFloat32Array();
      const [xs, ws, bs] = [x.toFloat32Array(), w.toFloat32Array(), bias.toFloat32Array()];
      const z = reference(xs, ws, bs, m, k, n, false, "linear");
      expectClose(pre.toFloat32Array(), z, 2e-6, 2e-6 * Math.sqrt(k), `${build} preActivation ${m}×${k}·${n}`);
      expectClose(got, reference(xs, ws, bs, m, k, n, false, "gelu"), 2e-5, 2e-5 * Math.sqrt(k), `${build} gelu ${m}×${k}·${n}`);
    });
  });
});

/** gelu'(z) in float64 (the derivative of the tanh form that activate() uses). */
function geluGrad(z: number): number {
  const c = Math.sqrt(2 / Math.PI);
  const t = Math.tanh(c * (z + 0.044715 * z ** 3));
  return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z * z);
}

describe.each(BUILDS)("linear keeps GELU's derivative (activationGrad) on the %s build", (build) => {
  it.each(SHAPES)("x [%i,%i] · w [%i cols]: GELU into out, gelu'(x·w + b) into activationGrad, in one call", async (m, k, n) => {
    await useBuild(build);
    tidy(() => {
      const x = randn([m, k], { seed: m + 5 * k });
      const w = randn([k, n], { seed: 3 * k + n, std: 2 / Math.sqrt(k) });
      const bias = randn([1, n], { seed: n });
      const g = zeros([m, n]);
      const got = linear(x, w, bias, { activation: "gelu", activationGrad: g }).toFloat32Array();
      const [xs, ws, bs] = [x.toFloat32Array(), w.toFloat32Array(), bias.toFloat32Array()];
      const z = reference(xs, ws, bs, m, k, n, false, "linear");
      // |gelu''| <= 0.6, so an error e in z moves gelu' by <= 0.6·e, on top of gelu''s own few-ulp error.
      expectClose(g.toFloat32Array(), z.map(geluGrad), 2e-6, 2e-6 * Math.sqrt(k), `${build} activationGrad ${m}×${k}·${n}`);
      expectClose(got, reference(xs, ws, bs, m, k, n, false, "gelu"), 2e-5, 2e-5 * Math.sqrt(k), `${build} gelu ${m}×${k}·${n}`);
    });
  });
});

describe("linear checks its arguments", () => {
  it("names the shapes that do not fit, and refuses an output that overlaps an input", async () => {
    await useBuild("simd");
    tidy(() => {
      const x = randn([4, 6]);
      const w = randn([6, 3]);
      expect(() => linear(x, randn([5, 3]), null)).toThrow(ShapeError);
      expect(() => linear(x, randn([5, 3]), null)).toThrow("linear: x [4,6] × w [5,3]: inner dimensions 6 and 5 differ");
      expect(() => linear(x, w, randn([4]))).toThrow("linear: bias [4] does not match the 3 columns of x·w [4,3] (need [1,3] or [3])");
      expect(() => linear(x, w, null, { activation: "swish" as Activation })).toThrow(ArgumentError);
      expect(() => linear(x, w, null, { activation: "gelu", preActivation: randn([3, 4]) })).toThrow("linear: preActivation [3,4] must be [4,3], the shape of x·w");
      const out = zeros([4, 3]);
      expect(() => linear(x, w, null, { activation: "gelu", out, preActivation: out })).toThrow("linear: preActivation shares memory with out [4,3]");
      expect(() => linear(x, w, null, { activation: "relu", activationGrad: zeros([4, 3]) })).toThrow('linear: activationGrad is for activation "gelu" (got "relu")');
      expect(() => linear(x, w, null, { activation: "gelu", activationGrad: zeros([4, 3]), preActivation: zeros([4, 3]) })).toThrow("linear: pass preActivation or activationGrad, not both");
      expect(() => linear(x, w, null, { activation: "gelu", activationGrad: zeros([3, 4]) })).toThrow("linear: activationGrad [3,4] must be [4,3], the shape of x·w");
      expect(() => linear(x, w, null, { activation: "gelu", out, activationGrad: out })).toThrow("linear: activationGrad shares memory with out [4,3]");
      const square = randn([4, 4]);
      expect(() => linear(square, randn([4, 4]), null, { out: square })).toThrow("linear: out shares memory with x [4,4]; pass a separate output tensor");
      expect(() => matmul(square, square, { out: square })).toThrow("matmul: out shares memory with a [4,4]");
      // The refused calls left the inputs as they were, and a correct call still works.
      const ok = zeros([4, 3]);
      linear(x, w, tensor([1, 2, 3]), { out: ok, activation: "relu" });
      expect(Array.from(ok.toFloat32Array()).every((v) => v >= 0)).toBe(true);
    });
  });
});
