// Vector math: exp and tanh over f32, 4 lanes at a time, plus scalar twins with the same algorithm.
//
// Contract for the exported kernels: pointers are byte offsets into linear memory of f32 arrays, `n` is
// an element count >= 0, `out` may equal `x` (each element is read before it is written), no allocation.
//
// exp(x), the algorithm shared by exp_v128 and exp_scalar:
//   1. Range reduction. n = round(x·log2(e)), r = x − n·ln2, so |r| <= ln2/2 and e^x = 2^n · e^r.
//      ln2 is split Cody–Waite style into LN2_HI + LN2_LO: LN2_HI = 355/512 has 9 significant bits, so
//      n·LN2_HI is exact for |n| <= 2^15, and x − n·LN2_HI is exact (Sterbenz: the two are within a
//      factor 2 of each other whenever n != 0). Only n·LN2_LO (|.| < 0.03) rounds.
//   2. e^r = 1 + r + r²·(C2 + r·(C3 + … + r·C6)). The coefficients are a degree-6 fit to e^r with
//      C0 = C1 = 1 pinned, minimising the relative error on [−ln2/2, ln2/2] (Lawson-reweighted least
//      squares, done offline for this file): truncation error 4e-9, so f32 rounding dominates.
//   3. Scale by 2^n by adding n to the exponent field of e^r (an integer add on the bits). e^r lies in
//      [0.707, 1.415], so this is exact as long as the result is a normal float, which step 4 ensures.
//   4. Edges, chosen by comparisons on x so that no garbage from step 3 survives:
//      x > EXP_HI (the largest f32 whose exp is below FLT_MAX is 88.72283) → +Infinity (also x = +Inf);
//      x < EXP_LO = ln(FLT_MIN) → 0: results that would be subnormal are flushed to zero, as are −Inf;
//      NaN → NaN (no comparison is true, and NaN flows through the arithmetic).
// Measured in tests/assembly/vmath.spec.ts (2^21-point grid and a sweep of f32 bit patterns over the range
// with normal results): max relative error vs Math.exp (f64) 1.19e-7, i.e. about 2 ulp. The scalar twin
// gives bit-identical results (same operations in the same order, no FMA).

import { fmadd, fnmadd } from "./simd";
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;          // 355/512
const LN2_LO: f32 = -2.12194440e-4;       // ln2 − LN2_HI
const EXP_HI: f32 = 88.72283172607421875;  // the largest f32 below ln(FLT_MAX) = 88.7228391
export const EXP_LO: f32 = -87.33654475;  // ln(FLT_MIN); below it the result is subnormal → 0
const C2: f32 = 4.999999404e-1;
const C3: f32 = 1.666652113e-1;
const C4: f32 = 4.166838899e-2;
const C5: f32 = 8.368710056e-3;
const C6: f32 = 1.381461276e-3;

// tanh(x) for |x| < TANH_SMALL comes from its odd Taylor series (terms to x^11, relative truncation error
// 2e-9 there): the exp-based form (1 − e^{−2|x|})/(1 + e^{−2|x|}) loses relative accuracy to cancellation
// as |x| → 0 (the error of e^{−2|x|} is amplified by 2t/(1 − t²), already ~1.6 at |x| = 0.3).
const TANH_SMALL: f32 = 0.3;
const T3: f32 = -0.333333333333333333;   // -1/3
const T5: f32 = 0.133333333333333333;    // 2/15
const T7: f32 = -0.053968253968253968;   // -17/315
const T9: f32 = 0.021869488536155203;    // 62/2835
const T11: f32 = -0.008863235529902197;  // -1382/155925

/** e^x on each lane (see the header for the algorithm and the edge cases). */
// @ts-ignore: decorator
@inline export function exp_v128(x: v128): v128 {
  const nf = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(nf, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(nf, f32x4.splat(LN2_LO)));
  let p = fmadd(r, f32x4.splat(C6), f32x4.splat(C5));
  p = fmadd(r, p, f32x4.splat(C4));
  p = fmadd(r, p, f32x4.splat(C3));
  p = fmadd(r, p, f32x4.splat(C2));
  p = fmadd(f32x4.mul(r, r), p, f32x4.add(f32x4.splat(1), r));
  // trunc_sat keeps huge or NaN lanes defined; those lanes are replaced below anyway.
  const scaled = i32x4.add(p, i32x4.shl(i32x4.trunc_sat_f32x4_s(nf), 23));
  const res = v128.bitselect(f32x4.splat(Infinity), scaled, f32x4.gt(x, f32x4.splat(EXP_HI)));
  return v128.andnot(res, f32x4.lt(x, f32x4.splat(EXP_LO)));
}

