// The bench's float64 references (bench/lib/reference.ts) are the oracle every implementation is timed
// against only if they pass: so they are checked here against independent derivations — finite
// differences of their own forward for the gradients, the float32 plain-JS baselines for the forwards —
// on odd sizes, and the check path is shown to fail a simdnet build that disagrees.

import { describe, expect, it } from "vitest";
import { checkAgainstReference } from "../bench/harness/check.js";
import type { BenchContext } from "../bench/harness/context.js";
import { PlainMLP } from "../bench/lib/plain-mlp.js";
import { attentionJS, softmaxJS } from "../bench/lib/plain.js";
import { adamFirstStepRef, attentionBackwardRef, attentionRef, mhaRef, mlpStepRef, softmaxRef } from "../bench/lib/reference.js";

/** Deterministic values in [−1, 1) (no simdnet: the references must not lean on what they judge). */
function values(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe("bench float64 references", () => {
  it("softmaxRef matches the float32 baseline to float32 rounding, rows sum to 1", () => {
    for (const [rows, cols] of [[1, 1], [3, 17], [5, 65]] as const) {
      const x = Float32Array.from(values(rows * cols, rows + cols), (v) => 4 * v);
      const ref = softmaxRef(x, rows, cols);
      const f32 = new Float32Array(rows * cols);
      softmaxJS(x, f32, rows, cols);
      expect(maxAbsDiff(ref, f32)).toBeLessThan(2e-7);
      for (let r = 0; r < rows; r++) expect(Math.abs(ref.subarray(r * cols, (r + 1) * cols).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-14);
    }
  });

  it("attentionRef matches the float32 baseline (causal and full) on odd sizes", () => {
    for (const [h, T, d] of [[1, 1, 1], [3, 17, 5], [2, 33, 7]] as const) {
      const n = h * T * d;
      const [q, k, v] = [1, 2, 3].map((s) => Float32Array.from(values(n, 10 * s + T))) as [Float32Array, Float32Array, Float32Array];
      for (const causal of [true, false]) {
        const out = new Float32Array(n);
        attentionJS(q, k, v, out, h, T, d, causal, new Float32Array(T));
        expect(maxAbsDiff(attentionRef(q, k, v, h, T, d, causal), out)).toBeLessThan(1e-6);
      }
    }
  });

  it("attentionBackwardRef equals central differences of attentionRef", () => {
    const [h, T, d] = [2, 5, 3];
    const n = h * T * d;
    const [q, k, v, dout] = [1, 2, 3, 4].map((s) => values(n, 7 * s)) as [Float64Array, Float64Array, Float64Array, Float64Array];
    const grads = attentionBackwardRef(q, k, v, dout, h, T, d, true);
    // L = Σ dout ⊙ attention(q, k, v): its gradient is what the backward returns. float64 central
    // differences with step 1e-5 are exact to ≈ 1e-10 here (truncation h², rounding ε/h).
    const loss = (): number => attentionRef(q, k, v, h, T, d, true).reduce((s, o, i) => s + o * dout[i]!, 0);
    [q, k, v].forEach((x, which) => {
      for (let i = 0; i < n; i++) {
        const keep = x[i]!;
        x[i] = keep + 1e-5;
        const up = loss();
        x[i] = keep - 1e-5;
        const down = loss();
        x[i] = keep;
        expect(Math.abs(grads[which * n + i]! - (up - down) / 2e-5)).toBeLessThan(1e-8);
      }
    });
  });

  it("mhaRef is the projections, attentionRef per head and W_o (T = 3, d = 4, h = 2 by hand)", () => {
    const [T, d, h] = [3, 4, 2];
    const x = values(T * d, 1);
    const eye = Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0));
    // With identity projections the heads read x's columns directly: head hh = columns hh·2, hh·2 + 1.
    const got = mhaRef(x, eye, eye, eye, eye, T, d, h);
    const heads = new Float64Array(T * d);
    for (let t = 0; t < T; t++) for (let hh = 0; hh < h; hh++) for (let c = 0; c < 2; c++) heads[(hh * T + t) * 2 + c] = x[t * d + hh * 2 + c]!;
    const att = attentionRef(heads, heads, heads, h, T, 2, true);
    for (let t = 0; t < T; t++) for (let hh = 0; hh < h; hh++) for (let c = 0; c < 2; c++) expect(got[t * d + hh * 2 + c]).toBeCloseTo(att[(hh * T + t) * 2 + c]!, 14);
  });

  it("mlpStepRef: gradients equal central differences of its loss; the step matches the float32 baseline", () => {
    const sizes = [5, 4, 3];
    const rows = 3;
    const weights = [values(20, 1), values(12, 2)];
    const biases = [values(4, 3), values(3, 4)];
    const x = values(15, 5);
    const y = values(9, 6);
    const o = { outputActivation: "linear", loss: "mse" } as const;
    const ref = mlpStepRef(sizes, weights, biases, x, y, rows, 0.1, o);
    weights.forEach((wl, l) => {
      for (let i = 0; i < wl.length; i++) {
        const keep = wl[i]!;
        wl[i] = keep + 1e-6;
        const up = mlpStepRef(sizes, weights, biases, x, y, rows, 0, o).loss;
        wl[i] = keep - 1e-6;
        const down = mlpStepRef(sizes, weights, biases, x, y, rows, 0, o).loss;
        wl[i] = keep;
        expect(Math.abs(ref.gradWeights[l]![i]! - (up - down) / 2e-6)).toBeLessThan(1e-8);
      }
    });
    const plain = new PlainMLP(sizes, weights.map((w) => Float32Array.from(w)), biases.map((b) => Float32Array.from(b)), o);
    const loss = plain.step(Float32Array.from(x), Float32Array.from(y), rows, 0.1);
    expect(Math.abs(loss - ref.loss)).toBeLessThan(1e-6);
    plain.weights.forEach((w, l) => expect(maxAbsDiff(w, ref.weights[l]!)).toBeLessThan(1e-6));
  });

  it("mlpStepRef cross-entropy: the loss by hand on one row, every gradient equal to central differences", () => {
    // One row, logits a = x·W (no hidden layer, zero bias): loss = −log softmax(a)[label].
    const one = mlpStepRef([2, 3], [Float64Array.of(1, 0, -1, 0, 2, 1)], [new Float64Array(3)], Float64Array.of(1, 1), Float64Array.of(0, 1, 0), 1, 0, { outputActivation: "linear", loss: "cross-entropy" });
    const a = [1, 2, 0];
    expect(one.loss).toBeCloseTo(-(2 - Math.log(a.reduce((s, v) => s + Math.exp(v), 0))), 14);
    const sizes = [5, 4, 3];
    const rows = 3;
    const weights = [values(20, 11), values(12, 12)];
    const biases = [values(4, 13), values(3, 14)];
    const x = values(15, 15);
    // Soft and one-hot target rows.
    const y = Float64Array.of(0, 1, 0, 0.25, 0.25, 0.5, 1, 0, 0);
    const o = { outputActivation: "linear", loss: "cross-entropy" } as const;
    const ref = mlpStepRef(sizes, weights, biases, x, y, rows, 0, o);
    [...weights, ...biases].forEach((t, k) => {
      const want = k < 2 ? ref.gradWeights[k]! : ref.gradBiases[k - 2]!;
      for (let i = 0; i < t.length; i++) {
        const keep = t[i]!;
        t[i] = keep + 1e-6;
        const up = mlpStepRef(sizes, weights, biases, x, y, rows, 0, o).loss;
        t[i] = keep - 1e-6;
        const down = mlpStepRef(sizes, weights, biases, x, y, rows, 0, o).loss;
        t[i] = keep;
        expect(Math.abs(want[i]! - (up - down) / 2e-6)).toBeLessThan(1e-8);
      }
    });
  });

  it("adamFirstStepRef: the first step from zero moments is lr·g/(|g| + eps) (bias corrections undo 1 − β), plus decoupled decay", () => {
    const h = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
    const p = Float64Array.of(0.5, -0.25, 1, 0);
    const g = Float64Array.of(0.1, -2, 1e-9, 0);
    const out = adamFirstStepRef(p, g, 1e-3, h);
    p.forEach((v, i) => expect(out[i]).toBeCloseTo(v - (1e-3 * g[i]!) / (Math.abs(g[i]!) + 1e-8), 15));
    const decayed = adamFirstStepRef(p, g, 1e-3, { ...h, weightDecay: 0.1 });
    p.forEach((v, i) => expect(decayed[i]! - out[i]!).toBeCloseTo(-1e-3 * 0.1 * v, 15));
  });

  it("mlpStepRef propagate \"updated\" sends dL/dx through the updated weights (layer 0's gradient changes)", () => {
    const sizes = [2, 2, 1];
    const weights = [Float64Array.of(1, 0, 0, 1), Float64Array.of(1, 1)];
    const biases = [new Float64Array(2), new Float64Array(1)];
    const x = Float64Array.of(1, 1);
    const y = Float64Array.of(0);
    const o = { outputActivation: "linear", loss: "mse" } as const;
    // a = 2, dL/da = 2·2 = 4, dW1 = h·4 = [4, 4]; W1 after lr 0.1 = [0.6, 0.6]; dx into layer 0 = 4·W1.
    const pre = mlpStepRef(sizes, weights, biases, x, y, 1, 0.1, o);
    const updated = mlpStepRef(sizes, weights, biases, x, y, 1, 0.1, { ...o, propagate: "updated" });
    expect(Array.from(pre.gradBiases[0]!)).toEqual([4, 4]);
    expect(Array.from(updated.gradBiases[0]!).map((v) => +v.toFixed(12))).toEqual([2.4, 2.4]);
  });
});

