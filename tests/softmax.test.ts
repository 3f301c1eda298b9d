import { describe, expect, it } from "vitest";
import { ArgumentError, ShapeError, logSoftmax, softmax, softmaxBackward, tensor, tidy } from "../src/index.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { expectClose, randomFloats } from "./helpers/compare.js";
import { EDGE_SIZES } from "./helpers/shapes.js";
import { softmaxRef } from "./helpers/reference.js";

/**
 * softmax / logSoftmax against float64 with a per-element bound instead of a blanket 2e-6. The kernel's
 * argument z = x/T − max is formed in float32, which is an input error of ≤ 2^-24·(|x/T| + |z|) absolute in z,
 * i.e. relative in e^z (80 × 6e-8 = 4.8e-6 for an entry 80 below the row max: no fixed relative bound is both
 * tight and true). On top of that come exp (≤ 2.5e-7), the row sum and 1/Σ: `rounding`, set at ~2× the
 * measured residual (3.8e-7 softmax, 2.2e-7 logSoftmax on rows up to 129; see the call sites for long rows).
 * Entries below FLT_MIN may flush to 0; masked entries must be exactly 0 / −Infinity.
 */
function expectSoftmaxClose(got: Float32Array, x: ArrayLike<number>, rows: number, cols: number, temperature: number, causal: boolean, log: boolean, rounding: number, what: string): void {
  const want = softmaxRef(x, rows, cols, temperature, causal, log);
  for (let r = 0; r < rows; r++) {
    const visible = causal ? Math.min(cols, r + cols - rows + 1) : cols;
    let max = -Infinity;
    for (let j = 0; j < visible; j++) max = Math.max(max, x[r * cols + j]! / temperature);
    for (let j = 0; j < cols; j++) {
      const i = r * cols + j;
      if (j >= visible) {
        expect(got[i], `${what}: masked [${r},${j}]`).toBe(want[i]);
        continue;
      }
      const xt = x[i]! / temperature;
      const argument = 2 ** -24 * (Math.abs(xt) + Math.abs(xt - max));
      const bound = log ? argument + 2 ** -24 * Math.abs(want[i]!) + rounding : want[i]! * (argument + rounding) + 1.2e-38;
      const err = Math.abs(got[i]! - want[i]!);
      if (!(err <= bound)) throw new Error(`${what}: [${r},${j}] is ${got[i]}, float64 ${want[i]} (|diff| ${err.toExponential(2)} > bound ${bound.toExponential(2)})`);
    }
  }
}

// Rows of 1027–4099 entries: the scalar build's sequential f32 row sum adds up to 1.1e-6 (measured, 5×4099).
const LONG_ROW_ROUNDING = 2e-6;

