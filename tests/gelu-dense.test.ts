// GELU as a Dense activation (the GEMM epilogue keeps the pre-activation for the backward pass) and
// FeedForward as Dense(gelu) → Dense: against float64 references on odd sizes on every build, against
// central differences of a float64 FeedForward, and bit for bit against the unfused ops.

import { describe, expect, it } from "vitest";
import { ArgumentError, Dense, FeedForward, ShapeError, gelu, linear, memory, mul, tensor, tidy } from "../src/index.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { expectClose, randomFloats } from "./helpers/compare.js";

const C = Math.sqrt(2 / Math.PI);
const gelu64 = (z: number) => 0.5 * z * (1 + Math.tanh(C * (z + 0.044715 * z ** 3)));
const geluGrad64 = (z: number) => {
  const t = Math.tanh(C * (z + 0.044715 * z ** 3));
  return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * C * (1 + 3 * 0.044715 * z * z);
};

/** z = x·W + b in float64, [rows, n]. */
function affine(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, rows: number, k: number, n: number): Float64Array {
  const z = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) {
    let s = b[j]!;
    for (let p = 0; p < k; p++) s += x[r * k + p]! * w[p * n + j]!;
    z[r * n + j] = s;
  }
  return z;
}

/** Float64 gradients of L = Σ gelu(x·W + b) ⊙ R. */
function denseGeluGrads(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, r: ArrayLike<number>, rows: number, k: number, n: number) {
  const z = affine(x, w, b, rows, k, n);
  const dz = z.map((v, i) => r[i]! * geluGrad64(v));
  const dw = new Float64Array(k * n);
  const db = new Float64Array(n);
  const dx = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) {
    const g = dz[i * n + j]!;
    db[j] += g;
    for (let p = 0; p < k; p++) {
      dw[p * n + j] += x[i * k + p]! * g;
      dx[i * k + p] += g * w[p * n + j]!;
    }
  }
  return { out: z.map(gelu64), dw, db, dx };
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe.each(BUILDS)("Dense with a GELU epilogue on the %s build", (build) => {
  it.each([[1, 1, 1], [3, 17, 5], [17, 65, 3], [65, 129, 17]])("rows %i, %i → %i: forward and every gradient against float64", async (rows, k, n) => {
    await useBuild(build);
    const layer = new Dense(k, n, { activation: "gelu", seed: rows + k });
    // Weights that put the pre-activations in GELU's curved region (|z| ~ 2), not its linear tails.
    const w = randomFloats(k * n, 3).map((v) => (v * 3.4) / Math.sqrt(k));
    const b = randomFloats(n, 4).map((v) => v * 0.5);
    layer.weights = w;
    layer.bias = b;
    const xs = randomFloats(rows * k, 5);
    const rs = randomFloats(rows * n, 6);
    const want = denseGeluGrads(xs, w, b, rs, rows, k, n);
    tidy(() => {
      const x = tensor(xs, [rows, k]);
      const got = layer.forward(x).toFloat32Array();
      // The GEMM's float32 sums (~√k ulps) and GELU's few-1e-7 relative error; measured errors are 1/2–1/3 of these bounds.
      expectClose(got, want.out, 3e-7, 1e-7 * Math.sqrt(k) * maxAbs(want.out), `${build} forward`);
      const dx = layer.backward(tensor(rs, [rows, n]))!.toFloat32Array();
      const [gw, gb] = layer.parameters().map((p) => p.grad.toFloat32Array());
      expectClose(gw!, want.dw, 0, 4e-7 * Math.sqrt(rows) * maxAbs(want.dw), `${build} dW`);
      expectClose(gb!, want.db, 0, 4e-7 * Math.sqrt(rows) * maxAbs(want.db), `${build} db`);
      expectClose(dx, want.dx, 0, 4e-7 * Math.sqrt(n) * maxAbs(want.dx), `${build} dx`);
    });
    layer.dispose();
  });
});

