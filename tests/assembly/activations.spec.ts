import {
  relu_f32, relu_backward_f32, sigmoid_f32, sigmoid_backward_f32, tanh_backward_f32,
  bias_relu_f32, bias_sigmoid_f32,
} from "../../assembly/activations";
import { patternBuffer, zerosBuffer, ptr } from "./helpers/buffers";

const SIZES: i32[] = [0, 1, 2, 3, 4, 5, 7, 8, 17, 33, 65, 129];

function sigmoid64(x: f64): f64 {
  return 1.0 / (1.0 + Math.exp(-x));
}

/** True when got is within rel·|want| + abs of want (f64 reference). */
function near(got: f32, want: f64, rel: f64, abs: f64): bool {
  return Math.abs(<f64>got - want) <= rel * Math.abs(want) + abs;
}

describe("relu", () => {
  it("computes a hand example, keeps NaN visible", () => {
    const x = new StaticArray<f32>(6), out = new StaticArray<f32>(6);
    x[0] = -2; x[1] = -0.5; x[2] = 0; x[3] = 0.5; x[4] = 3; x[5] = NaN;
    relu_f32(6, ptr(x), ptr(out));
    expect<f32>(out[0]).toBe(0);
    expect<f32>(out[1]).toBe(0);
    expect<f32>(out[2]).toBe(0);
    expect<f32>(out[3]).toBe(0.5);
    expect<f32>(out[4]).toBe(3);
    expect<bool>(isNaN(out[5])).toBe(true);
  });
  it("matches max(x, 0) on ragged sizes, in place, writing exactly n values", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = patternBuffer(n + 1, s), out = zerosBuffer(n + 1);
      out[n] = 42;
      relu_f32(n, ptr(x), ptr(out));
      for (let i = 0; i < n; i++) expect<f32>(out[i]).toBe(x[i] > 0 ? x[i] : 0);
      expect<f32>(out[n]).toBe(42);
      relu_f32(n, ptr(x), ptr(x));
      for (let i = 0; i < n; i++) expect<f32>(x[i]).toBe(out[i]);
    }
  });
  it("backward passes dy where the saved output is positive (dx may equal dy)", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const y = patternBuffer(n, s + 1), dy = patternBuffer(n, s + 2), dx = zerosBuffer(n);
      relu_f32(n, ptr(y), ptr(y)); // a real relu output: zeros and positives
      relu_backward_f32(n, ptr(y), ptr(dy), ptr(dx));
      for (let i = 0; i < n; i++) expect<f32>(dx[i]).toBe(y[i] > 0 ? dy[i] : 0);
      relu_backward_f32(n, ptr(y), ptr(dy), ptr(dy));
      for (let i = 0; i < n; i++) expect<f32>(dy[i]).toBe(dx[i]);
    }
  });
});

describe("sigmoid", () => {
  it("computes hand values and saturates without NaN", () => {
    const x = new StaticArray<f32>(11), out = new StaticArray<f32>(11);
    x[0] = 0; x[1] = 100; x[2] = -100; x[3] = 1e30; x[4] = -1e30; x[5] = Infinity; x[6] = -Infinity;
    x[7] = -50; x[8] = 20; x[9] = NaN; x[10] = -3.4e38;
    sigmoid_f32(11, ptr(x), ptr(out));
    expect<f32>(out[0]).toBe(0.5);
    expect<f32>(out[1]).toBe(1);
    expect<bool>(out[2] >= 0 && out[2] < 1e-43).toBe(true);
    expect<f32>(out[3]).toBe(1);
    expect<f32>(out[4]).toBe(0);
    expect<f32>(out[5]).toBe(1);
    expect<f32>(out[6]).toBe(0);
    expect<bool>(near(out[7], sigmoid64(-50), 5e-7, 0)).toBe(true); // 1.9e-22: the negative branch keeps relative accuracy
    expect<f32>(out[8]).toBe(1);
    expect<bool>(isNaN(out[9])).toBe(true);
    expect<f32>(out[10]).toBe(0);
  });
  // 5e-7: sigmoid inherits the non-positive exp's 2.5e-7 plus an add and a division; measured 2.23e-7 (SIMD),
  // 1.85e-7 (relaxed), so the bound is ~2× the error.
  it("matches 1/(1 + e^-x) in f64 to 5e-7 relative over [-80, 80], vector and tail paths alike", () => {
    const n = 4099; // 1024 vectors and a 3-element tail
    const x = new StaticArray<f32>(n), out = new StaticArray<f32>(n);
    let worst: f64 = 0;
    for (let i = 0; i < n; i++) x[i] = <f32>(-80.0 + 160.0 * <f64>i / <f64>(n - 1));
    sigmoid_f32(n, ptr(x), ptr(out));
    for (let i = 0; i < n; i++) {
      const want = sigmoid64(<f64>x[i]);
      worst = Math.max(worst, Math.abs(<f64>out[i] - want) / want);
    }
    log<string>("sigmoid max relative error: " + worst.toString());
    expect<bool>(worst < 5e-7).toBe(true);
  });
  it("works in place on ragged sizes", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = patternBuffer(n, s), out = zerosBuffer(n);
      sigmoid_f32(n, ptr(x), ptr(out));
      for (let i = 0; i < n; i++) expect<bool>(near(out[i], sigmoid64(<f64>x[i]), 5e-7, 0)).toBe(true);
      sigmoid_f32(n, ptr(x), ptr(x));
      for (let i = 0; i < n; i++) expect<f32>(x[i]).toBe(out[i]);
    }
  });
  it("backward gives dy·y·(1 − y) (dx may equal dy)", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const y = patternBuffer(n, s), dy = patternBuffer(n, s + 5), dx = zerosBuffer(n);
      sigmoid_f32(n, ptr(y), ptr(y));
      sigmoid_backward_f32(n, ptr(y), ptr(dy), ptr(dx));
      for (let i = 0; i < n; i++) {
        const yy = <f64>y[i];
        expect<bool>(near(dx[i], <f64>dy[i] * yy * (1.0 - yy), 1e-6, 1e-12)).toBe(true);
      }
      sigmoid_backward_f32(n, ptr(y), ptr(dy), ptr(dy));
      for (let i = 0; i < n; i++) expect<f32>(dy[i]).toBe(dx[i]);
    }
  });
  it("backward of a hand example", () => {
    const y = new StaticArray<f32>(2), dy = new StaticArray<f32>(2), dx = new StaticArray<f32>(2);
    y[0] = 0.5; y[1] = 0.25; dy[0] = 2; dy[1] = -4;
    sigmoid_backward_f32(2, ptr(y), ptr(dy), ptr(dx));
    expect<f32>(dx[0]).toBe(0.5);   // 2·0.5·0.5
    expect<f32>(dx[1]).toBe(-0.75); // −4·0.25·0.75
  });
});