describe.each(BUILDS)("softmax on the %s build", (build) => {
  it("matches float64 over edge row lengths, with temperatures and the causal mask", async () => {
    await useBuild(build);
    for (const cols of EDGE_SIZES) {
      for (const rows of [1, 3, cols]) {
        for (const temperature of [1, 0.5, 3]) {
          for (const causal of [false, true]) {
            tidy(() => {
              const x = randomFloats(rows * cols, rows * 1000 + cols).map((v) => v * 10);
              const t = tensor(x, [rows, cols]);
              const what = `${rows}x${cols} T=${temperature} causal=${causal}`;
              const y = softmax(t, { temperature, causal }).toFloat32Array();
              expectSoftmaxClose(y, x, rows, cols, temperature, causal, false, 7.5e-7, `softmax ${what}`);
              const ly = logSoftmax(t, { temperature, causal }).toFloat32Array();
              expectSoftmaxClose(ly, x, rows, cols, temperature, causal, true, 4.5e-7, `logSoftmax ${what}`);
            });
          }
        }
      }
    }
  });

  it("rows sum to 1 and the causal mask zeroes the future exactly", async () => {
    await useBuild(build);
    tidy(() => {
      const n = 33;
      const y = softmax(tensor(randomFloats(n * n, 5), [n, n]), { causal: true }).toFloat32Array();
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) {
          const p = y[i * n + j]!;
          if (j > i) expect(p).toBe(0);
          else expect(p).toBeGreaterThan(0);
          s += p;
        }
        expect(Math.abs(s - 1)).toBeLessThan(1e-6);
      }
    });
  });

  it("the causal mask over [h, T, T] restarts per matrix, and Tq < Tk follows the KV-cache rule", async () => {
    await useBuild(build);
    tidy(() => {
      const [h, t] = [3, 5];
      const x = randomFloats(h * t * t, 9);
      const y = softmax(tensor(x, [h, t, t]), { causal: true }).toFloat32Array();
      for (let k = 0; k < h; k++) {
        const part = x.subarray(k * t * t, (k + 1) * t * t);
        expectClose(y.subarray(k * t * t, (k + 1) * t * t), softmaxRef(part, t, t, 1, true), 2e-6, 1e-7, `head ${k}`);
      }
      // Two query rows over five keys: row 0 sees keys 0..3, row 1 sees 0..4.
      const z = softmax(tensor(randomFloats(10, 3), [2, 5]), { causal: true }).toArray() as number[][];
      expect(z[0]![4]).toBe(0);
      expect(z[0]![3]).toBeGreaterThan(0);
      expect(z[1]![4]).toBeGreaterThan(0);
    });
  });

  it("temperature → 0 approaches argmax; large temperature approaches uniform", async () => {
    await useBuild(build);
    tidy(() => {
      const logits = tensor([2, 4, 5, 1]);
      const cold = softmax(logits, { temperature: 0.01 }).toFloat32Array();
      expect(cold[2]).toBeGreaterThan(0.9999);
      const hot = softmax(logits, { temperature: 1e4 }).toFloat32Array();
      for (const p of hot) expect(Math.abs(p - 0.25)).toBeLessThan(1e-3);
      // The tutorial's example: softmax([2, 4, 5]) = [0.03511903, 0.25949646, 0.70538451].
      expectClose(softmax(tensor([2, 4, 5])).toFloat32Array(), [0.03511903, 0.25949646, 0.70538451], 1e-6, 1e-8, "tutorial");
    });
  });

  it("long rows (the 16-wide exp loop, the 4-wide loop and the 1–3 column tail) match float64 with and without the flush", async () => {
    await useBuild(build);
    // spread 6: every exponent within 87 of the row max (the exp path without the underflow flush); spread 60
    // with temperature 0.25: many entries underflow to exactly 0 (the flushing path). Rows of 1027 and 4099
    // columns cover the pipelined normalize / next-row max loop and its remainders, causal or not.
    for (const [cols, spread, temperature] of [[1027, 6, 1], [4099, 6, 0.7], [1027, 60, 0.25], [1030, 60, 1]] as const) {
      for (const causal of [false, true]) {
        tidy(() => {
          const rows = 5;
          const x = randomFloats(rows * cols, cols + spread).map((v) => v * spread);
          const t = tensor(x, [rows, cols]);
          const what = `${rows}x${cols} spread=${spread} T=${temperature} causal=${causal}`;
          const y = softmax(t, { temperature, causal }).toFloat32Array();
          expectSoftmaxClose(y, x, rows, cols, temperature, causal, false, LONG_ROW_ROUNDING, `softmax ${what}`);
          const ly = logSoftmax(t, { temperature, causal }).toFloat32Array();
          expectSoftmaxClose(ly, x, rows, cols, temperature, causal, true, LONG_ROW_ROUNDING, `logSoftmax ${what}`);
        });
      }
    }
  });

  it("a NaN anywhere in a visible row gives a NaN row, also among −Infinity; other rows are unaffected", async () => {
    await useBuild(build);
    tidy(() => {
      const cols = 37;
      const x = randomFloats(4 * cols, 11).map((v) => v * 3);
      x[cols + 20] = Number.NaN; // row 1: NaN among finite values
      for (let j = 0; j < cols; j++) x[2 * cols + j] = -Infinity;
      x[2 * cols + 36] = Number.NaN; // row 2: NaN among −Infinity (the row max alone would look empty)
      const y = softmax(tensor(x, [4, cols])).toFloat32Array();
      const ly = logSoftmax(tensor(x, [4, cols])).toFloat32Array();
      for (let j = 0; j < cols; j++) {
        for (const r of [1, 2]) {
          expect(Number.isNaN(y[r * cols + j]!)).toBe(true);
          expect(Number.isNaN(ly[r * cols + j]!)).toBe(true);
        }
      }
      for (const r of [0, 3]) {
        const part = x.subarray(r * cols, (r + 1) * cols);
        expectClose(y.subarray(r * cols, (r + 1) * cols), softmaxRef(part, 1, cols, 1, false), 2e-6, 1e-37, `row ${r}`);
      }
    });
  });

  it("is stable for huge logits and for −Infinity entries", async () => {
    await useBuild(build);
    tidy(() => {
      expectClose(softmax(tensor([1e30, 1e30, -1e30])).toFloat32Array(), [0.5, 0.5, 0], 1e-6, 0, "huge");
      expectClose(softmax(tensor([-Infinity, 0, 0])).toFloat32Array(), [0, 0.5, 0.5], 1e-6, 0, "-inf");
      expect(Array.from(logSoftmax(tensor([-Infinity, 0])).toFloat32Array())).toEqual([-Infinity, 0]);
    });
  });
});

