import { exp_f32, tanh_f32, exp_scalar, tanh_scalar, exp_v128, exp_nonpos_v128 } from "../../assembly/vmath";
import { patternBuffer, zerosBuffer, ptr } from "./helpers/buffers";

const SIZES: i32[] = [0, 1, 2, 3, 4, 5, 7, 8, 17, 33, 65, 129];
// Where e^x is a normal f32: ln(FLT_MIN) <= x <= ln(FLT_MAX).
const LO: f32 = -87.3365;
const HI: f32 = 88.7228;
const CHUNK = 4096;

function relErr(got: f32, want: f64): f64 {
  return Math.abs(<f64>got - want) / Math.abs(want);
}

/** Runs exp_f32 (the vector path: CHUNK is a multiple of 4) and exp_scalar over xs, returns the larger max relative error. */
function expChunkErr(xs: StaticArray<f32>, out: StaticArray<f32>, count: i32): f64 {
  exp_f32(count, ptr(xs), ptr(out));
  let worst: f64 = 0;
  for (let i = 0; i < count; i++) {
    const want = Math.exp(<f64>xs[i]);
    worst = Math.max(worst, relErr(out[i], want));
    worst = Math.max(worst, relErr(exp_scalar(xs[i]), want));
  }
  return worst;
}

describe("exp", () => {
  it("computes hand values exactly or to the last bits", () => {
    expect<f32>(exp_scalar(0)).toBe(1);
    const x = new StaticArray<f32>(8), out = new StaticArray<f32>(8);
    x[0] = 0; x[1] = 1; x[2] = -1; x[3] = <f32>Math.LN2;
    x[4] = 10; x[5] = -10; x[6] = 0.5; x[7] = 2;
    exp_f32(8, ptr(x), ptr(out));
    expect<f32>(out[0]).toBe(1);
    for (let i = 0; i < 8; i++) {
      expect<bool>(relErr(out[i], Math.exp(<f64>x[i])) < 3e-7).toBe(true);
    }
  });

  it("has max relative error below 1e-6 on a uniform grid of 2^21 points over the normal range", () => {
    const xs = new StaticArray<f32>(CHUNK), out = new StaticArray<f32>(CHUNK);
    const total = 1 << 21;
    const step = (<f64>HI - <f64>LO) / <f64>total;
    let worst: f64 = 0;
    for (let base = 0; base < total; base += CHUNK) {
      for (let i = 0; i < CHUNK; i++) xs[i] = <f32>(<f64>LO + <f64>(base + i) * step);
      worst = Math.max(worst, expChunkErr(xs, out, CHUNK));
    }
    log<string>("exp max relative error, uniform grid: " + worst.toString());
    expect<bool>(worst < 1e-6).toBe(true);
  });

  it("has max relative error below 1e-6 on a sweep of f32 bit patterns (all magnitudes, both signs)", () => {
    const xs = new StaticArray<f32>(CHUNK), out = new StaticArray<f32>(CHUNK);
    let worst: f64 = 0;
    // From 2^-40 (where e^x rounds to 1) up to the range ends, every 509th representable float.
    const startBits: u32 = reinterpret<u32>(<f32>9.094947e-13);
    for (let sign = 0; sign < 2; sign++) {
      const endBits: u32 = reinterpret<u32>(sign == 0 ? HI : -LO);
      let bits = startBits;
      while (bits <= endBits) {
        let count = 0;
        for (; count < CHUNK && bits <= endBits; count++, bits += 509) {
          const v = reinterpret<f32>(bits);
          xs[count] = sign == 0 ? v : -v;
        }
        worst = Math.max(worst, expChunkErr(xs, out, count));
      }
    }
    log<string>("exp max relative error, bit-pattern sweep: " + worst.toString());
    expect<bool>(worst < 1e-6).toBe(true);
  });

  it("handles overflow, underflow, infinities and NaN on both paths", () => {
    const x = new StaticArray<f32>(12), out = new StaticArray<f32>(12);
    x[0] = 89; x[1] = 1e30; x[2] = Infinity; x[3] = -88; x[4] = -1e30; x[5] = -Infinity;
    x[6] = NaN; x[7] = 88.72; x[8] = -87.3; x[9] = 3.4e38; x[10] = -3.4e38; x[11] = 88.7229;
    for (let path = 0; path < 2; path++) {
      if (path == 0) exp_f32(12, ptr(x), ptr(out)); // lanes 0..7 vector, 8..11 vector too
      else for (let i = 0; i < 12; i++) out[i] = exp_scalar(x[i]);
      expect<f32>(out[0]).toBe(Infinity);
      expect<f32>(out[1]).toBe(Infinity);
      expect<f32>(out[2]).toBe(Infinity);
      expect<f32>(out[3]).toBe(0);
      expect<f32>(out[4]).toBe(0);
      expect<f32>(out[5]).toBe(0);
      expect<bool>(isNaN(out[6])).toBe(true);
      expect<bool>(isFinite(out[7]) && relErr(out[7], Math.exp(<f64>x[7])) < 1e-6).toBe(true);
      expect<bool>(relErr(out[8], Math.exp(<f64>x[8])) < 1e-6).toBe(true);
      expect<f32>(out[9]).toBe(Infinity);
      expect<f32>(out[10]).toBe(0);
      expect<f32>(out[11]).toBe(Infinity);
    }
  });

  it("gives bit-identical results on the vector path and the scalar tail, on every ragged size, in place", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = patternBuffer(n, s), out = zerosBuffer(n);
      for (let i = 0; i < n; i++) x[i] = x[i] * 7.3 + 0.01 * <f32>i;
      exp_f32(n, ptr(x), ptr(out));
      for (let i = 0; i < n; i++) expect<f32>(out[i]).toBe(exp_scalar(x[i]));
      exp_f32(n, ptr(x), ptr(x));
      for (let i = 0; i < n; i++) expect<f32>(x[i]).toBe(out[i]);
    }
  });

  it("writes exactly n values", () => {
    const x = patternBuffer(8, 1), out = zerosBuffer(8);
    out[5] = 42;
    exp_f32(5, ptr(x), ptr(out));
    expect<f32>(out[5]).toBe(42);
  });
});