describe("tanh backward", () => {
  it("gives dy·(1 − y²) on ragged sizes (dx may equal dy)", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const y = patternBuffer(n, s), dy = patternBuffer(n, s + 3), dx = zerosBuffer(n);
      for (let i = 0; i < n; i++) y[i] = y[i] * 0.37; // |y| < 1 like a tanh output
      tanh_backward_f32(n, ptr(y), ptr(dy), ptr(dx));
      for (let i = 0; i < n; i++) {
        const yy = <f64>y[i];
        expect<bool>(near(dx[i], <f64>dy[i] * (1.0 - yy * yy), 1e-6, 1e-12)).toBe(true);
      }
      tanh_backward_f32(n, ptr(y), ptr(dy), ptr(dy));
      for (let i = 0; i < n; i++) expect<f32>(dy[i]).toBe(dx[i]);
    }
  });
  it("backward of a hand example", () => {
    const y = new StaticArray<f32>(3), dy = new StaticArray<f32>(3), dx = new StaticArray<f32>(3);
    y[0] = 0.5; y[1] = -1; y[2] = 0; dy[0] = 4; dy[1] = 3; dy[2] = -2;
    tanh_backward_f32(3, ptr(y), ptr(dy), ptr(dx));
    expect<f32>(dx[0]).toBe(3);
    expect<f32>(dx[1]).toBe(0);
    expect<f32>(dx[2]).toBe(-2);
  });
});

describe("fused bias + activation", () => {
  it("bias_relu and bias_sigmoid on strided rows leave the padding alone, and work in place", () => {
    const m = 3;
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const ldx = n + 3, ldo = n + 2;
      const x = patternBuffer(m * ldx, s), bias = patternBuffer(n, s + 7);
      const o1 = zerosBuffer(m * ldo), o2 = zerosBuffer(m * ldo);
      for (let i = 0; i < m * ldo; i++) { o1[i] = 42; o2[i] = 42; }
      bias_relu_f32(m, n, ptr(x), ldx, ptr(bias), ptr(o1), ldo);
      bias_sigmoid_f32(m, n, ptr(x), ldx, ptr(bias), ptr(o2), ldo);
      for (let r = 0; r < m; r++) {
        for (let j = 0; j < ldo; j++) {
          if (j < n) {
            const v: f32 = x[r * ldx + j] + bias[j];
            expect<f32>(o1[r * ldo + j]).toBe(v > 0 ? v : 0);
            expect<bool>(near(o2[r * ldo + j], sigmoid64(<f64>v), 5e-7, 0)).toBe(true);
          } else {
            expect<f32>(o1[r * ldo + j]).toBe(42);
            expect<f32>(o2[r * ldo + j]).toBe(42);
          }
        }
      }
      // In place (out = x, same stride).
      const y = patternBuffer(m * ldx, s);
      bias_relu_f32(m, n, ptr(y), ldx, ptr(bias), ptr(y), ldx);
      for (let r = 0; r < m; r++) {
        for (let j = 0; j < ldx; j++) {
          expect<f32>(y[r * ldx + j]).toBe(j < n ? o1[r * ldo + j] : x[r * ldx + j]);
        }
      }
      const z = patternBuffer(m * ldx, s);
      bias_sigmoid_f32(m, n, ptr(z), ldx, ptr(bias), ptr(z), ldx);
      for (let r = 0; r < m; r++) {
        for (let j = 0; j < n; j++) expect<f32>(z[r * ldx + j]).toBe(o2[r * ldo + j]);
      }
    }
  });
  it("bias_relu hand example", () => {
    const x = new StaticArray<f32>(4), b = new StaticArray<f32>(2), out = new StaticArray<f32>(4);
    x[0] = 1; x[1] = -1; x[2] = -3; x[3] = 2; b[0] = 0.5; b[1] = 0.5;
    bias_relu_f32(2, 2, ptr(x), 2, ptr(b), ptr(out), 2);
    expect<f32>(out[0]).toBe(1.5);
    expect<f32>(out[1]).toBe(0);
    expect<f32>(out[2]).toBe(0);
    expect<f32>(out[3]).toBe(2.5);
  });
});