// ---- exp for softmax: e^d for d <= 0 (exp_nonpos_v128) ----
//
// softmax only ever needs e^d for d = (x − max)·invT <= 0, so this variant drops what that domain makes
// unnecessary and spends fewer operations: 19 vector ops per 4 floats without FMA, 11 with FMA (21 and 13 in
// softmax's loop with the subtract and the sum; the previous version, exp_v128's algorithm with the rounding
// shifter, took 23 without FMA). Its own algorithm:
//   1. n = round(d·log2 e) from the rounding shifter: for |y| < 2^22, y + SHIFT_B (SHIFT_B = 1.5·2^23 + 127)
//      lands in [2^23, 2^24), where the f32 spacing is 1, so the add rounds y to the nearest integer (ties to
//      even) and leaves n + 127 in the low mantissa bits. nf = k − SHIFT_B = n exactly, and (bits(k) << 23) is
//      the bit pattern of s = 2^n (the exponent and the high mantissa bits shift out), for n >= −126.
//   2. r = d − n·ln2 in two Cody–Waite steps with the same LN2_HI / LN2_LO split as exp_v128: n·LN2_HI is exact
//      (9 + 8 bits) and so is d − n·LN2_HI (Sterbenz); only n·LN2_LO (|.| < 0.03) rounds. |r| <= ln2/2 (+ a few
//      ulp when x·log2 e rounds to a tie). With FMA (relaxed build) the same two steps are fused: still exact.
//   3. t = e^r − 1 = r + r²·(E2 + r·E3 + r²·E4 + r³·E5): a degree-5 minimax fit of e^r with the first two
//      coefficients pinned to 1, relative truncation error 1.04e-7 on [−0.348, 0.348] (linear program over a
//      dense grid, done offline for this file). Estrin's scheme without FMA (shorter dependency chain), Horner
//      with FMA (one op fewer).
//   4. e^d = s + s·t = 2^n·(1 + t): one multiply-add. A power-of-two factor is exact, so this rounds once,
//      like 1 + t would. NaN in d gives NaN here (NaN·s), whatever k's bits were: a NaN input is never lost.
//   5. flush = true: d < EXP_LO (ln FLT_MIN, including −Infinity) gives exactly 0 (one compare + and-not).
//      flush = false is for callers that know every lane has EXP_LO <= d <= 0 (softmax checks the row minimum
//      first); then n >= −126 and s is a normal power of two. Results in [FLT_MIN·(1 − 1e-7), FLT_MIN) may
//      come out subnormal there instead of being flushed (correctly rounded, just not flushed).
// Error bound: max relative error vs Math.exp (f64) below 2.5e-7 on [EXP_LO, 0], i.e. about 2 ulp (truncation
// 1.04e-7 plus the roundings of n·LN2_LO, the polynomial and the final multiply-add; exp_v128 has 1.19e-7).
// Measured 1.79e-7 in tests/assembly/vmath.spec.ts (every 251st f32, which asserts < 2.5e-7), and over every
// 13th f32 of the range 1.83e-7 without FMA, 1.86e-7 with (relaxed build, fused).
// The argument d itself comes rounded from x − max: that error (up to |d|·6e-8) is softmax's, not exp's.
const SHIFT_B: f32 = 12583039.0; // 1.5·2^23 + 127
const E2: f32 = 0.49999225;
const E3: f32 = 0.16667093;
const E4: f32 = 0.041891094;
const E5: f32 = 0.008314593;

/**
 * e^d on each lane for d <= 0 (see above): exactly 1 at d = 0; with flush (the default) exactly 0 for
 * d < ln(FLT_MIN) and −Infinity; NaN stays NaN. Without flush the caller guarantees ln(FLT_MIN) <= d <= 0 or
 * NaN on every lane. Out of domain (d > 0) the result is garbage.
 */
