// The LayerNorm *layer* (src/nn/layer-norm.ts) against a float64 LayerNorm on rows whose variance is
// comparable to ε, where the layer's default ε = 1e-5 decides the output. A gradient check cannot see ε
// (any ε gives a consistent forward and backward); this oracle can.

import { beforeAll, describe, expect, it } from "vitest";
import { LayerNorm, init, memory, tensor, tidy } from "../src/index.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { randomFloats } from "./helpers/compare.js";

beforeAll(async () => {
  await init();
});

interface Ref {
  y: Float64Array;
  dx: Float64Array;
  dgamma: Float64Array;
  dbeta: Float64Array;
}

/** y = γ·(x − μ)/√(σ² + ε) + β per row and its backward for dy, in float64, two-pass statistics. */
function layerNormRef(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, dy: ArrayLike<number>, rows: number, cols: number, eps: number): Ref {
  const y = new Float64Array(rows * cols), dx = new Float64Array(rows * cols);
  const dgamma = new Float64Array(cols), dbeta = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mu = 0;
    for (let j = 0; j < cols; j++) mu += x[o + j]!;
    mu /= cols;
    let variance = 0;
    for (let j = 0; j < cols; j++) variance += (x[o + j]! - mu) ** 2;
    variance /= cols;
    const rstd = 1 / Math.sqrt(variance + eps);
    const xhat = Array.from({ length: cols }, (_, j) => (x[o + j]! - mu) * rstd);
    let meanG = 0, meanGx = 0;
    for (let j = 0; j < cols; j++) {
      y[o + j] = gamma[j]! * xhat[j]! + beta[j]!;
      const g = dy[o + j]! * gamma[j]!;
      meanG += g / cols;
      meanGx += (g * xhat[j]!) / cols;
      dgamma[j] += dy[o + j]! * xhat[j]!;
      dbeta[j] += dy[o + j]!;
    }
    for (let j = 0; j < cols; j++) dx[o + j] = rstd * (dy[o + j]! * gamma[j]! - meanG - xhat[j]! * meanGx);
  }
  return { y, dx, dgamma, dbeta };
}

/** max |a − e| / scale over all elements. */
function maxError(a: ArrayLike<number>, e: ArrayLike<number>, scale: number): number {
  let worst = 0;
  for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!) / scale);
  return worst;
}

/**
 * Rows of `cols` values around an offset, with spreads from 1e-3 (σ² = 1e-6 ≪ ε) to 1e-1 (σ² ≫ ε).
 * ε = 1e-5 against 1e-3 (or 1e-6) changes the low-variance rows' outputs by a factor 2–30.
 */
function lowVarianceRows(rows: number, cols: number): Float32Array {
  const spreads = [1e-3, 3e-3, 1e-2, 1e-1];
  const offsets = [0, 1, -0.5];
  const noise = randomFloats(rows * cols, 9);
  return Float32Array.from(noise, (v, i) => offsets[Math.floor(i / cols) % 3]! + spreads[Math.floor(i / cols) % 4]! * v);
}

// Tolerance, measured then set at ~2× the worst over all builds and sizes. The error is dominated by the
// float32 row mean: its rounding (a few ulps of |μ| ≈ 1, growing with cols in the scalar build's sequential
// sum) is divided by √(σ² + ε) ≈ 3.2e-3 on the lowest-variance rows, i.e. amplified ~316×. Measured worst
// (max |error|, dx relative to 1/√ε, dγ and dβ relative to rows): y 7.8e-5 (scalar, 8×65; 2.2e-5 with SIMD),
// dx 1.2e-5, dγ 1.1e-5, dβ 3.2e-8. ε = 1e-3 instead of 1e-5 moves y by ~1, ε = 1e-6 by ~0.5.
const TOL = { y: 1.6e-4, dx: 2.5e-5, dgamma: 2.5e-5, dbeta: 7e-8 };

for (const build of BUILDS) {
  describe(`LayerNorm layer vs float64 with its default ε = 1e-5 (${build} build)`, () => {
    for (const [rows, cols] of [[1, 1], [4, 3], [12, 17], [8, 65]] as const) {
      it(`${rows}×${cols}: forward, input gradient and both parameter gradients`, async () => {
        await useBuild(build);
        const before = memory().numTensors;
        const layer = new LayerNorm(cols);
        layer.gamma.view().set(randomFloats(cols, 3).map((v) => 1 + 0.5 * v));
        layer.beta.view().set(randomFloats(cols, 4).map((v) => 0.1 * v));
        const xData = lowVarianceRows(rows, cols);
        const dyData = randomFloats(rows * cols, 5);
        const ref = layerNormRef(xData, layer.gamma.view(), layer.beta.view(), dyData, rows, cols, 1e-5);
        tidy(() => {
          const x = tensor(xData, [rows, cols]);
          const y = layer.forward(x).toFloat32Array();
          const dx = layer.backward(tensor(dyData, [rows, cols]))!.toFloat32Array();
          const [gamma, beta] = layer.parameters();
          expect(maxError(y, ref.y, 1), "y").toBeLessThanOrEqual(TOL.y);
          // dx scales with rstd ≤ 1/√ε ≈ 316: compare relative to that scale.
          expect(maxError(dx, ref.dx, 1 / Math.sqrt(1e-5)), "dx").toBeLessThanOrEqual(TOL.dx);
          expect(maxError(gamma!.grad.toFloat32Array(), ref.dgamma, rows), "dgamma").toBeLessThanOrEqual(TOL.dgamma);
          expect(maxError(beta!.grad.toFloat32Array(), ref.dbeta, rows), "dbeta").toBeLessThanOrEqual(TOL.dbeta);
        });
        layer.dispose();
        expect(memory().numTensors).toBe(before);
      });
    }

    it("an explicit ε is used instead of the default", async () => {
      await useBuild(build);
      const [rows, cols] = [8, 17];
      const layer = new LayerNorm(cols, { eps: 1e-3 });
      const xData = lowVarianceRows(rows, cols);
      const ones = new Float32Array(cols).fill(1);
      const ref = layerNormRef(xData, ones, new Float32Array(cols), new Float32Array(rows * cols), rows, cols, 1e-3);
      tidy(() => {
        const y = layer.forward(tensor(xData, [rows, cols])).toFloat32Array();
        expect(maxError(y, ref.y, 1)).toBeLessThanOrEqual(TOL.y);
      });
      layer.dispose();
    });
  });
}
