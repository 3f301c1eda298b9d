import { softmax_f32, log_softmax_f32, softmax_backward_f32 } from "../../assembly/softmax";
import { max_f32 } from "../../assembly/blas";
import { exp_v128, exp_scalar } from "../../assembly/vmath";
import { patternBuffer, zerosBuffer, ptr, randomBuffer } from "./helpers/buffers";

const SIZES: i32[] = [1, 2, 3, 4, 5, 7, 8, 17, 33, 65, 129];


function visible(i: i32, rows: i32, cols: i32, causal: i32): i32 {
  if (!causal) return cols;
  return min(max(i + 1 + cols - rows, 0), cols);
}

/** Straightforward f64 softmax (log = false) or log-softmax (log = true) of a strided matrix. */
function refSoftmax(rows: i32, cols: i32, x: StaticArray<f32>, ldx: i32, invT: f64, causal: i32, log: bool): StaticArray<f64> {
  const out = new StaticArray<f64>(max(rows * cols, 1));
  for (let i = 0; i < rows; i++) {
    const cv = visible(i, rows, cols, causal);
    let m = -Infinity;
    for (let j = 0; j < cv; j++) m = Math.max(m, <f64>x[i * ldx + j]);
    let s: f64 = 0;
    if (m != -Infinity) for (let j = 0; j < cv; j++) s += Math.exp((<f64>x[i * ldx + j] - m) * invT);
    for (let j = 0; j < cols; j++) {
      let v: f64;
      if (j >= cv || m == -Infinity) v = log ? -Infinity : 0;
      else if (log) v = (<f64>x[i * ldx + j] - m) * invT - Math.log(s);
      else v = Math.exp((<f64>x[i * ldx + j] - m) * invT) / s;
      out[i * cols + j] = v;
    }
  }
  return out;
}

/**
 * The original kernel's algorithm, kept as the oracle for the faster one: scalar max of the visible entries,
 * e^{(x − m)·invT} with exp_v128 in two chains over 8-element steps (the same summation order: two lane
 * accumulators, then 4-element steps, the lanes added 0+1+2+3, then the scalar tail with exp_scalar), then
 * a multiply by 1/Σ (softmax) or (x − m)·invT − log Σ (log-softmax). The kernels must match it bit for bit.
 * Without SIMD (the scalar build) it is the scalar loop from j = 0, as the original scalar path was.
 */
function origSoftmax(
  rows: i32, cols: i32, x: StaticArray<f32>, ldx: i32, invT: f32, causal: i32, log: bool,
): StaticArray<f32> {
  const out = new StaticArray<f32>(max(rows * cols, 1));
  const e = new StaticArray<f32>(max(cols, 1));
  for (let i = 0; i < rows; i++) {
    const cv = visible(i, rows, cols, causal);
    const xr = ptr(x) + (<usize>(i * ldx) << 2);
    let m: f32 = -Infinity;
    for (let j = 0; j < cv; j++) m = max(m, load<f32>(xr + (<usize>j << 2)));
    if (m == -Infinity || m != m || m == Infinity) {
      for (let j = 0; j < cols; j++) {
        out[i * cols + j] = j >= cv || m == -Infinity ? (log ? -Infinity : 0) : NaN;
      }
      continue;
    }
    let j = 0;
    let sum: f32 = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = f32x4.splat(m), vt = f32x4.splat(invT);
      let acc = f32x4.splat(0), acc1 = acc;
      for (; j + 8 <= cv; j += 8) {
        const e0 = exp_v128(f32x4.mul(f32x4.sub(v128.load(xr + (<usize>j << 2)), vm), vt));
        const e1 = exp_v128(f32x4.mul(f32x4.sub(v128.load(xr + (<usize>j << 2), 16), vm), vt));
        v128.store(ptr(e) + (<usize>j << 2), e0);
        v128.store(ptr(e) + (<usize>j << 2), e1, 16);
        acc = f32x4.add(acc, e0);
        acc1 = f32x4.add(acc1, e1);
      }
      acc = f32x4.add(acc, acc1);
      for (; j + 4 <= cv; j += 4) {
        const e0 = exp_v128(f32x4.mul(f32x4.sub(v128.load(xr + (<usize>j << 2)), vm), vt));
        v128.store(ptr(e) + (<usize>j << 2), e0);
        acc = f32x4.add(acc, e0);
      }
      sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
    }
    for (; j < cv; j++) {
      e[j] = exp_scalar((x[i * ldx + j] - m) * invT);
      sum += e[j];
    }
    const inv = <f32>1 / sum;
    const ls = <f32>Math.log(<f64>sum);
    for (j = 0; j < cols; j++) {
      if (j >= cv) out[i * cols + j] = log ? -Infinity : 0;
      else out[i * cols + j] = log ? (x[i * ldx + j] - m) * invT - ls : e[j] * inv;
    }
  }
  return out;
}

