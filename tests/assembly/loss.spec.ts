import {
  mse_f32, mse_backward_f32, softmax_xent_f32, softmax_xent_index_f32, argmax_rows_f32,
} from "../../assembly/loss";
import { zerosBuffer, ptr, randomBuffer } from "./helpers/buffers";

// Around the vector width, the 16-wide unroll and beyond, so every tail path runs.
const SIZES: i32[] = [1, 2, 3, 4, 5, 7, 8, 17, 33, 65, 129];


function labelBuffer(n: i32): StaticArray<i32> {
  return new StaticArray<i32>(max(n, 1));
}

function iptr(buf: StaticArray<i32>): usize {
  return changetype<usize>(buf);
}

function copyOf(x: StaticArray<f32>): StaticArray<f32> {
  const out = new StaticArray<f32>(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i];
  return out;
}

function close(got: f64, want: f64, rel: f64, abs: f64): bool {
  return Math.abs(got - want) <= rel * Math.abs(want) + abs;
}

/** f64 log-sum-exp of row i of x [rows, cols]. */
function refLse(x: StaticArray<f32>, i: i32, cols: i32): f64 {
  let m = -Infinity;
  for (let j = 0; j < cols; j++) m = Math.max(m, <f64>x[i * cols + j]);
  let s: f64 = 0;
  for (let j = 0; j < cols; j++) s += Math.exp(<f64>x[i * cols + j] - m);
  return m + Math.log(s);
}

/**
 * f64 dense cross-entropy: returns Σ_i Σ_j −t·(x − lse_i) and writes the gradient g·(p·T − t) into grad.
 */
function refXent(rows: i32, cols: i32, x: StaticArray<f32>, t: StaticArray<f32>, g: f64, grad: StaticArray<f64>): f64 {
  let loss: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const lse = refLse(x, i, cols);
    let tsum: f64 = 0;
    for (let j = 0; j < cols; j++) tsum += <f64>t[i * cols + j];
    for (let j = 0; j < cols; j++) {
      const tj = <f64>t[i * cols + j], lp = <f64>x[i * cols + j] - lse;
      loss -= tj * lp;
      grad[i * cols + j] = g * (Math.exp(lp) * tsum - tj);
    }
  }
  return loss;
}

describe("mse_f32", () => {
  it("computes a hand example and 0 for n = 0", () => {
    const a = new StaticArray<f32>(3), y = new StaticArray<f32>(3);
    a[0] = 1; a[1] = 2; a[2] = 3; y[0] = 0; y[1] = 0; y[2] = 5;
    expect<f32>(mse_f32(3, ptr(a), ptr(y))).toBe(3); // (1 + 4 + 4) / 3
    expect<f32>(mse_f32(0, ptr(a), ptr(y))).toBe(0);
  });

  it("matches an f64 mean of squares on ragged sizes", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const a = randomBuffer(n, <u32>s + 1, 3), y = randomBuffer(n, <u32>s + 101, 2);
      let want: f64 = 0;
      for (let i = 0; i < n; i++) { const d = <f64>a[i] - <f64>y[i]; want += d * d; }
      want /= <f64>n;
      expect<bool>(close(<f64>mse_f32(n, ptr(a), ptr(y)), want, 4e-7, 0)).toBe(true);
    }
  });

  it("stays accurate at n = 1e6 (blocked partial sums, no drift with n)", () => {
    const n = 1000000;
    const a = randomBuffer(n, 7, 1), y = randomBuffer(n, 8, 1);
    // An offset makes every term of similar size, the case where one running f32 sum drifts the most.
    for (let i = 0; i < n; i++) a[i] += 3;
    let want: f64 = 0, naive: f32 = 0;
    for (let i = 0; i < n; i++) {
      const d = <f64>a[i] - <f64>y[i];
      want += d * d;
      naive += (a[i] - y[i]) * (a[i] - y[i]);
    }
    want /= <f64>n;
    const got = <f64>mse_f32(n, ptr(a), ptr(y));
    expect<bool>(close(got, want, 2e-7, 0)).toBe(true);
    // The sequential f32 sum is visibly worse on the same data: the blocking is what buys the accuracy.
    expect<bool>(Math.abs(<f64>naive / <f64>n - want) > 10 * Math.abs(got - want)).toBe(true);
  });
});

