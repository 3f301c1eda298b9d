// Row-wise softmax, log-softmax and the softmax backward over row-major f32 matrices.
//
// Contract for the exported kernels: pointers are byte offsets into linear memory; `rows`, `cols` >= 0; row
// strides `ldx`, `ldo`, … are in elements and >= cols. Only the rows×cols elements are touched. `out` may equal
// `x` when the strides are equal too (each row is read before its outputs are written). No allocation.
//
// Causal masking (causal != 0): row i sees the columns j <= i + (cols − rows). For square inputs this is j <= i;
// with cols > rows the rows are the LAST `rows` positions of a longer sequence (queries against a KV cache).
// Masked entries are never read and are written as exactly 0 (softmax) or −Infinity (log-softmax).
//
// Numerics: the row maximum m over the visible entries is subtracted before exp, so inputs of any finite
// magnitude (±1e30, ±FLT_MAX) never overflow; x − m may round to −Infinity, which gives 0 as it should.
// −Infinity inputs (already-masked scores) give 0. A row with no visible column, or whose visible entries are
// all −Infinity, has no distribution: softmax writes 0 for the whole row (NaN-free), log-softmax −Infinity.
// +Infinity or NaN inputs give NaN in their row. invTemperature must be finite and > 0.

import { exp_nonpos_v128, exp_scalar, EXP_LO } from "./vmath";
import { dot_f32, fill_f32, max_f32, scale_f32, hsum4 } from "./blas";

/** Visible column count of row i under the causal rule (clamped to [0, cols]); cols when not causal. */
// @ts-ignore: decorator
@inline export function visible_cols(i: i32, rows: i32, cols: i32, causal: i32): i32 {
  if (!causal) return cols;
  return min(max(i + 1 + (cols - rows), 0), cols);
}

// ---- SIMD building blocks ----
//
// Per row, three passes; the row (4 KiB at 1024 columns) stays in L1 after the first:
//   1. max_min_v: the row max m and min with f32x4.pmax / pmin (one maxps / minps each; f32x4.max lowers to
//      about eight x86 instructions), two accumulators each, a pairwise tree per 8 vectors. pmax / pmin drop
//      NaN lanes, which is fine here: a NaN input still reaches the exp sum (exp_nonpos_v128 propagates it
//      whatever its payload), and a NaN Σ makes the row a NaN row; a row whose pmax is −Infinity is rescanned
//      for NaN (NaN among −Infinity). ±0 ties do not matter (x − (−0) and x − (+0) are equal).
//   2. exp_store_sum: e = exp_nonpos_v128((x − m)·invT) (vmath.ts: about 21 vector ops per 4 floats without FMA,
//      13 with), stored and summed, 4 vectors per iteration (4 exp chains in flight, 2 accumulators). When
//      (min − m)·invT >= EXP_LO, which the rounding's monotonicity makes a bound for every lane, the underflow
//      flush (a compare and an and-not per vector) is left out: the common case for real logits.
//      While it runs it also touches one vector per 64-byte line of the next row (a plain load whose value is
//      dropped), so that row is in L1 when its max pass starts: without that the max pass waits on L2/L3
//      (measured ≈ 0.1 ms of 1.1 ms at 1024×1024).
//   3. a multiply by 1/Σ (one division per row), zeros for the masked columns. softmax_f32 runs it in one loop
//      with the next row's max/min pass (scale_then_max_min); softmax_row_f32 (attention) as its own loop.
// Accuracy: the f32 rounding of x − m dominates (|x − m|·6e-8 relative); exp adds at most 2.5e-7 (about 2 ulp),
// the f32 sum and 1/Σ a few ulp more (tests/assembly/softmax.spec.ts: 1e-6 against f64 of the same arguments).