/** Lane-by-lane bit comparison of exp_nonpos_v128 with exp_v128 and exp_scalar; returns the mismatches. */
function mismatches(a: f32, b: f32, c: f32, d: f32): i32 {
  if (!ASC_FEATURE_SIMD) return 0; // vector-only function: nothing to compare in the scalar build
  const v = f32x4(a, b, c, d);
  v128.store(ptr(LANES), exp_nonpos_v128(v));
  v128.store(ptr(LANES), exp_v128(v), 16);
  let bad = 0;
  for (let l = 0; l < 4; l++) {
    const lane: f32 = l == 0 ? a : (l == 1 ? b : (l == 2 ? c : d));
    const got = reinterpret<u32>(LANES[l]);
    if (got != reinterpret<u32>(LANES[4 + l])) bad++;
    if (got != reinterpret<u32>(exp_scalar(lane))) bad++;
  }
  return bad;
}
const LANES = new StaticArray<f32>(8);

describe("exp_nonpos_v128 (softmax's exp on x <= 0)", () => {
  it("is bit-identical to exp_v128 and exp_scalar on a sweep of every non-positive magnitude", () => {
    // Every 1021st bit pattern from −0 down to −Infinity (so below EXP_LO and the huge magnitudes too).
    let bad = 0;
    const end: u32 = 0xff800000;
    let bits: u32 = 0x80000000;
    while (bits < end) {
      const b1 = min(bits + 1021, end), b2 = min(bits + 2042, end), b3 = min(bits + 3063, end);
      bad += mismatches(reinterpret<f32>(bits), reinterpret<f32>(b1), reinterpret<f32>(b2), reinterpret<f32>(b3));
      bits += 4084;
    }
    expect<i32>(bad).toBe(0);
  });

  it("gives exactly 1 at 0, exactly 0 below ln(FLT_MIN) and at −Infinity, and matches at the edges", () => {
    if (!ASC_FEATURE_SIMD) return;
    const v = exp_nonpos_v128(f32x4(0, -0.0, -Infinity, -3.4e38));
    expect<f32>(f32x4.extract_lane(v, 0)).toBe(1);
    expect<f32>(f32x4.extract_lane(v, 1)).toBe(1);
    expect<f32>(f32x4.extract_lane(v, 2)).toBe(0);
    expect<f32>(f32x4.extract_lane(v, 3)).toBe(0);
    // Around EXP_LO = ln(FLT_MIN) and the rounding ties of x·log2(e) (n = −126 … −125, −1 … 0).
    expect<i32>(mismatches(-87.33654, -87.33655, -87.3365, -87.4)).toBe(0);
    expect<i32>(mismatches(-86.98, -0.34657359, -0.34657362, -1e-30)).toBe(0);
    expect<i32>(mismatches(-1.0397208, -1.0397207, -0.6931472, -0.6931471)).toBe(0);
  });
});