describe("bench check path", () => {
  it("fails a simdnet build that disagrees with the reference, and passes one within tolerance", () => {
    const ctx = { references: new Map(), checks: [], simdnetFailures: [] } as unknown as BenchContext;
    ctx.references.set("w", { values: Float64Array.of(1, 2, 3), tol: 1e-6, name: "float64 plain JS" });
    expect(checkAgainstReference(ctx, "w", "simdnet SIMD", "simd", Float32Array.of(1, 2, 3)).ok).toBe(true);
    const bad = checkAgainstReference(ctx, "w", "simdnet relaxed", "relaxed", Float32Array.of(1, 2, 3.001));
    expect(bad.ok).toBe(false);
    expect(bad.err).toBeCloseTo(0.001 / 3, 6); // 3.001 rounded to float32
    expect(ctx.simdnetFailures).toHaveLength(1);
    expect(ctx.simdnetFailures[0]).toContain("simdnet relaxed");
    // A peer that disagrees is dropped, but it is not simdnet's failure.
    expect(checkAgainstReference(ctx, "w", "tfjs-wasm", "peer", Float32Array.of(0, 0, 0)).ok).toBe(false);
    expect(ctx.simdnetFailures).toHaveLength(1);
    // A workload without a reference cannot pass.
    expect(checkAgainstReference(ctx, "unknown", "simdnet SIMD", "simd", Float32Array.of(1)).ok).toBe(false);
  });
});