/** [max, min, ·, ·] of x[0..n) with pmax / pmin (NaN lanes ignored; −Infinity / +Infinity for n = 0). */
// @ts-ignore: decorator
@inline function max_min_v(n: i32, x: usize): v128 {
  let a0 = f32x4.splat(-Infinity), a1 = a0;
  let b0 = f32x4.splat(Infinity), b1 = b0;
  let j = 0;
  for (; j + 32 <= n; j += 32) {
    const o = <usize>j << 2;
    const v0 = v128.load(x + o), v1 = v128.load(x + o, 16), v2 = v128.load(x + o, 32), v3 = v128.load(x + o, 48);
    const v4 = v128.load(x + o, 64), v5 = v128.load(x + o, 80), v6 = v128.load(x + o, 96), v7 = v128.load(x + o, 112);
    a0 = f32x4.pmax(a0, f32x4.pmax(f32x4.pmax(v0, v1), f32x4.pmax(v2, v3)));
    a1 = f32x4.pmax(a1, f32x4.pmax(f32x4.pmax(v4, v5), f32x4.pmax(v6, v7)));
    b0 = f32x4.pmin(b0, f32x4.pmin(f32x4.pmin(v0, v1), f32x4.pmin(v2, v3)));
    b1 = f32x4.pmin(b1, f32x4.pmin(f32x4.pmin(v4, v5), f32x4.pmin(v6, v7)));
  }
  for (; j + 4 <= n; j += 4) {
    const v = v128.load(x + (<usize>j << 2));
    a0 = f32x4.pmax(a0, v);
    b0 = f32x4.pmin(b0, v);
  }
  a0 = f32x4.pmax(a0, a1);
  b0 = f32x4.pmin(b0, b1);
  // Lanes: fold 2,3 onto 0,1, then 1 onto 0; max in lane 0 of a, min in lane 0 of b.
  a0 = f32x4.pmax(a0, v128.shuffle<f32>(a0, a0, 2, 3, 2, 3));
  b0 = f32x4.pmin(b0, v128.shuffle<f32>(b0, b0, 2, 3, 2, 3));
  let m = max(f32x4.extract_lane(a0, 0), f32x4.extract_lane(a0, 1));
  let mn = min(f32x4.extract_lane(b0, 0), f32x4.extract_lane(b0, 1));
  for (; j < n; j++) {
    const v = load<f32>(x + (<usize>j << 2));
    m = v > m ? v : m;
    mn = v < mn ? v : mn;
  }
  return f32x4(m, mn, 0, 0);
}

/** True when some x[0..n) is NaN (the exact scan for the rare rows whose pmax is −Infinity). */
function has_nan(n: i32, x: usize): bool {
  for (let j = 0; j < n; j++) {
    const v = load<f32>(x + (<usize>j << 2));
    if (v != v) return true;
  }
  return false;
}

/** e = exp_nonpos_v128((v − m)·invT), or of v − m when !scaled (invT = 1: (x − m)·1 is x − m exactly). */
// @ts-ignore: decorator
@inline function exp_shifted(v: v128, vm: v128, vt: v128, scaled: bool, flush: bool): v128 {
  const d = f32x4.sub(v, vm);
  return exp_nonpos_v128(scaled ? f32x4.mul(d, vt) : d, flush);
}

/**
 * out[j] = e^{(x[j] − m)·invT} for j < n (not written when !write), returns Σ. m must be the finite row max
 * (NaN inputs give a NaN sum); with !flush every (x[j] − m)·invT must be >= EXP_LO. `next` is touched (one
 * load per 64 bytes over the same n·4 bytes, values dropped) to bring the next row into L1; pass x for none.
 */