/** Number of entries of got (rows×cols, stride ldo) whose bits differ from want (rows×cols, dense). */
function bitDiffs(rows: i32, cols: i32, got: StaticArray<f32>, ldo: i32, want: StaticArray<f32>): i32 {
  let bad = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (reinterpret<u32>(got[i * ldo + j]) != reinterpret<u32>(want[i * cols + j])) {
        // Every NaN is the same answer.
        if (!(isNaN(got[i * ldo + j]) && isNaN(want[i * cols + j]))) bad++;
      }
    }
  }
  return bad;
}

function closeProb(got: f32, want: f64): bool {
  // Relative accuracy of exp (1.2e-7) plus the sum and the reciprocal; tiny weights may flush to 0.
  return Math.abs(<f64>got - want) <= 2e-6 * want + 1e-37;
}

function closeLog(got: f32, want: f64): bool {
  if (want == -Infinity) return got == -Infinity;
  return Math.abs(<f64>got - want) <= 2e-6 * (1.0 + Math.abs(want));
}

describe("softmax_f32", () => {
  it("computes a hand example", () => {
    const x = new StaticArray<f32>(3), out = new StaticArray<f32>(3);
    x[0] = 1; x[1] = 2; x[2] = 3;
    softmax_f32(1, 3, ptr(x), 3, ptr(out), 3, 1, 0);
    const s = Math.E + Math.E * Math.E + Math.E * Math.E * Math.E;
    expect<bool>(closeProb(out[0], Math.E / s)).toBe(true);
    expect<bool>(closeProb(out[1], Math.E * Math.E / s)).toBe(true);
    expect<bool>(closeProb(out[2], Math.E * Math.E * Math.E / s)).toBe(true);
    // Equal inputs: exactly uniform.
    x[0] = 5; x[1] = 5; x[2] = 5;
    softmax_f32(1, 2, ptr(x), 3, ptr(out), 3, 1, 0);
    expect<f32>(out[0]).toBe(0.5);
    expect<f32>(out[1]).toBe(0.5);
  });

  it("matches an f64 softmax on ragged sizes, strides, temperatures, causal or not", () => {
    const rows = 5;
    for (let s = 0; s < SIZES.length; s++) {
      const cols = SIZES[s];
      const ldx = cols + 3, ldo = cols + 1;
      for (let causal = 0; causal < 2; causal++) {
        for (let t = 0; t < 3; t++) {
          const invT: f32 = t == 0 ? 1 : (t == 1 ? 0.5 : 2.7);
          const x = randomBuffer(rows * ldx, <u32>(s * 7 + t + causal * 3), 4);
          const out = zerosBuffer(rows * ldo);
          for (let i = 0; i < rows * ldo; i++) out[i] = 42;
          softmax_f32(rows, cols, ptr(x), ldx, ptr(out), ldo, invT, causal);
          const want = refSoftmax(rows, cols, x, ldx, <f64>invT, causal, false);
          for (let i = 0; i < rows; i++) {
            let sum: f64 = 0;
            for (let j = 0; j < cols; j++) {
              const w = want[i * cols + j];
              const g = out[i * ldo + j];
              if (w == 0) expect<f32>(g).toBe(0); // masked: exactly 0
              else expect<bool>(closeProb(g, w)).toBe(true);
              sum += <f64>g;
            }
            if (visible(i, rows, cols, causal) > 0) expect<bool>(Math.abs(sum - 1) < 2e-6).toBe(true);
            for (let j = cols; j < ldo; j++) expect<f32>(out[i * ldo + j]).toBe(42); // padding untouched
          }
        }
      }
    }
  });

  it("handles the KV-cache shape (rows < cols) and rows > cols under the causal rule", () => {
    // rows = 3, cols = 7: row i sees j <= i + 4.  rows = 5, cols = 2: rows 0..2 see nothing → zeros.
    const shapes: i32[] = [3, 7, 5, 2, 1, 129, 4, 33];
    for (let c = 0; c < shapes.length; c += 2) {
      const rows = shapes[c], cols = shapes[c + 1];
      const x = randomBuffer(rows * cols, <u32>(c + 100), 3);
      const out = zerosBuffer(rows * cols);
      softmax_f32(rows, cols, ptr(x), cols, ptr(out), cols, 1, 1);
      const want = refSoftmax(rows, cols, x, cols, 1, 1, false);
      for (let i = 0; i < rows; i++) {
        const cv = visible(i, rows, cols, 1);
        for (let j = 0; j < cols; j++) {
          if (j >= cv) expect<f32>(out[i * cols + j]).toBe(0);
          else expect<bool>(closeProb(out[i * cols + j], want[i * cols + j])).toBe(true);
        }
      }
    }
  });

  it("never reads masked entries (NaN there changes nothing) and writes them as exactly 0", () => {
    const rows = 6, cols = 6;
    const x = randomBuffer(rows * cols, 9, 2);
    for (let i = 0; i < rows; i++) for (let j = i + 1; j < cols; j++) x[i * cols + j] = NaN;
    const out = zerosBuffer(rows * cols);
    softmax_f32(rows, cols, ptr(x), cols, ptr(out), cols, 1, 1);
    expect<f32>(out[0]).toBe(1); // row 0 sees only itself
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        if (j > i) expect<f32>(out[i * cols + j]).toBe(0);
        else expect<bool>(isFinite(out[i * cols + j]) && out[i * cols + j] > 0).toBe(true);
      }
    }
  });

  it("gives 0 for −Infinity inputs, NaN-free zeros for an all −Infinity row, and survives ±1e30", () => {
    const x = new StaticArray<f32>(12), out = new StaticArray<f32>(12);
    // row 0: one −Inf among finite; row 1: all −Inf; row 2: huge magnitudes.
    x[0] = 1; x[1] = -Infinity; x[2] = 1; x[3] = -Infinity;
    x[4] = -Infinity; x[5] = -Infinity; x[6] = -Infinity; x[7] = -Infinity;
    x[8] = 1e30; x[9] = -1e30; x[10] = 1e30; x[11] = -3.4e38;
    softmax_f32(3, 4, ptr(x), 4, ptr(out), 4, 1, 0);
    expect<f32>(out[0]).toBe(0.5);
    expect<f32>(out[1]).toBe(0);
    expect<f32>(out[2]).toBe(0.5);
    expect<f32>(out[3]).toBe(0);
    for (let j = 4; j < 8; j++) expect<f32>(out[j]).toBe(0);
    expect<f32>(out[8]).toBe(0.5);
    expect<f32>(out[9]).toBe(0);
    expect<f32>(out[10]).toBe(0.5);
    expect<f32>(out[11]).toBe(0);
    // And with a large temperature factor: (x − max)·invT must not overflow into NaN.
    softmax_f32(3, 4, ptr(x), 4, ptr(out), 4, 1e10, 0);
    expect<f32>(out[8]).toBe(0.5);
    expect<f32>(out[9]).toBe(0);
  });

  it("works in place (out == x) on ragged sizes", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const cols = SIZES[s], rows = 3;
      const x = randomBuffer(rows * cols, <u32>s + 50, 5);
      const out = zerosBuffer(rows * cols);
      softmax_f32(rows, cols, ptr(x), cols, ptr(out), cols, 0.7, 1);
      softmax_f32(rows, cols, ptr(x), cols, ptr(x), cols, 0.7, 1);
      for (let i = 0; i < rows * cols; i++) expect<f32>(x[i]).toBe(out[i]);
    }
  });
});

