import { softmax_f32, log_softmax_f32, softmax_backward_f32 } from "../../assembly/softmax";
import { max_f32 } from "../../assembly/blas";
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
 * f64 softmax / log-softmax of the kernel's own f32 arguments d = f32(f32(x − m)·invT): isolates what the kernel
 * adds (exp, the f32 sum, 1/Σ, log Σ) from the rounding of x − m, which is inherent to f32 inputs and grows with
 * |x − m| (|d| = 80 alone has a half-ulp of 3.8e-6 relative). NaN and non-finite rows are not handled here.
 */
function refOfArgs(rows: i32, cols: i32, x: StaticArray<f32>, ldx: i32, invT: f32, causal: i32, log: bool): StaticArray<f64> {
  const out = new StaticArray<f64>(max(rows * cols, 1));
  for (let i = 0; i < rows; i++) {
    const cv = visible(i, rows, cols, causal);
    let m: f32 = -Infinity;
    for (let j = 0; j < cv; j++) m = max(m, x[i * ldx + j]);
    let s: f64 = 0;
    for (let j = 0; j < cv; j++) s += Math.exp(<f64>((x[i * ldx + j] - m) * invT));
    for (let j = 0; j < cols; j++) {
      if (j >= cv) { out[i * cols + j] = log ? -Infinity : 0; continue; }
      const d = <f64>((x[i * ldx + j] - m) * invT);
      out[i * cols + j] = log ? d - Math.log(s) : Math.exp(d) / s;
    }
  }
  return out;
}