describe("FeedForward = Dense(gelu) → Dense", () => {
  it("gives the same bits as the unfused ops (linear, then gelu, then linear)", async () => {
    for (const build of BUILDS) {
      await useBuild(build);
      const ff = new FeedForward(9, { seed: 4 });
      tidy(() => {
        const x = tensor(randomFloats(13 * 9, 1), [13, 9]);
        const [w1, b1, w2, b2] = ff.parameters().map((p) => p.value);
        const unfused = linear(gelu(linear(x, w1!, b1!)), w2!, b2!).toFloat32Array();
        expect(ff.forward(x).toFloat32Array(), build).toEqual(unfused);
      });
      ff.dispose();
    }
  });

  it("backward (proj's dx GEMM multiplying by gelu' in its epilogue) gives the bits of the unfused Dense backwards", async () => {
    for (const build of BUILDS) {
      await useBuild(build);
      const fused = new FeedForward(9, { seed: 4 });
      const plain = new FeedForward(9, { seed: 4 });
      tidy(() => {
        const x = tensor(randomFloats(13 * 9, 1), [13, 9]);
        const dy = tensor(randomFloats(13 * 9, 2), [13, 9]);
        fused.forward(x);
        plain.forward(x);
        const dxFused = fused.backward(dy)!.toFloat32Array();
        const dxPlain = plain.fc.backward(plain.proj.backward(dy)!)!.toFloat32Array();
        expect(dxFused, `${build} dx`).toEqual(dxPlain);
        const grads = (ff: FeedForward) => ff.parameters().map((p) => Array.from(p.grad.toFloat32Array()));
        expect(grads(fused), `${build} parameter gradients`).toEqual(grads(plain));
      });
      fused.dispose();
      plain.dispose();
    }
  });

  it("linear(…, { multiplyBy }) is (x·w + bias) ⊙ multiplyBy with mul()'s bits, and refuses what it cannot do", async () => {
    for (const build of BUILDS) {
      await useBuild(build);
      tidy(() => {
        for (const [m, k, n] of [[1, 3, 5], [17, 9, 33], [65, 17, 3]] as const) {
          const x = tensor(randomFloats(m * k, 1), [m, k]);
          const w = tensor(randomFloats(n * k, 2), [n, k]);
          const b = tensor(randomFloats(n, 3), [1, n]);
          const g = tensor(randomFloats(m * n, 4), [m, n]);
          const want = mul(linear(x, w, b, { transposeW: true }), g).toFloat32Array();
          expect(linear(x, w, b, { transposeW: true, multiplyBy: g }).toFloat32Array(), `${build} ${m}×${k}×${n}`).toEqual(want);
        }
      });
    }
    const x = tensor(randomFloats(6, 1), [2, 3]);
    const w = tensor(randomFloats(12, 2), [3, 4]);
    const g = tensor(randomFloats(8, 3), [2, 4]);
    const before = memory().numTensors;
    expect(() => linear(x, w, null, { activation: "gelu", multiplyBy: g })).toThrow(ArgumentError);
    expect(() => linear(x, w, null, { multiplyBy: g, preActivation: tensor(new Float32Array(8), [2, 4]) })).toThrow(/not both/);
    expect(() => linear(x, w, null, { multiplyBy: tensor(new Float32Array(6), [2, 3]) })).toThrow(ShapeError);
    expect(() => linear(x, w, null, { multiplyBy: g, out: g })).toThrow(/multiplyBy shares memory with out/);
    expect(memory().numTensors).toBe(before + 2); // the two tensors made for the calls above, nothing else
  });

  it("backward matches central differences of a float64 FeedForward (d 5, hidden 17, 7 rows)", async () => {
    await useBuild("simd");
    const [d, hidden, rows] = [5, 17, 7];
    const ff = new FeedForward(d, { hidden, seed: 9 });
    const [w1, b1, w2, b2] = ff.parameters().map((p) => Float64Array.from(p.value.toFloat32Array()));
    // Larger first-layer weights than the initialisation, so many hidden units sit in GELU's curve.
    const w1s = randomFloats(d * hidden, 21).map((v) => v * 2);
    ff.fc.weights = w1s;
    w1!.set(w1s);
    const xs = Float64Array.from(randomFloats(rows * d, 22));
    const rs = Float64Array.from(randomFloats(rows * d, 23));
    const loss = () => {
      const h = affine(xs, w1!, b1!, rows, d, hidden).map(gelu64);
      return affine(h, w2!, b2!, rows, hidden, d).reduce((s, v, i) => s + v * rs[i]!, 0);
    };
    const eps = 1e-6;
    const numeric = (v: Float64Array) => v.map((x0, i) => {
      v[i] = x0 + eps;
      const up = loss();
      v[i] = x0 - eps;
      const down = loss();
      v[i] = x0;
      return (up - down) / (2 * eps);
    });
    tidy(() => {
      ff.forward(tensor(Float32Array.from(xs), [rows, d]));
      const dx = ff.backward(tensor(Float32Array.from(rs), [rows, d]))!.toFloat32Array();
      const grads = ff.parameters().map((p) => p.grad.toFloat32Array());
      const named: [string, ArrayLike<number>, Float64Array][] = [
        ["dx", dx, numeric(xs)], ["fc.dW", grads[0]!, numeric(w1!)], ["fc.db", grads[1]!, numeric(b1!)],
        ["proj.dW", grads[2]!, numeric(w2!)], ["proj.db", grads[3]!, numeric(b2!)],
      ];
      for (const [what, got, want] of named) {
        expect(maxAbs(want), `${what} is not all zero`).toBeGreaterThan(1e-2);
        expectClose(got, want, 0, 5e-7 * maxAbs(want), `FeedForward ${what}`);
      }
    });
    ff.dispose();
  });

  it("allocates nothing after the first step", async () => {
    await useBuild("simd");
    const ff = new FeedForward(8, { seed: 1 });
    const x = tensor(randomFloats(6 * 8, 2), [6, 8]);
    const dy = tensor(randomFloats(6 * 8, 3), [6, 8]);
    ff.forward(x);
    ff.backward(dy);
    const after = memory();
    ff.forward(x);
    ff.backward(dy);
    expect(memory()).toEqual(after);
    x.dispose();
    dy.dispose();
    ff.dispose();
  });
});