describe("softmax kernels vs the original algorithm (bit for bit)", () => {
  it("softmax_f32 and log_softmax_f32 equal the original on ragged and long rows, temperatures, causal or not", () => {
    const colsList: i32[] = [1, 3, 4, 7, 8, 9, 12, 15, 16, 17, 31, 33, 100, 129, 1000, 1027];
    const rows = 4;
    for (let c = 0; c < colsList.length; c++) {
      const cols = colsList[c];
      const ldx = cols + 1, ldo = cols + 2;
      for (let causal = 0; causal < 2; causal++) {
        for (let t = 0; t < 3; t++) {
          const invT: f32 = t == 0 ? 1 : (t == 1 ? 0.37 : 3.1);
          // Spread 40: some entries lie below e^{−87} relative to the max (underflow to exactly 0).
          const x = randomBuffer(rows * ldx, <u32>(c * 11 + t * 3 + causal), t == 2 ? 40 : 6);
          const out = zerosBuffer(rows * ldo);
          for (let lg = 0; lg < 2; lg++) {
            if (lg == 0) softmax_f32(rows, cols, ptr(x), ldx, ptr(out), ldo, invT, causal);
            else log_softmax_f32(rows, cols, ptr(x), ldx, ptr(out), ldo, invT, causal);
            const want = origSoftmax(rows, cols, x, ldx, invT, causal, lg == 1);
            expect<i32>(bitDiffs(rows, cols, out, ldo, want)).toBe(0);
          }
        }
      }
    }
  });

  it("NaN or +Infinity in the visible part gives NaN for every visible entry (masked stay 0 / −Infinity)", () => {
    const rows = 3, cols = 21;
    for (let pos = 0; pos < cols; pos += 5) {
      for (let kind = 0; kind < 2; kind++) {
        const x = randomBuffer(rows * cols, <u32>pos, 3);
        // Row 2 sees every column; put the bad value there and in row 1 (which sees 20 columns).
        x[2 * cols + pos] = kind == 0 ? NaN : Infinity;
        x[1 * cols + pos] = kind == 0 ? NaN : Infinity;
        const out = zerosBuffer(rows * cols);
        for (let lg = 0; lg < 2; lg++) {
          if (lg == 0) softmax_f32(rows, cols, ptr(x), cols, ptr(out), cols, 1, 1);
          else log_softmax_f32(rows, cols, ptr(x), cols, ptr(out), cols, 1, 1);
          const want = origSoftmax(rows, cols, x, cols, 1, 1, lg == 1);
          expect<i32>(bitDiffs(rows, cols, out, cols, want)).toBe(0);
          for (let j = 0; j < cols; j++) {
            expect<bool>(isNaN(out[2 * cols + j])).toBe(true);
            const v = out[cols + j];
            if (j < cols - 1) expect<bool>(pos == cols - 1 ? !isNaN(v) : isNaN(v)).toBe(true);
            else expect<f32>(v).toBe(lg == 0 ? 0 : -Infinity);
          }
        }
      }
    }
  });

  it("keeps exact zeros for huge spreads and for −Infinity, in place too", () => {
    const cols = 37;
    const x = randomBuffer(cols, 77, 1);
    x[3] = -Infinity; x[20] = -200; x[33] = -3.4e38; x[36] = 30;
    const out = zerosBuffer(cols);
    softmax_f32(1, cols, ptr(x), cols, ptr(out), cols, 1, 0);
    expect<f32>(out[3]).toBe(0);
    expect<f32>(out[20]).toBe(0);
    expect<f32>(out[33]).toBe(0);
    expect<bool>(out[36] > 0.999999).toBe(true);
    const want = origSoftmax(1, cols, x, cols, 1, 0, false);
    softmax_f32(1, cols, ptr(x), cols, ptr(x), cols, 1, 0);
    expect<i32>(bitDiffs(1, cols, x, cols, want)).toBe(0);
  });
});