// @ts-ignore: decorator
@inline function exp_store_sum(
  n: i32, x: usize, out: usize, m: f32, invT: f32, next: usize, write: bool, scaled: bool, flush: bool,
): f32 {
  const vm = f32x4.splat(m), vt = f32x4.splat(invT);
  let s0 = f32x4.splat(0), s1 = s0;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const o = <usize>j << 2;
    const e0 = exp_shifted(v128.load(x + o), vm, vt, scaled, flush);
    const e1 = exp_shifted(v128.load(x + o, 16), vm, vt, scaled, flush);
    const e2 = exp_shifted(v128.load(x + o, 32), vm, vt, scaled, flush);
    const e3 = exp_shifted(v128.load(x + o, 48), vm, vt, scaled, flush);
    v128.load(next + o); // prefetch (V8 and Binaryen keep a load that may trap; its value is unused)
    if (write) {
      v128.store(out + o, e0);
      v128.store(out + o, e1, 16);
      v128.store(out + o, e2, 32);
      v128.store(out + o, e3, 48);
    }
    s0 = f32x4.add(s0, f32x4.add(e0, e1));
    s1 = f32x4.add(s1, f32x4.add(e2, e3));
  }
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const e = exp_shifted(v128.load(x + o), vm, vt, scaled, flush);
    if (write) v128.store(out + o, e);
    s0 = f32x4.add(s0, e);
  }
  const rem = n - j;
  if (rem > 0) {
    // 1–3 leftover columns go through the same vector exp (so every column gets the same function of its
    // input), the missing lanes filled with m (→ e^0) and then zeroed.
    const o = <usize>j << 2;
    const x1 = rem > 1 ? load<f32>(x + o, 4) : m;
    const x2 = rem > 2 ? load<f32>(x + o, 8) : m;
    const v = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(vm, 0, load<f32>(x + o)), 1, x1), 2, x2);
    const keep = i32x4(-1, rem > 1 ? -1 : 0, rem > 2 ? -1 : 0, 0);
    const e = v128.and(exp_shifted(v, vm, vt, scaled, flush), keep);
    if (write) {
      store<f32>(out + o, f32x4.extract_lane(e, 0));
      if (rem > 1) store<f32>(out + o, f32x4.extract_lane(e, 1), 4);
      if (rem > 2) store<f32>(out + o, f32x4.extract_lane(e, 2), 8);
    }
    s0 = f32x4.add(s0, e);
  }
  return hsum4(f32x4.add(s0, s1));
}

/** exp_store_sum with the flush decided from the row minimum, and the invT = 1 loop without the multiply. */
// @ts-ignore: decorator
@inline function exp_sum_v(n: i32, x: usize, out: usize, m: f32, mn: f32, invT: f32, next: usize, write: bool): f32 {
  // Rounding is monotonic, so every lane's (x − m)·invT is >= (mn − m)·invT; NaN lanes do not matter (they
  // make the sum NaN either way). −Infinity inputs or huge spreads make the bound −Infinity → flush.
  const noFlush = (mn - m) * invT >= EXP_LO;
  if (invT == 1) {
    return noFlush
      ? exp_store_sum(n, x, out, m, 1, next, write, false, false)
      : exp_store_sum(n, x, out, m, 1, next, write, false, true);
  }
  return noFlush
    ? exp_store_sum(n, x, out, m, invT, next, write, true, false)
    : exp_store_sum(n, x, out, m, invT, next, write, true, true);
}

/** out[j] = x[j]·a for j < n, 4 vectors per iteration (out may equal x). */
// @ts-ignore: decorator
@inline function scale_row(n: i32, a: f32, x: usize, out: usize): void {
  const va = f32x4.splat(a);
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const o = <usize>j << 2;
    const v0 = f32x4.mul(v128.load(x + o), va), v1 = f32x4.mul(v128.load(x + o, 16), va);
    const v2 = f32x4.mul(v128.load(x + o, 32), va), v3 = f32x4.mul(v128.load(x + o, 48), va);
    v128.store(out + o, v0);
    v128.store(out + o, v1, 16);
    v128.store(out + o, v2, 32);
    v128.store(out + o, v3, 48);
  }
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(out + o, f32x4.mul(v128.load(x + o), va));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(out + o, load<f32>(x + o) * a);
  }
}

// ---- scalar build ----

/**
 * Σ and (when write) out[j] = e^{(x[j] − m)·invT} with exp_scalar; m the finite row max. Four partial sums (one per
 * column mod 4, like the vector lanes): a single running sum over 1000+ terms loses about sqrt(n) ulp.
 */
