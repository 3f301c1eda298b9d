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

import { exp_nonpos_v128, exp_scalar } from "./vmath";
import { dot_f32, fill_f32, max_f32, scale_f32, hsum4 } from "./blas";

/** Visible column count of row i under the causal rule (clamped to [0, cols]); cols when not causal. */
// @ts-ignore: decorator
@inline export function visible_cols(i: i32, rows: i32, cols: i32, causal: i32): i32 {
  if (!causal) return cols;
  return min(max(i + 1 + (cols - rows), 0), cols);
}

/** (v − m)·invT, or v − m when !scaled (invT = 1). */
// @ts-ignore: decorator
@inline function shift_scale(v: v128, vm: v128, vt: v128, scaled: bool): v128 {
  return scaled ? f32x4.mul(f32x4.sub(v, vm), vt) : f32x4.sub(v, vm);
}

/**
 * out[j] = e^{(x[j] − m)·invT} for j < n, returns Σ out[j]. m must be the finite row max (so every exponent is
 * <= 0 or −Infinity, never NaN, and the sum is >= 1). When `write` is false nothing is written (log-softmax
 * only needs the sum). The vector path uses exp_nonpos_v128, bit-identical to exp_v128 on this domain, and
 * sums in the same order as the original kernel (two lane accumulators over 8-element steps), so outputs did
 * not change by a bit when it replaced exp_v128 (the spec checks this against the original algorithm).
 */
// @ts-ignore: decorator
@inline function exp_shift_sum(n: i32, x: usize, out: usize, m: f32, invT: f32, write: bool): f32 {
  // invT = 1 (plain softmax, attention) gets its own loop without the multiply: (x − m)·1 is x − m exactly,
  // so the results are the same; it saves one multiply and one vector register per step (about 5%).
  return invT == 1 ? exp_shift_sum_t(n, x, out, m, 1, write, false) : exp_shift_sum_t(n, x, out, m, invT, write, true);
}

// @ts-ignore: decorator
@inline function exp_shift_sum_t(n: i32, x: usize, out: usize, m: f32, invT: f32, write: bool, scaled: bool): f32 {
  let j = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(m), vt = f32x4.splat(invT);
    let acc = f32x4.splat(0), acc1 = f32x4.splat(0);
    // Two independent exp chains per iteration, each with its own accumulator (four measured no faster).
    for (; j + 8 <= n; j += 8) {
      const o = <usize>j << 2;
      const e0 = exp_nonpos_v128(shift_scale(v128.load(x + o), vm, vt, scaled));
      const e1 = exp_nonpos_v128(shift_scale(v128.load(x + o, 16), vm, vt, scaled));
      if (write) {
        v128.store(out + o, e0);
        v128.store(out + o, e1, 16);
      }
      acc = f32x4.add(acc, e0);
      acc1 = f32x4.add(acc1, e1);
    }
    acc = f32x4.add(acc, acc1);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const e = exp_nonpos_v128(shift_scale(v128.load(x + o), vm, vt, scaled));
      if (write) v128.store(out + o, e);
      acc = f32x4.add(acc, e);
    }
    s = hsum4(acc);
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const e = exp_scalar((load<f32>(x + o) - m) * invT);
    if (write) store<f32>(out + o, e);
    s += e;
  }
  return s;
}

/**
 * Softmax of one row of `cols` entries of which the first `cv` are visible (0 <= cv <= cols): out[j] =
 * e^{(x[j] − m)·invT} / Σ for j < cv, 0 for cv <= j < cols. Returns the log-sum-exp of the scaled visible
 * entries, m·invT + log Σ (−Infinity for an empty or all −Infinity row, whose outputs are all 0), which a
 * backward pass can use to recompute the weights; with wantLse false it skips the log and returns 0.
 * out may equal x.
 */
export function softmax_row_f32(cv: i32, cols: i32, x: usize, out: usize, invT: f32, wantLse: bool): f32 {
  // Three passes over the row, which stays in L1 after the first: max (max_f32: four pmax chains), exp of the
  // shifted entries stored and summed, then a multiply by 1/Σ.
  const m: f32 = cv > 0 ? max_f32(cv, x) : -Infinity;
  if (!(m > -Infinity && m < Infinity)) {
    // −Infinity: no distribution, all 0. NaN or +Infinity (max_f32 propagates NaN): the visible entries are
    // NaN, as the arithmetic would make them (exp_nonpos_v128 is only defined for finite m).
    const empty = m == -Infinity;
    fill_f32(cv, empty ? 0 : NaN, out);
    fill_f32(cols - cv, 0, out + (<usize>cv << 2));
    return empty ? -Infinity : NaN;
  }
  const s = exp_shift_sum(cv, x, out, m, invT, true);
  scale_f32(cv, <f32>1 / s, out, out);
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
  for (let i = 0; i < rows; i++) {
    softmax_row_f32(
      visible_cols(i, rows, cols, causal), cols,
      x + (<usize>(i * ldx) << 2), out + (<usize>(i * ldo) << 2), invTemperature, false,
    );
  }
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
    const m: f32 = cv > 0 ? max_f32(cv, xr) : -Infinity;
    if (!(m > -Infinity && m < Infinity)) {
      // −Infinity: no distribution, all −Infinity; NaN or +Infinity: the visible entries are NaN.
      fill_f32(cv, m == -Infinity ? -Infinity : NaN, orow);
      fill_f32(cols - cv, -Infinity, orow + (<usize>cv << 2));
      continue;
    }
    // The sum pass writes nothing: out may alias x, and x is read again below.
    const ls = <f32>Math.log(<f64>exp_shift_sum(cv, xr, orow, m, invTemperature, false));
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