describe("mse_backward_f32", () => {
  it("writes scale·(a − y) on ragged sizes, leaves the element past n alone, and works in place", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const a = randomBuffer(n + 1, <u32>s + 3, 2), y = randomBuffer(n + 1, <u32>s + 33, 2);
      const dx = zerosBuffer(n + 1);
      dx[n] = 42;
      const scale: f32 = <f32>2 / <f32>n;
      mse_backward_f32(n, ptr(a), ptr(y), scale, ptr(dx));
      for (let i = 0; i < n; i++) expect<f32>(dx[i]).toBe(scale * (a[i] - y[i]));
      expect<f32>(dx[n]).toBe(42);
      mse_backward_f32(n, ptr(a), ptr(y), scale, ptr(a)); // dx == a
      for (let i = 0; i < n; i++) expect<f32>(a[i]).toBe(dx[i]);
    }
  });

  it("is the gradient of mse_f32 (central finite differences) with scale = 2/n", () => {
    const n = 13;
    const a = randomBuffer(n, 21, 2), y = randomBuffer(n, 22, 2), dx = zerosBuffer(n);
    mse_backward_f32(n, ptr(a), ptr(y), <f32>2 / <f32>n, ptr(dx));
    const h: f32 = 1.0 / 64; // a power of two: a ± h is exact for these magnitudes
    for (let i = 0; i < n; i++) {
      const ai = a[i];
      a[i] = ai + h; const up = <f64>mse_f32(n, ptr(a), ptr(y));
      a[i] = ai - h; const dn = <f64>mse_f32(n, ptr(a), ptr(y));
      a[i] = ai;
      expect<bool>(close((up - dn) / (2 * <f64>h), <f64>dx[i], 0, 1e-4)).toBe(true);
    }
  });
});