// @ts-ignore: decorator
@inline function exp_sum_scalar(n: i32, x: usize, out: usize, m: f32, invT: f32, write: bool): f32 {
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const e0 = exp_scalar((load<f32>(x + o) - m) * invT);
    const e1 = exp_scalar((load<f32>(x + o, 4) - m) * invT);
    const e2 = exp_scalar((load<f32>(x + o, 8) - m) * invT);
    const e3 = exp_scalar((load<f32>(x + o, 12) - m) * invT);
    if (write) {
      store<f32>(out + o, e0);
      store<f32>(out + o, e1, 4);
      store<f32>(out + o, e2, 8);
      store<f32>(out + o, e3, 12);
    }
    s0 += e0; s1 += e1; s2 += e2; s3 += e3;
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const e = exp_scalar((load<f32>(x + o) - m) * invT);
    if (write) store<f32>(out + o, e);
    s0 += e;
  }
  return (s0 + s1) + (s2 + s3);
}

/**
 * Softmax of one row of `cols` entries of which the first `cv` are visible (0 <= cv <= cols): out[j] =
 * e^{(x[j] − m)·invT} / Σ for j < cv, 0 for cv <= j < cols. Returns the log-sum-exp of the scaled visible
 * entries, m·invT + log Σ (−Infinity for an empty or all −Infinity row, whose outputs are all 0), which a
 * backward pass can use to recompute the weights; with wantLse false it skips the log and returns 0.
 * out may equal x.
 */
export function softmax_row_f32(cv: i32, cols: i32, x: usize, out: usize, invT: f32, wantLse: bool): f32 {
  let m: f32, s: f32;
  if (ASC_FEATURE_SIMD) {
    const mm = max_min_v(cv, x);
    m = f32x4.extract_lane(mm, 0);
    // NaN lanes were skipped: a row of −Infinity and NaN (or only NaN) has m = −Infinity here but is a NaN row.
    if (m == -Infinity && has_nan(cv, x)) m = NaN;
    if (m > -Infinity && m < Infinity) {
      s = exp_sum_v(cv, x, out, m, f32x4.extract_lane(mm, 1), invT, x, true);
    } else {
      s = m == -Infinity ? 0 : NaN; // +Infinity or NaN: the visible entries are NaN, as arithmetic would make them
    }
  } else {
    m = cv > 0 ? max_f32(cv, x) : -Infinity;
    s = m > -Infinity && m < Infinity ? exp_sum_scalar(cv, x, out, m, invT, true) : (m == -Infinity ? 0 : NaN);
  }
  if (!(s >= 1)) {
    // No distribution (empty or all −Infinity: Σ = 0 → zeros), or NaN somewhere (Σ NaN → NaN row). Σ >= 1 for
    // every other row: the max entry contributes e^0 = 1 exactly.
    const empty = s == 0;
    fill_f32(cv, empty ? 0 : NaN, out);
    fill_f32(cols - cv, 0, out + (<usize>cv << 2));
    return empty ? -Infinity : NaN;
  }
  if (ASC_FEATURE_SIMD) scale_row(cv, <f32>1 / s, out, out);
  else scale_f32(cv, <f32>1 / s, out, out);
  fill_f32(cols - cv, 0, out + (<usize>cv << 2));
  return wantLse ? m * invT + <f32>Math.log(<f64>s) : 0;
}

/**
 * out[i, j] = exp((x[i, j] − max_i)·invTemperature) / Σ_j′ exp(…) over the visible columns of row i.
 * Shapes: x rows×cols (stride ldx), out rows×cols (stride ldo). See the header for masking and edge cases.
 */
