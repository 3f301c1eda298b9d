import { softmax_f32, log_softmax_f32, softmax_backward_f32 } from "../../assembly/softmax";
import { patternBuffer, zerosBuffer, ptr } from "./helpers/buffers";

const SIZES: i32[] = [1, 2, 3, 4, 5, 7, 8, 17, 33, 65, 129];

/** Deterministic values in [-a, a) from an xorshift generator (the pattern helper repeats every 11). */
function randomBuffer(n: i32, seed: u32, a: f32): StaticArray<f32> {
  const out = new StaticArray<f32>(max(n, 1));
  let s: u32 = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >> 17; s ^= s << 5;
    out[i] = (<f32>(s >> 8) / <f32>16777216.0 * 2 - 1) * a;
  }
  return out;
}

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