/** Exact reference: wasm max, NaN-propagating, max(−0, +0) = +0. */
function refMax(n: i32, x: StaticArray<f32>): f32 {
  let m: f32 = -Infinity;
  for (let i = 0; i < n; i++) m = max(m, x[i]);
  return m;
}
function same(a: f32, b: f32): bool {
  return reinterpret<u32>(a) == reinterpret<u32>(b) || (isNaN(a) && isNaN(b));
}

describe("max_f32 (the softmax row max)", () => {
  it("equals the exact max with NaN anywhere, ±0 ties, ±Infinity and overflowing sums, every length", () => {
    for (let n = 0; n <= 40; n++) {
      for (let scene = 0; scene < 8; scene++) {
        for (let pos = 0; pos < max(n, 1); pos += 3) {
          const x = randomBuffer(n, <u32>(n * 8 + scene), 5);
          if (n > 0) {
            if (scene == 1) x[pos] = NaN;
            if (scene == 2) { for (let i = 0; i < n; i++) x[i] = -0.0; x[pos] = 0; }
            if (scene == 3) { for (let i = 0; i < n; i++) x[i] = -0.0; }
            if (scene == 4) { for (let i = 0; i < n; i++) x[i] = -abs(x[i]); x[pos] = 0; }
            if (scene == 5) { x[pos] = Infinity; x[n - 1 - pos % n] = -Infinity; }
            if (scene == 6) { for (let i = 0; i < n; i++) x[i] = i & 1 ? 3e38 : -3e38; }
            if (scene == 7) { for (let i = 0; i < n; i++) x[i] = -Infinity; }
          }
          expect<bool>(same(max_f32(n, ptr(x)), refMax(n, x))).toBe(true);
        }
      }
    }
  });
});