export function softmax_f32(
  rows: i32, cols: i32, x: usize, ldx: i32, out: usize, ldo: i32, invTemperature: f32, causal: i32,
): void {
  if (!ASC_FEATURE_SIMD) {
    for (let i = 0; i < rows; i++) {
      softmax_row_f32(
        visible_cols(i, rows, cols, causal), cols,
        x + (<usize>(i * ldx) << 2), out + (<usize>(i * ldo) << 2), invTemperature, false,
      );
    }
    return;
  }
  if (rows <= 0) return;
  // Software-pipelined over rows: row i's normalize pass (a multiply by 1/Σ) runs in the same loop as row i + 1's
  // max/min pass (both read L1; the exp pass of row i touched row i + 1 in), which saves one loop over the row.
  // Row i + 1 sees at least the columns row i sees (causal or not), so only visible entries are ever read.
  let mm = max_min_v(visible_cols(0, rows, cols, causal), x);
  for (let i = 0; i < rows; i++) {
    const cv = visible_cols(i, rows, cols, causal);
    const xr = x + (<usize>(i * ldx) << 2);
    const orow = out + (<usize>(i * ldo) << 2);
    const last = i + 1 >= rows;
    const nx = last ? xr : xr + (<usize>ldx << 2);
    const cvn = last ? 0 : visible_cols(i + 1, rows, cols, causal);
    let m = f32x4.extract_lane(mm, 0);
    if (m == -Infinity && has_nan(cv, xr)) m = NaN;
    const s: f32 = m > -Infinity && m < Infinity
      ? exp_sum_v(cv, xr, orow, m, f32x4.extract_lane(mm, 1), invTemperature, nx, true)
      : (m == -Infinity ? 0 : NaN);
    if (s >= 1) {
      mm = scale_then_max_min(cv, <f32>1 / s, orow, cvn, nx);
    } else {
      // Σ = 0: no distribution (empty or all −Infinity), zeros; Σ NaN: NaN or +Infinity among the inputs.
      fill_f32(cv, s == 0 ? 0 : NaN, orow);
      mm = max_min_v(cvn, nx);
    }
    fill_f32(cols - cv, 0, orow + (<usize>cv << 2));
  }
}

/**
 * out[j] *= a for j < n, and returns max_min_v(nn, nx): the two passes in one loop over their common length
 * (out and nx are different rows, or out is the current row of an in-place call: no overlap).
 */
function scale_then_max_min(n: i32, a: f32, out: usize, nn: i32, nx: usize): v128 {
  const va = f32x4.splat(a);
  let a0 = f32x4.splat(-Infinity), a1 = a0;
  let b0 = f32x4.splat(Infinity), b1 = b0;
  const both = min(n, nn);
  let j = 0;
  for (; j + 16 <= both; j += 16) {
    const o = <usize>j << 2;
    const v0 = v128.load(nx + o), v1 = v128.load(nx + o, 16), v2 = v128.load(nx + o, 32), v3 = v128.load(nx + o, 48);
    const w0 = f32x4.mul(v128.load(out + o), va), w1 = f32x4.mul(v128.load(out + o, 16), va);
    const w2 = f32x4.mul(v128.load(out + o, 32), va), w3 = f32x4.mul(v128.load(out + o, 48), va);
    a0 = f32x4.pmax(a0, f32x4.pmax(v0, v1));
    a1 = f32x4.pmax(a1, f32x4.pmax(v2, v3));
    b0 = f32x4.pmin(b0, f32x4.pmin(v0, v1));
    b1 = f32x4.pmin(b1, f32x4.pmin(v2, v3));
    v128.store(out + o, w0);
    v128.store(out + o, w1, 16);
    v128.store(out + o, w2, 32);
    v128.store(out + o, w3, 48);
  }
  scale_row(n - j, a, out + (<usize>j << 2), out + (<usize>j << 2));
  const rest = max_min_v(nn - j, nx + (<usize>j << 2));
  a0 = f32x4.pmax(f32x4.pmax(a0, a1), f32x4.splat(f32x4.extract_lane(rest, 0)));
  b0 = f32x4.pmin(f32x4.pmin(b0, b1), f32x4.splat(f32x4.extract_lane(rest, 1)));
  a0 = f32x4.pmax(a0, v128.shuffle<f32>(a0, a0, 2, 3, 2, 3));
  b0 = f32x4.pmin(b0, v128.shuffle<f32>(b0, b0, 2, 3, 2, 3));
  const m0 = f32x4.extract_lane(a0, 0), m1 = f32x4.extract_lane(a0, 1);
  const n0 = f32x4.extract_lane(b0, 0), n1 = f32x4.extract_lane(b0, 1);
  return f32x4(m1 > m0 ? m1 : m0, n1 < n0 ? n1 : n0, 0, 0);
}