describe("softmax errors", () => {
  it("reject a bad temperature or a causal vector, naming the op", async () => {
    await useBuild("simd");
    tidy(() => {
      const x = tensor([1, 2, 3]);
      expect(() => softmax(x, { temperature: 0 })).toThrow(ArgumentError);
      expect(() => softmax(x, { temperature: -1 })).toThrow("softmax: temperature must be a finite number > 0, got -1");
      expect(() => softmax(x, { temperature: Number.NaN })).toThrow(ArgumentError);
      expect(() => softmax(x, { causal: true })).toThrow(ShapeError);
      expect(() => logSoftmax(tensor(1))).toThrow("logSoftmax: needs at least one axis, got a scalar");
    });
  });
});

describe.each(BUILDS)("softmaxBackward on the %s build", (build) => {
  it("matches the float64 Jacobian-vector product y ⊙ (dy − Σ dy·y) over edge row lengths", async () => {
    await useBuild(build);
    for (const cols of EDGE_SIZES) {
      for (const rows of [1, 3]) {
        tidy(() => {
          const x = randomFloats(rows * cols, 7 * cols + rows).map((v) => v * 4);
          const dy = randomFloats(rows * cols, 11 * cols + rows);
          const y64 = softmaxRef(x, rows, cols, 1, false);
          const y = softmax(tensor(x, [rows, cols]));
          const dx = softmaxBackward(y, tensor(dy, [rows, cols])).toFloat32Array();
          // float64 oracle from the float64 probabilities: dx_j = y_j (dy_j − Σ_k dy_k y_k)
          const want = new Float64Array(rows * cols);
          for (let i = 0; i < rows; i++) {
            let s = 0;
            for (let k = 0; k < cols; k++) s += dy[i * cols + k]! * y64[i * cols + k]!;
            for (let j = 0; j < cols; j++) want[i * cols + j] = y64[i * cols + j]! * (dy[i * cols + j]! - s);
          }
          // y carries softmax's ~2 ulp relative error and the row dot product sums cols roundings.
          expectClose(dx, want, 1e-5, 1e-6, `softmaxBackward ${rows}x${cols}`);
        });
      }
    }
  });

  it("refuses mismatched shapes and an out that overlaps an input", async () => {
    await useBuild(build);
    tidy(() => {
      const y = softmax(tensor(randomFloats(6, 1), [2, 3]));
      expect(() => softmaxBackward(y, tensor(randomFloats(6, 2), [3, 2]))).toThrow(ShapeError);
      const dy = tensor(randomFloats(6, 3), [2, 3]);
      expect(() => softmaxBackward(y, dy, { out: dy })).toThrow(ArgumentError);
    });
  });
});