// @ts-ignore: decorator
@inline export function exp_nonpos_v128(d: v128, flush: bool = true): v128 {
  const k = fmadd(d, f32x4.splat(LOG2E), f32x4.splat(SHIFT_B));
  const nf = f32x4.sub(k, f32x4.splat(SHIFT_B)); // = round(d·log2 e), exactly
  let r = fnmadd(nf, f32x4.splat(LN2_HI), d);
  r = fnmadd(nf, f32x4.splat(LN2_LO), r);
  const r2 = f32x4.mul(r, r);
  let t: v128;
  if (ASC_FEATURE_RELAXED_SIMD) {
    // Horner with fused multiply-adds: 3 + 1, no constant 1 needed (t = r + r²·q).
    let q = fmadd(r, f32x4.splat(E5), f32x4.splat(E4));
    q = fmadd(r, q, f32x4.splat(E3));
    q = fmadd(r, q, f32x4.splat(E2));
    t = fmadd(r2, q, r);
  } else {
    // Estrin: the two halves of q are independent, so the chain is 4 operations shorter than Horner's.
    const a = fmadd(r, f32x4.splat(E3), f32x4.splat(E2));
    const b = fmadd(r, f32x4.splat(E5), f32x4.splat(E4));
    t = fmadd(r2, fmadd(r2, b, a), r);
  }
  const s = i32x4.shl(k, 23); // 2^n
  const e = fmadd(t, s, s);
  return flush ? v128.andnot(e, f32x4.lt(d, f32x4.splat(EXP_LO))) : e;
}

/** e^x, the scalar twin of exp_v128 (same reduction, polynomial and edges; used for tails and the scalar build). */
// @ts-ignore: decorator
@inline export function exp_scalar(x: f32): f32 {
  if (x > EXP_HI) return Infinity;
  if (x < EXP_LO) return 0;
  if (x != x) return x;
  const nf = nearest<f32>(x * LOG2E);
  let r = x - nf * LN2_HI;
  r = r - nf * LN2_LO;
  let p = C5 + r * C6;
  p = C4 + r * p;
  p = C3 + r * p;
  p = C2 + r * p;
  p = (<f32>1 + r) + (r * r) * p;
  return reinterpret<f32>(reinterpret<i32>(p) + (<i32>nf << 23));
}

/** tanh(x) on each lane: odd series near 0, (1 − e^{−2|x|})/(1 + e^{−2|x|}) with x's sign elsewhere (→ ±1, never Inf/Inf). */
// @ts-ignore: decorator
@inline export function tanh_v128(x: v128): v128 {
  const a = f32x4.abs(x);
  const t = exp_v128(f32x4.mul(a, f32x4.splat(-2)));
  const one = f32x4.splat(1);
  const big = f32x4.div(f32x4.sub(one, t), f32x4.add(one, t));
  const signed = v128.or(big, v128.and(x, f32x4.splat(-0.0)));
  const x2 = f32x4.mul(x, x);
  let q = fmadd(x2, f32x4.splat(T11), f32x4.splat(T9));
  q = fmadd(x2, q, f32x4.splat(T7));
  q = fmadd(x2, q, f32x4.splat(T5));
  q = fmadd(x2, q, f32x4.splat(T3));
  const small = fmadd(f32x4.mul(x, x2), q, x);
  return v128.bitselect(small, signed, f32x4.lt(a, f32x4.splat(TANH_SMALL)));
}

/** tanh(x), the scalar twin of tanh_v128. */
// @ts-ignore: decorator
@inline export function tanh_scalar(x: f32): f32 {
  const a = abs<f32>(x);
  if (a < TANH_SMALL) {
    const x2 = x * x;
    let q = T9 + x2 * T11;
    q = T7 + x2 * q;
    q = T5 + x2 * q;
    q = T3 + x2 * q;
    return x + (x * x2) * q;
  }
  const t = exp_scalar(<f32>-2 * a);
  return copysign<f32>((<f32>1 - t) / (<f32>1 + t), x);
}

/** out[i] = e^{x[i]} for i < n (out may equal x). */
export function exp_f32(n: i32, x: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // Two independent vectors per iteration: each exp is a long dependent chain, so this gives the
    // out-of-order core twice the work to overlap (measured 1.7× faster than one vector per iteration).
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const e0 = exp_v128(v128.load(x + o));
      const e1 = exp_v128(v128.load(x + o, 16));
      v128.store(out + o, e0);
      v128.store(out + o, e1, 16);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, exp_v128(v128.load(x + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, exp_scalar(load<f32>(x + o)));
  }
}

/** out[i] = tanh(x[i]) for i < n (out may equal x); exactly ±1 once |x| > 9, NaN stays NaN. */
export function tanh_f32(n: i32, x: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) { // two independent chains, as in exp_f32
      const o = <usize>i << 2;
      const t0 = tanh_v128(v128.load(x + o));
      const t1 = tanh_v128(v128.load(x + o, 16));
      v128.store(out + o, t0);
      v128.store(out + o, t1, 16);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, tanh_v128(v128.load(x + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, tanh_scalar(load<f32>(x + o)));
  }
}