describe("softmax_xent_f32 (dense targets)", () => {
  it("computes hand examples", () => {
    const x = new StaticArray<f32>(3), t = new StaticArray<f32>(3), d = new StaticArray<f32>(3);
    // Uniform over two classes, target class 0: loss ln 2, gradient (p − t) = (−0.5, 0.5).
    x[0] = 0; x[1] = 0; t[0] = 1; t[1] = 0;
    expect<bool>(close(<f64>softmax_xent_f32(1, 2, ptr(x), ptr(t), ptr(d), 1), Math.LN2, 2e-7, 0)).toBe(true);
    expect<f32>(d[0]).toBe(-0.5);
    expect<f32>(d[1]).toBe(0.5);
    // Logits 1, 2, 3, target class 2: loss = log(e + e² + e³) − 3.
    x[0] = 1; x[1] = 2; x[2] = 3; t[0] = 0; t[1] = 0; t[2] = 1;
    const e = Math.E, want = Math.log(e + e * e + e * e * e) - 3;
    expect<bool>(close(<f64>softmax_xent_f32(1, 3, ptr(x), ptr(t), 0, 1), want, 1e-6, 0)).toBe(true);
  });

  it("matches an f64 reference on ragged sizes: one-hot, soft and unnormalised targets, in place too", () => {
    const rows = 5;
    for (let s = 0; s < SIZES.length; s++) {
      const cols = SIZES[s];
      for (let kind = 0; kind < 3; kind++) {
        const x = randomBuffer(rows * cols, <u32>(s * 3 + kind), 6);
        const t = zerosBuffer(rows * cols);
        for (let i = 0; i < rows; i++) {
          if (kind == 0) {
            t[i * cols + (i * 7 + s) % cols] = 1; // one-hot
          } else {
            // Soft labels (kind 1: normalised; kind 2: summing to 2, which the dense formula must respect).
            const r = randomBuffer(cols, <u32>(i * 31 + s + 1000 * kind), 1);
            let z: f32 = 0;
            for (let j = 0; j < cols; j++) { r[j] = abs<f32>(r[j]); z += r[j]; }
            for (let j = 0; j < cols; j++) t[i * cols + j] = r[j] / z * <f32>kind;
          }
        }
        const g: f32 = <f32>1 / <f32>rows;
        const want = new StaticArray<f64>(rows * cols);
        const wantLoss = refXent(rows, cols, x, t, <f64>g, want);
        const d = zerosBuffer(rows * cols);
        const loss = softmax_xent_f32(rows, cols, ptr(x), ptr(t), ptr(d), g);
        expect<bool>(close(<f64>loss, wantLoss, 1e-6, 1e-6)).toBe(true);
        for (let k = 0; k < rows * cols; k++) expect<bool>(close(<f64>d[k], want[k], 2e-6, 1e-7)).toBe(true);
        // Loss only (dlogits = 0): same value, and the inputs are untouched.
        const x0 = copyOf(x);
        expect<f32>(softmax_xent_f32(rows, cols, ptr(x), ptr(t), 0, g)).toBe(loss);
        for (let k = 0; k < rows * cols; k++) expect<f32>(x[k]).toBe(x0[k]);
        // In place (dlogits == logits): identical results.
        expect<f32>(softmax_xent_f32(rows, cols, ptr(x), ptr(t), ptr(x), g)).toBe(loss);
        for (let k = 0; k < rows * cols; k++) expect<f32>(x[k]).toBe(d[k]);
      }
    }
  });

  it("has a gradient that matches central finite differences of its loss", () => {
    const rows = 3, cols = 9;
    const x = randomBuffer(rows * cols, 77, 2), t = zerosBuffer(rows * cols), d = zerosBuffer(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[i * cols + j] = j == i ? 0.7 : 0.3 / <f32>(cols - 1);
    softmax_xent_f32(rows, cols, ptr(x), ptr(t), ptr(d), 1);
    const h: f32 = 1.0 / 128;
    for (let k = 0; k < rows * cols; k++) {
      const xk = x[k];
      x[k] = xk + h; const up = <f64>softmax_xent_f32(rows, cols, ptr(x), ptr(t), 0, 1);
      x[k] = xk - h; const dn = <f64>softmax_xent_f32(rows, cols, ptr(x), ptr(t), 0, 1);
      x[k] = xk;
      expect<bool>(close((up - dn) / (2 * <f64>h), <f64>d[k], 0, 2e-3)).toBe(true);
    }
  });

  it("never produces NaN for huge logits, and handles −Infinity logits and all −Infinity rows", () => {
    const cols = 5, rows = 5;
    const x = zerosBuffer(rows * cols), t = zerosBuffer(rows * cols), d = zerosBuffer(rows * cols);
    // row 0: ±1e30, target on the max → loss 0, gradient 0.
    x[0] = 1e30; x[1] = -1e30; x[2] = 0; x[3] = -3.4e38; x[4] = 1; t[0] = 1;
    // row 1: ±FLT_MAX-scale logits, target on the max: m − x overflows to +Infinity where t = 0 (must not
    // become 0·Infinity = NaN).
    x[5] = 3.4e38; x[6] = -3.4e38; x[7] = 3.4e38; x[8] = -3.4e38; x[9] = 0; t[5] = 0.5; t[7] = 0.5;
    // row 2: target on a −1e30 logit: loss ≈ 2e30, finite; gradient (p − t) = (1, −1, 0, 0, 0).
    x[10] = 1e30; x[11] = -1e30; x[12] = -1e30; x[13] = -1e30; x[14] = -1e30; t[11] = 1;
    // row 3: −Infinity logits (masked classes) without target mass.
    x[15] = -Infinity; x[16] = 0; x[17] = 0; x[18] = -Infinity; x[19] = -Infinity; t[16] = 1;
    // row 4: all −Infinity, no distribution: loss +Infinity (target mass present), gradient −t.
    for (let j = 20; j < 25; j++) x[j] = -Infinity;
    t[22] = 1;
    const loss = softmax_xent_f32(4, cols, ptr(x), ptr(t), ptr(d), 1);
    expect<bool>(close(<f64>loss, 2e30 + Math.LN2, 1e-6, 0)).toBe(true);
    expect<f32>(d[0]).toBe(0); expect<f32>(d[1]).toBe(0); expect<f32>(d[2]).toBe(0);
    expect<f32>(d[3]).toBe(0); expect<f32>(d[4]).toBe(0);
    expect<f32>(d[5]).toBe(0); expect<f32>(d[6]).toBe(0); expect<f32>(d[7]).toBe(0);
    expect<f32>(d[8]).toBe(0); expect<f32>(d[9]).toBe(0);
    expect<f32>(d[10]).toBe(1); expect<f32>(d[11]).toBe(-1); expect<f32>(d[12]).toBe(0);
    expect<f32>(d[15]).toBe(0); expect<f32>(d[16]).toBe(-0.5); expect<f32>(d[17]).toBe(0.5);
    expect<f32>(d[18]).toBe(0); expect<f32>(d[19]).toBe(0);
    for (let k = 0; k < 20; k++) expect<bool>(isFinite(d[k])).toBe(true);
    // Row 4 alone, then a target on an overflowing gap: both +Infinity, never NaN.
    expect<f32>(softmax_xent_f32(1, cols, ptr(x) + 80, ptr(t) + 80, ptr(d) + 80, 2)).toBe(Infinity);
    expect<f32>(d[22]).toBe(-2); expect<f32>(d[20]).toBe(0);
    t[6] = 1; t[5] = 0; t[7] = 0;
    expect<f32>(softmax_xent_f32(1, cols, ptr(x) + 20, ptr(t) + 20, ptr(d) + 20, 1)).toBe(Infinity);
    for (let k = 5; k < 10; k++) expect<bool>(isFinite(d[k])).toBe(true);
  });

  it("stays accurate over a 50k vocabulary with soft labels (blocked row sums)", () => {
    const rows = 2, cols = 50000;
    const x = randomBuffer(rows * cols, 31, 10), t = zerosBuffer(rows * cols), d = zerosBuffer(rows * cols);
    for (let k = 0; k < rows * cols; k++) t[k] = <f32>1 / <f32>cols; // uniform: every term contributes
    const want = new StaticArray<f64>(rows * cols);
    const wantLoss = refXent(rows, cols, x, t, 1, want);
    expect<bool>(close(<f64>softmax_xent_f32(rows, cols, ptr(x), ptr(t), ptr(d), 1), wantLoss, 2e-7, 0)).toBe(true);
    let ok = true; // one expectation for the whole row set: per-element expects dominate the spec's run time
    for (let k = 0; k < rows * cols; k++) ok = ok && close(<f64>d[k], want[k], 2e-6, 1e-11);
    expect<bool>(ok).toBe(true);
  });

  it("is finite when the logits span more than FLT_MAX but the true loss does not", () => {
    // Target mass 0.1 on −3e38 with the max at +3e38: loss ≈ 0.1·6e38 = 6e37 (+ 0.9·log 2 … invisible).
    const cols = 6;
    const x = zerosBuffer(cols), t = zerosBuffer(cols), d = zerosBuffer(cols);
    x[0] = 3e38; x[1] = -3e38; x[2] = 3e38; x[3] = -3e38; x[4] = 3e38; x[5] = -3e38;
    t[0] = 0.9; t[5] = 0.1;
    const loss = softmax_xent_f32(1, cols, ptr(x), ptr(t), ptr(d), 1);
    expect<bool>(close(<f64>loss, 0.1 * 6e38, 1e-6, 0)).toBe(true);
    for (let j = 0; j < cols; j++) expect<bool>(isFinite(d[j])).toBe(true);
    expect<bool>(close(<f64>d[0], 1.0 / 3 - 0.9, 1e-6, 0)).toBe(true);
    expect<bool>(close(<f64>d[5], -0.1, 1e-6, 0)).toBe(true);
  });

  it("propagates NaN from a NaN or +Infinity logit (divergence must show)", () => {
    const x = new StaticArray<f32>(6), t = new StaticArray<f32>(6), d = new StaticArray<f32>(6);
    x[2] = NaN; t[0] = 1;
    expect<bool>(isNaN(softmax_xent_f32(1, 6, ptr(x), ptr(t), ptr(d), 1))).toBe(true);
    x[2] = Infinity;
    expect<bool>(isNaN(softmax_xent_f32(1, 6, ptr(x), ptr(t), ptr(d), 1))).toBe(true);
  });
});

describe("softmax_xent_index_f32 (class indices)", () => {
  it("computes a hand example", () => {
    const x = new StaticArray<f32>(3), d = new StaticArray<f32>(3), lab = labelBuffer(1);
    x[0] = 1; x[1] = 2; x[2] = 3; lab[0] = 0;
    const e = Math.E, s = e + e * e + e * e * e;
    const loss = softmax_xent_index_f32(1, 3, ptr(x), iptr(lab), ptr(d), 1, -100);
    expect<bool>(close(<f64>loss, Math.log(s) - 1, 1e-6, 0)).toBe(true);
    expect<bool>(close(<f64>d[0], e / s - 1, 1e-6, 1e-7)).toBe(true);
    expect<bool>(close(<f64>d[1], e * e / s, 1e-6, 1e-7)).toBe(true);
    expect<bool>(close(<f64>d[2], e * e * e / s, 1e-6, 1e-7)).toBe(true);
  });

  it("matches the f64 reference on ragged sizes, with ignored rows, and in place", () => {
    const rows = 6, ignore = -100;
    for (let s = 0; s < SIZES.length; s++) {
      const cols = SIZES[s];
      const x = randomBuffer(rows * cols, <u32>s + 400, 8);
      const lab = labelBuffer(rows), t = zerosBuffer(rows * cols);
      for (let i = 0; i < rows; i++) {
        lab[i] = i == 2 ? ignore : (i * 5 + s * 3) % cols;
        if (i != 2) t[i * cols + lab[i]] = 1; // the dense one-hot equivalent (ignored row: no target mass)
      }
      const g: f32 = 0.25;
      const want = new StaticArray<f64>(rows * cols);
      const wantLoss = refXent(rows, cols, x, t, <f64>g, want);
      const d = zerosBuffer(rows * cols);
      for (let k = 0; k < rows * cols; k++) d[k] = 42; // ignored rows must be overwritten with 0
      const loss = softmax_xent_index_f32(rows, cols, ptr(x), iptr(lab), ptr(d), g, ignore);
      expect<bool>(close(<f64>loss, wantLoss, 1e-6, 1e-6)).toBe(true);
      for (let k = 0; k < rows * cols; k++) expect<bool>(close(<f64>d[k], want[k], 2e-6, 1e-7)).toBe(true);
      for (let j = 0; j < cols; j++) expect<f32>(d[2 * cols + j]).toBe(0);
      expect<f32>(softmax_xent_index_f32(rows, cols, ptr(x), iptr(lab), 0, g, ignore)).toBe(loss);
      expect<f32>(softmax_xent_index_f32(rows, cols, ptr(x), iptr(lab), ptr(x), g, ignore)).toBe(loss);
      for (let k = 0; k < rows * cols; k++) expect<f32>(x[k]).toBe(d[k]);
    }
  });

  it("stays accurate over a 50k vocabulary", () => {
    const rows = 3, cols = 50000;
    const x = randomBuffer(rows * cols, 32, 10), t = zerosBuffer(rows * cols), d = zerosBuffer(rows * cols);
    const lab = labelBuffer(rows);
    for (let i = 0; i < rows; i++) { lab[i] = (i * 16661 + 5) % cols; t[i * cols + lab[i]] = 1; }
    const want = new StaticArray<f64>(rows * cols);
    const wantLoss = refXent(rows, cols, x, t, 1, want);
    const loss = softmax_xent_index_f32(rows, cols, ptr(x), changetype<usize>(lab), ptr(d), 1, -100);
    expect<bool>(close(<f64>loss, wantLoss, 2e-7, 0)).toBe(true);
    let ok = true; // one expectation for the whole row set: per-element expects dominate the spec's run time
    for (let k = 0; k < rows * cols; k++) ok = ok && close(<f64>d[k], want[k], 2e-6, 1e-11);
    expect<bool>(ok).toBe(true);
  });

  it("treats labels outside [0, cols) like ignored rows (no out-of-bounds read) and uses any ignoreIndex", () => {
    const rows = 4, cols = 5;
    const x = randomBuffer(rows * cols, 5, 2), d = zerosBuffer(rows * cols), lab = labelBuffer(rows);
    lab[0] = -1; lab[1] = 5; lab[2] = 3; lab[3] = 0x7fffffff;
    for (let k = 0; k < rows * cols; k++) d[k] = 42;
    const loss = softmax_xent_index_f32(rows, cols, ptr(x), iptr(lab), ptr(d), 1, -100);
    expect<bool>(close(<f64>loss, refLse(x, 2, cols) - <f64>x[2 * cols + 3], 1e-6, 1e-7)).toBe(true);
    for (let k = 0; k < rows * cols; k++) if (k < 10 || k >= 15) expect<f32>(d[k]).toBe(0);
    // ignoreIndex = 3 drops row 2 as well: nothing left.
    expect<f32>(softmax_xent_index_f32(rows, cols, ptr(x), iptr(lab), ptr(d), 1, 3)).toBe(0);
    for (let k = 0; k < rows * cols; k++) expect<f32>(d[k]).toBe(0);
  });

  it("never produces NaN for huge logits; an all −Infinity row gives +Infinity and −gradScale at the label", () => {
    const cols = 4;
    const x = new StaticArray<f32>(12), d = new StaticArray<f32>(12), lab = labelBuffer(3);
    x[0] = 3.4e38; x[1] = -3.4e38; x[2] = 1e30; x[3] = -1e30; lab[0] = 0;
    x[4] = 1e30; x[5] = -1e30; x[6] = -1e30; x[7] = -1e30; lab[1] = 3;
    const loss = softmax_xent_index_f32(2, cols, ptr(x), iptr(lab), ptr(d), 1, -1);
    expect<bool>(close(<f64>loss, 2e30, 1e-6, 0)).toBe(true);
    expect<f32>(d[0]).toBe(0); expect<f32>(d[1]).toBe(0); expect<f32>(d[2]).toBe(0); expect<f32>(d[3]).toBe(0);
    expect<f32>(d[4]).toBe(1); expect<f32>(d[5]).toBe(0); expect<f32>(d[7]).toBe(-1);
    // Label on −FLT_MAX with the max at +FLT_MAX: the true loss exceeds FLT_MAX → +Infinity, not NaN.
    lab[0] = 1;
    expect<f32>(softmax_xent_index_f32(1, cols, ptr(x), iptr(lab), ptr(d), 1, -1)).toBe(Infinity);
    expect<f32>(d[0]).toBe(1); expect<f32>(d[1]).toBe(-1);
    for (let j = 8; j < 12; j++) x[j] = -Infinity;
    lab[2] = 1;
    expect<f32>(softmax_xent_index_f32(1, cols, ptr(x) + 32, iptr(lab) + 8, ptr(d) + 32, 0.5, -1)).toBe(Infinity);
    expect<f32>(d[8]).toBe(0); expect<f32>(d[9]).toBe(-0.5); expect<f32>(d[10]).toBe(0); expect<f32>(d[11]).toBe(0);
  });
});

describe("argmax_rows_f32", () => {
  it("finds the maximum at every position of ragged rows", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const cols = SIZES[s];
      const rows = cols; // row i has its maximum at column i
      const x = randomBuffer(rows * cols, <u32>s + 600, 1);
      for (let i = 0; i < rows; i++) x[i * cols + i] = 2 + <f32>i * 0.001;
      const out = labelBuffer(rows + 1);
      out[rows] = 42;
      argmax_rows_f32(rows, cols, ptr(x), iptr(out));
      for (let i = 0; i < rows; i++) expect<i32>(out[i]).toBe(i);
      expect<i32>(out[rows]).toBe(42);
    }
  });

  it("returns the first maximum on ties (across lanes, vectors and the tail)", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const cols = SIZES[s];
      for (let first = 0; first < cols; first++) {
        const x = zerosBuffer(cols);
        for (let j = 0; j < cols; j++) x[j] = -1;
        for (let j = first; j < cols; j += 3) x[j] = 5; // ties at first, first + 3, ...
        const out = labelBuffer(1);
        argmax_rows_f32(1, cols, ptr(x), iptr(out));
        expect<i32>(out[0]).toBe(first);
      }
      // All equal: index 0.
      const x = zerosBuffer(cols), out = labelBuffer(1);
      for (let j = 0; j < cols; j++) x[j] = -Infinity;
      out[0] = 42;
      argmax_rows_f32(1, cols, ptr(x), iptr(out));
      expect<i32>(out[0]).toBe(0);
    }
  });

  it("skips NaN entries, gives 0 for an all-NaN row and −1 for cols = 0", () => {
    const x = new StaticArray<f32>(9), out = labelBuffer(2);
    for (let j = 0; j < 9; j++) x[j] = NaN;
    x[5] = -Infinity; x[7] = -3;
    argmax_rows_f32(1, 9, ptr(x), iptr(out));
    expect<i32>(out[0]).toBe(7);
    x[7] = NaN;
    argmax_rows_f32(1, 9, ptr(x), iptr(out));
    expect<i32>(out[0]).toBe(5);
    x[5] = NaN;
    argmax_rows_f32(1, 9, ptr(x), iptr(out));
    expect<i32>(out[0]).toBe(0);
    argmax_rows_f32(2, 0, ptr(x), iptr(out));
    expect<i32>(out[0]).toBe(-1);
    expect<i32>(out[1]).toBe(-1);
  });
});