describe("log_softmax_f32", () => {
  it("matches an f64 log-softmax (masked entries −Infinity) on ragged sizes, in place too", () => {
    const rows = 4;
    for (let s = 0; s < SIZES.length; s++) {
      const cols = SIZES[s];
      for (let causal = 0; causal < 2; causal++) {
        const invT: f32 = causal ? 1.3 : 1;
        const x = randomBuffer(rows * cols, <u32>(s + 17 * causal), 6);
        const out = zerosBuffer(rows * cols);
        log_softmax_f32(rows, cols, ptr(x), cols, ptr(out), cols, invT, causal);
        const want = refSoftmax(rows, cols, x, cols, <f64>invT, causal, true);
        for (let i = 0; i < rows * cols; i++) expect<bool>(closeLog(out[i], want[i])).toBe(true);
        log_softmax_f32(rows, cols, ptr(x), cols, ptr(x), cols, invT, causal);
        for (let i = 0; i < rows * cols; i++) expect<f32>(x[i]).toBe(out[i]);
      }
    }
  });
  it("hand example, −Infinity rows and huge inputs", () => {
    const x = new StaticArray<f32>(6), out = new StaticArray<f32>(6);
    x[0] = 0; x[1] = 0; x[2] = -Infinity; x[3] = -Infinity; x[4] = 1e30; x[5] = -1e30;
    log_softmax_f32(3, 2, ptr(x), 2, ptr(out), 2, 1, 0);
    expect<bool>(closeLog(out[0], -Math.LN2)).toBe(true);
    expect<bool>(closeLog(out[1], -Math.LN2)).toBe(true);
    expect<f32>(out[2]).toBe(-Infinity);
    expect<f32>(out[3]).toBe(-Infinity);
    expect<f32>(out[4]).toBe(0);
    expect<bool>(out[5] < -1e30 && isFinite(out[5])).toBe(true);
  });
});

describe("softmax_backward_f32", () => {
  it("matches y ⊙ (dy − Σ dy·y) in f64 on ragged sizes, with strides, and in place", () => {
    const rows = 3;
    for (let s = 0; s < SIZES.length; s++) {
      const cols = SIZES[s];
      const ld = cols + 2;
      const x = randomBuffer(rows * ld, <u32>s + 200, 3);
      const y = zerosBuffer(rows * ld);
      softmax_f32(rows, cols, ptr(x), ld, ptr(y), ld, 1, 1);
      const dy = randomBuffer(rows * ld, <u32>s + 300, 2);
      const dx = zerosBuffer(rows * ld);
      softmax_backward_f32(rows, cols, ptr(y), ld, ptr(dy), ld, ptr(dx), ld);
      for (let i = 0; i < rows; i++) {
        let dot: f64 = 0;
        for (let j = 0; j < cols; j++) dot += <f64>dy[i * ld + j] * <f64>y[i * ld + j];
        for (let j = 0; j < cols; j++) {
          const want = <f64>y[i * ld + j] * (<f64>dy[i * ld + j] - dot);
          expect<bool>(Math.abs(<f64>dx[i * ld + j] - want) <= 1e-6).toBe(true);
        }
        for (let j = visible(i, rows, cols, 1); j < cols; j++) expect<f32>(dx[i * ld + j]).toBe(0);
        for (let j = cols; j < ld; j++) expect<f32>(dx[i * ld + j]).toBe(0); // padding untouched
      }
      softmax_backward_f32(rows, cols, ptr(y), ld, ptr(dy), ld, ptr(dy), ld);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expect<f32>(dy[i * ld + j]).toBe(dx[i * ld + j]);
    }
  });
  it("hand example: uniform y and dy = onehot", () => {
    const y = new StaticArray<f32>(2), dy = new StaticArray<f32>(2), dx = new StaticArray<f32>(2);
    y[0] = 0.5; y[1] = 0.5; dy[0] = 1; dy[1] = 0;
    softmax_backward_f32(1, 2, ptr(y), 2, ptr(dy), 2, ptr(dx), 2);
    expect<f32>(dx[0]).toBe(0.25);  // 0.5·(1 − 0.5)
    expect<f32>(dx[1]).toBe(-0.25); // 0.5·(0 − 0.5)
  });
});