/** Entries of got (stride ldo) off want (dense) by more than rel·want (softmax; results below FLT_MIN may be 0) or rel·(1 + |want|) (log). */
function countOff(rows: i32, cols: i32, got: StaticArray<f32>, ldo: i32, want: StaticArray<f64>, rel: f64, log: bool): i32 {
  let bad = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const g = <f64>got[i * ldo + j], w = want[i * cols + j];
      if (log) {
        if (w == -Infinity ? g != -Infinity : !(Math.abs(g - w) <= rel * (1 + Math.abs(w)))) bad++;
      } else if (w == 0) {
        if (g != 0) bad++;
      } else if (!(Math.abs(g - w) <= rel * w + 1.2e-38)) bad++;
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

describe("softmax kernels: accuracy of the exp / sum / normalize path, special rows, column consistency", () => {
  it("softmax_f32 and log_softmax_f32 are within 1e-6 of f64 (same f32 arguments) on ragged and long rows", () => {
    // 1e-6: exp_nonpos_v128 is within 2.5e-7 (about 2 ulp), the f32 sum of up to 1027 terms and 1/Σ add a few
    // ulp more. Spread 40 with invT 3.1 puts entries below e^{−87} (the flushing exp path); the others take the
    // path without the flush (row minimum within 87 of the max).
    const colsList: i32[] = [1, 3, 4, 7, 8, 9, 12, 15, 16, 17, 31, 33, 100, 129, 1000, 1027];
    const rows = 4;
    for (let c = 0; c < colsList.length; c++) {
      const cols = colsList[c];
      const ldx = cols + 1, ldo = cols + 2;
      for (let causal = 0; causal < 2; causal++) {
        for (let t = 0; t < 3; t++) {
          const invT: f32 = t == 0 ? 1 : (t == 1 ? 0.37 : 3.1);
          const x = randomBuffer(rows * ldx, <u32>(c * 11 + t * 3 + causal), t == 2 ? 40 : 6);
          const out = zerosBuffer(rows * ldo);
          for (let lg = 0; lg < 2; lg++) {
            if (lg == 0) softmax_f32(rows, cols, ptr(x), ldx, ptr(out), ldo, invT, causal);
            else log_softmax_f32(rows, cols, ptr(x), ldx, ptr(out), ldo, invT, causal);
            const want = refOfArgs(rows, cols, x, ldx, invT, causal, lg == 1);
            expect<i32>(countOff(rows, cols, out, ldo, want, 1e-6, lg == 1)).toBe(0);
          }
        }
      }
    }
  });

  it("equal inputs give bit-identical outputs in the 16-wide body, the 4-wide loop and the 1–3 column tail", () => {
    // Every column goes through the same vector exp (the tail too, in a padded vector), so within a row the output
    // is a function of the input alone.
    const colsList: i32[] = [1, 2, 3, 5, 6, 7, 17, 18, 19, 23, 35, 1027];
    for (let c = 0; c < colsList.length; c++) {
      const cols = colsList[c];
      const x = randomBuffer(cols, <u32>(c + 5), 4);
      for (let j = 0; j < cols; j++) x[j] = <f32>(<i32>(x[j] * 1.5)) * 0.75; // few distinct values, spread out
      const out = zerosBuffer(cols);
      for (let lg = 0; lg < 2; lg++) {
        for (let t = 0; t < 2; t++) {
          const invT: f32 = t == 0 ? 1 : 0.61;
          if (lg == 0) softmax_f32(1, cols, ptr(x), cols, ptr(out), cols, invT, 0);
          else log_softmax_f32(1, cols, ptr(x), cols, ptr(out), cols, invT, 0);
          let bad = 0;
          for (let j = 0; j < cols; j++) {
            for (let k = 0; k < j; k++) {
              if (x[k] == x[j] && reinterpret<u32>(out[k]) != reinterpret<u32>(out[j])) bad++;
            }
          }
          expect<i32>(bad).toBe(0);
        }
      }
    }
  });

  it("NaN or +Infinity in the visible part gives NaN for every visible entry (masked stay 0 / −Infinity)", () => {
    const rows = 3, cols = 21;
    for (let pos = 0; pos < cols; pos += 5) {
      for (let kind = 0; kind < 3; kind++) {
        const x = randomBuffer(rows * cols, <u32>pos, 3);
        // Row 2 sees every column; put the bad value there and in row 1 (which sees 20 columns). kind 2: a NaN
        // with payload bits (they reach the bits the exp builds its scale from; the result must stay NaN).
        const bad: f32 = kind == 0 ? NaN : (kind == 1 ? Infinity : reinterpret<f32>(<u32>0xffc003ff));
        x[2 * cols + pos] = bad;
        x[1 * cols + pos] = bad;
        const out = zerosBuffer(rows * cols);
        for (let lg = 0; lg < 2; lg++) {
          if (lg == 0) softmax_f32(rows, cols, ptr(x), cols, ptr(out), cols, 1, 1);
          else log_softmax_f32(rows, cols, ptr(x), cols, ptr(out), cols, 1, 1);
          for (let j = 0; j < cols; j++) {
            expect<bool>(isNaN(out[2 * cols + j])).toBe(true);
            const v = out[cols + j];
            if (j < cols - 1) expect<bool>(pos == cols - 1 ? !isNaN(v) : isNaN(v)).toBe(true);
            else expect<f32>(v).toBe(lg == 0 ? 0 : -Infinity);
            expect<bool>(isNaN(out[j])).toBe(false); // row 0 untouched by the bad values
          }
        }
      }
    }
  });

  it("a row of NaN and −Infinity only (pmax sees −Infinity) is a NaN row, not an empty one", () => {
    const cols = 9;
    const x = zerosBuffer(2 * cols), out = zerosBuffer(2 * cols);
    for (let j = 0; j < 2 * cols; j++) x[j] = -Infinity;
    x[6] = NaN;                                   // row 0: −Infinity and one NaN
    for (let lg = 0; lg < 2; lg++) {
      if (lg == 0) softmax_f32(2, cols, ptr(x), cols, ptr(out), cols, 1, 0);
      else log_softmax_f32(2, cols, ptr(x), cols, ptr(out), cols, 1, 0);
      for (let j = 0; j < cols; j++) {
        expect<bool>(isNaN(out[j])).toBe(true);
        expect<f32>(out[cols + j]).toBe(lg == 0 ? 0 : -Infinity); // row 1: all −Infinity, no distribution
      }
    }
  });

  it("rows whose minimum sits right at ln(FLT_MIN) below the max: flush or not, tiny weights are right or exactly 0", () => {
    // The kernel leaves the underflow flush out when (min − max)·invT >= ln(FLT_MIN) ≈ −87.3365; check both sides.
    const cols = 21;
    const lows: f32[] = [-87.33, -87.3365, -87.3366, -87.5, -90, -97, -130];
    for (let k = 0; k < lows.length; k++) {
      const x = randomBuffer(cols, <u32>(k + 3), 2);
      x[5] = 10; x[18] = 10 + lows[k]; x[19] = 10 + lows[k] * 0.5;
      const out = zerosBuffer(cols);
      softmax_f32(1, cols, ptr(x), cols, ptr(out), cols, 1, 0);
      const want = refOfArgs(1, cols, x, cols, 1, 0, false);
      expect<i32>(countOff(1, cols, out, cols, want, 1e-6, false)).toBe(0);
      const d = <f64>(x[18] - x[5]);
      if (d < -87.3366) expect<f32>(out[18]).toBe(0);
      if (d > -87.33) expect<bool>(out[18] > 0 && Math.abs(<f64>out[18] - want[18]) <= 1e-6 * want[18]).toBe(true);
      expect<bool>(isFinite(out[18]) && out[18] >= 0).toBe(true);
    }
  });

  it("keeps exact zeros for huge spreads and for −Infinity, in place too (same bits as out of place)", () => {
    const cols = 37;
    const x = randomBuffer(cols, 77, 1);
    x[3] = -Infinity; x[20] = -200; x[33] = -3.4e38; x[36] = 30;
    const out = zerosBuffer(cols);
    softmax_f32(1, cols, ptr(x), cols, ptr(out), cols, 1, 0);
    expect<f32>(out[3]).toBe(0);
    expect<f32>(out[20]).toBe(0);
    expect<f32>(out[33]).toBe(0);
    expect<bool>(out[36] > 0.999999).toBe(true);
    softmax_f32(1, cols, ptr(x), cols, ptr(x), cols, 1, 0);
    for (let j = 0; j < cols; j++) expect<u32>(reinterpret<u32>(x[j])).toBe(reinterpret<u32>(out[j]));
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