describe("tanh", () => {
  it("matches Math.tanh to 1e-6 relative over a sweep (both small-argument series and exp form)", () => {
    const xs = new StaticArray<f32>(CHUNK), out = new StaticArray<f32>(CHUNK);
    let worst: f64 = 0;
    // Geometric sweep from 1e-20 to 20 on both signs: relative accuracy near 0 is the hard part.
    for (let sign = 0; sign < 2; sign++) {
      for (let base = 0; base < 65536; base += CHUNK) {
        for (let i = 0; i < CHUNK; i++) {
          const v = <f32>(1e-20 * Math.pow(2e21, <f64>(base + i) / 65536.0));
          xs[i] = sign == 0 ? v : -v;
        }
        tanh_f32(CHUNK, ptr(xs), ptr(out));
        for (let i = 0; i < CHUNK; i++) {
          const want = Math.tanh(<f64>xs[i]);
          worst = Math.max(worst, relErr(out[i], want));
          worst = Math.max(worst, relErr(tanh_scalar(xs[i]), want));
        }
      }
    }
    log<string>("tanh max relative error: " + worst.toString());
    expect<bool>(worst < 1e-6).toBe(true);
  });

  it("is stable for large |x|, odd, and keeps 0, NaN", () => {
    const x = new StaticArray<f32>(9), out = new StaticArray<f32>(9);
    x[0] = 50; x[1] = -50; x[2] = 1e30; x[3] = -1e30; x[4] = Infinity; x[5] = -Infinity;
    x[6] = 0; x[7] = NaN; x[8] = 10;
    tanh_f32(9, ptr(x), ptr(out));
    expect<f32>(out[0]).toBe(1);
    expect<f32>(out[1]).toBe(-1);
    expect<f32>(out[2]).toBe(1);
    expect<f32>(out[3]).toBe(-1);
    expect<f32>(out[4]).toBe(1);
    expect<f32>(out[5]).toBe(-1);
    expect<f32>(out[6]).toBe(0);
    expect<bool>(isNaN(out[7])).toBe(true);
    expect<f32>(out[8]).toBe(1);
    for (let i = 0; i < 9; i++) {
      if (i == 7) continue;
      const s = tanh_scalar(x[i]);
      expect<f32>(s).toBe(out[i]);
    }
  });

  it("vector path equals the scalar twin on ragged sizes, in place", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = patternBuffer(n, s), out = zerosBuffer(n);
      for (let i = 0; i < n; i++) x[i] = x[i] * 0.37;
      tanh_f32(n, ptr(x), ptr(out));
      for (let i = 0; i < n; i++) expect<f32>(out[i]).toBe(tanh_scalar(x[i]));
      tanh_f32(n, ptr(x), ptr(x));
      for (let i = 0; i < n; i++) expect<f32>(x[i]).toBe(out[i]);
    }
  });
});