/**
 * out[i, j] = x[i, j]·invT − logsumexp_j′(x[i, j′]·invT) over the visible columns; masked entries −Infinity.
 * Computed as (x − m)·invT − log Σ e^{(x − m)·invT}, which never overflows. Same shapes and rules as softmax_f32.
 */
export function log_softmax_f32(
  rows: i32, cols: i32, x: usize, ldx: i32, out: usize, ldo: i32, invTemperature: f32, causal: i32,
): void {
  for (let i = 0; i < rows; i++) {
    const cv = visible_cols(i, rows, cols, causal);
    const xr = x + (<usize>(i * ldx) << 2);
    const orow = out + (<usize>(i * ldo) << 2);
    // Max and Σ as in softmax_row (same special rows); the sum pass writes nothing: out may alias x, and x is
    // read again below.
    const next = i + 1 < rows ? xr + (<usize>ldx << 2) : xr;
    let m: f32, s: f32;
    if (ASC_FEATURE_SIMD) {
      const mm = max_min_v(cv, xr);
      m = f32x4.extract_lane(mm, 0);
      if (m == -Infinity && has_nan(cv, xr)) m = NaN;
      s = m > -Infinity && m < Infinity
        ? exp_sum_v(cv, xr, orow, m, f32x4.extract_lane(mm, 1), invTemperature, next, false)
        : (m == -Infinity ? 0 : NaN);
    } else {
      m = cv > 0 ? max_f32(cv, xr) : -Infinity;
      s = m > -Infinity && m < Infinity ? exp_sum_scalar(cv, xr, orow, m, invTemperature, false) : (m == -Infinity ? 0 : NaN);
    }
    if (!(s >= 1)) {
      // Σ = 0: no distribution, all −Infinity; Σ NaN (NaN or +Infinity among the inputs): the visible entries are NaN.
      fill_f32(cv, s == 0 ? -Infinity : NaN, orow);
      fill_f32(cols - cv, -Infinity, orow + (<usize>cv << 2));
      continue;
    }
    const ls = <f32>Math.log(<f64>s);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = f32x4.splat(m), vt = f32x4.splat(invTemperature), vl = f32x4.splat(ls);
      for (; j + 4 <= cv; j += 4) {
        const o = <usize>j << 2;
        v128.store(orow + o, f32x4.sub(f32x4.mul(f32x4.sub(v128.load(xr + o), vm), vt), vl));
      }
    }
    for (; j < cv; j++) {
      const o = <usize>j << 2;
      store<f32>(orow + o, (load<f32>(xr + o) - m) * invTemperature - ls);
    }
    fill_f32(cols - cv, -Infinity, orow + (<usize>cv << 2));
  }
}

/**
 * Softmax backward per row: dx[i, j] = y[i, j]·(dy[i, j] − Σ_j′ dy[i, j′]·y[i, j′]), y the saved softmax
 * output (rows×cols, stride ldy), dy the upstream gradient (stride lddy), dx (stride lddx). dx may equal dy
 * or y (with equal strides). Causally masked entries need no special case: y = 0 there, so dx = 0.
 * Temperature: for out = softmax(x·invT) multiply dx by invT afterwards (chain rule through the scaling).
 */
export function softmax_backward_f32(
  rows: i32, cols: i32, y: usize, ldy: i32, dy: usize, lddy: i32, dx: usize, lddx: i32,
): void {
  for (let i = 0; i < rows; i++) {
    const yr = y + (<usize>(i * ldy) << 2);
    const dyr = dy + (<usize>(i * lddy) << 2);
    const dxr = dx + (<usize>(i * lddx) << 2);
    const s = dot_f32(cols, dyr, yr);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const vs = f32x4.splat(s);
      for (; j + 4 <= cols; j += 4) {
        const o = <usize>j << 2;
        v128.store(dxr + o, f32x4.mul(v128.load(yr + o), f32x4.sub(v128.load(dyr + o), vs)));
      }
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(dxr + o, load<f32>(yr + o) * (load<f32>(dyr + o) - s));
    }
  }
}
