// Layer normalization over the last axis of a row-major matrix, and its backward.
//
// Shapes: x, out, dy, dx [rows, cols] (row stride cols); gamma, beta, dgamma, dbeta [cols]; mean, rstd [rows].
// rows, cols >= 0; eps >= 0 (usually 1e-5). Pointers are byte offsets into linear memory of f32 arrays.
// Forward per row i:  mean_i = Σ_j x[i,j] / cols,  var_i = Σ_j (x[i,j] − mean_i)² / cols  (biased, two passes:
// no cancellation for rows far from 0),  rstd_i = 1/√(var_i + eps),
//   out[i,j] = (x[i,j] − mean_i)·rstd_i·gamma[j] + beta[j].
// A row of cols = 0 has mean 0 and rstd 1/√eps (the variance of nothing is taken as 0); nothing is written.
// Backward per row, with x̂ = (x − mean)·rstd and g = dy ⊙ gamma (the gradient w.r.t. x̂):
//   dx[i,j] = rstd_i·(g[j] − mean_j′(g) − x̂[i,j]·mean_j′(g ⊙ x̂)),
//   dgamma[j] = Σ_i dy[i,j]·x̂[i,j],  dbeta[j] = Σ_i dy[i,j].
// Aliasing: out may equal x; dx may equal dy (each element is read before it is written). Nothing else may
// overlap. No allocation; SIMD under ASC_FEATURE_SIMD with scalar tails that are the whole loop in the scalar
// build.

import { fmadd } from "./simd";
import { fill_f32, hsum4, sum_f32 } from "./blas";

/** Σ_j (x[j] − m)² over one row. */
// @ts-ignore: decorator
@inline function sq_dev_sum(n: i32, x: usize, m: f32): f32 {
  let j = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(m);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
    for (; j + 8 <= n; j += 8) {
      const o = <usize>j << 2;
      const d0 = f32x4.sub(v128.load(x + o), vm), d1 = f32x4.sub(v128.load(x + o, 16), vm);
      a0 = fmadd(d0, d0, a0);
      a1 = fmadd(d1, d1, a1);
    }
    for (; j + 4 <= n; j += 4) {
      const d0 = f32x4.sub(v128.load(x + (<usize>j << 2)), vm);
      a0 = fmadd(d0, d0, a0);
    }
    s = hsum4(f32x4.add(a0, a1));
  }
  for (; j < n; j++) {
    const d = load<f32>(x + (<usize>j << 2)) - m;
    s += d * d;
  }
  return s;
}

/**
 * out = layernorm(x)·gamma + beta per row (see the header). mean, rstd: 0, or [rows] floats that receive each
 * row's mean and 1/√(var + eps) for the backward pass (both or neither may be 0).
 */
export function layernorm_f32(
  rows: i32, cols: i32, x: usize, gamma: usize, beta: usize, out: usize, mean: usize, rstd: usize, eps: f32,
): void {
  const rowBytes = <usize>cols << 2;
  const invN: f32 = cols > 0 ? <f32>1 / <f32>cols : 0;
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes, orow = out + <usize>i * rowBytes;
    const m = sum_f32(cols, xr) * invN;
    const r = <f32>1 / sqrt<f32>(sq_dev_sum(cols, xr, m) * invN + eps);
    if (mean) store<f32>(mean + (<usize>i << 2), m);
    if (rstd) store<f32>(rstd + (<usize>i << 2), r);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = f32x4.splat(m), vr = f32x4.splat(r);
      for (; j + 4 <= cols; j += 4) {
        const o = <usize>j << 2;
        const xh = f32x4.mul(f32x4.sub(v128.load(xr + o), vm), vr);
        v128.store(orow + o, fmadd(xh, v128.load(gamma + o), v128.load(beta + o)));
      }
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const xh = (load<f32>(xr + o) - m) * r;
      store<f32>(orow + o, xh * load<f32>(gamma + o) + load<f32>(beta + o));
    }
  }
}

/**
 * Pass 1 of the LayerNorm backward for one row: a = (1/cols)·Σ g and b = (1/cols)·Σ g·x̂, g = dy·γ,
 * x̂ = (x − mean)·rstd. The fused kernel and its range variant both call it, so their dx rows come from the
 * same instructions. Returned packed as a's bits in the high half and b's in the low half (no allocation).
 */
@inline function row_coefficients(cols: i32, dyr: usize, xr: usize, gamma: usize, m: f32, r: f32, invN: f32): u64 {
  let sg: f32 = 0, sgx: f32 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(m), vr = f32x4.splat(r);
    let ag = f32x4.splat(0), agx = f32x4.splat(0);
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const g = f32x4.mul(v128.load(dyr + o), v128.load(gamma + o));
      const xh = f32x4.mul(f32x4.sub(v128.load(xr + o), vm), vr);
      ag = f32x4.add(ag, g);
      agx = fmadd(g, xh, agx);
    }
    sg = hsum4(ag);
    sgx = hsum4(agx);
  }
  for (; j < cols; j++) {
    const o = <usize>j << 2;
    const g = load<f32>(dyr + o) * load<f32>(gamma + o);
    sg += g;
    sgx += g * ((load<f32>(xr + o) - m) * r);
  }
  const a = sg * invN, b = sgx * invN;
  return (<u64>reinterpret<u32>(a) << 32) | <u64>reinterpret<u32>(b);
}

/**
 * Backward of layernorm_f32 from the saved per-row mean and rstd (see the header for the formulas).
 * dx [rows, cols] is written; dgamma and dbeta [cols] are OVERWRITTEN with the sums over all rows (zeroed here
 * first, then accumulated row by row).
 */
export function layernorm_backward_f32(
  rows: i32, cols: i32, dy: usize, x: usize, gamma: usize, mean: usize, rstd: usize,
  dx: usize, dgamma: usize, dbeta: usize,
): void {
  fill_f32(cols, 0, dgamma);
  fill_f32(cols, 0, dbeta);
  const rowBytes = <usize>cols << 2;
  const invN: f32 = cols > 0 ? <f32>1 / <f32>cols : 0;
  for (let i = 0; i < rows; i++) {
    const dyr = dy + <usize>i * rowBytes, xr = x + <usize>i * rowBytes, dxr = dx + <usize>i * rowBytes;
    const m = load<f32>(mean + (<usize>i << 2)), r = load<f32>(rstd + (<usize>i << 2));
    // Pass 1: a = mean of g and b = mean of g·x̂ over the row (g = dy·γ).
    const ab = row_coefficients(cols, dyr, xr, gamma, m, r, invN);
    const a = reinterpret<f32>(<u32>(ab >>> 32)), b = reinterpret<f32>(<u32>ab);
    // Pass 2: dx, and this row's share of dgamma and dbeta.
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = f32x4.splat(m), vr = f32x4.splat(r), va = f32x4.splat(a), vb = f32x4.splat(b);
      for (; j + 4 <= cols; j += 4) {
        const o = <usize>j << 2;
        const d = v128.load(dyr + o);
        const xh = f32x4.mul(f32x4.sub(v128.load(xr + o), vm), vr);
        const g = f32x4.mul(d, v128.load(gamma + o));
        v128.store(dgamma + o, fmadd(d, xh, v128.load(dgamma + o)));
        v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), d));
        v128.store(dxr + o, f32x4.mul(vr, f32x4.sub(f32x4.sub(g, va), f32x4.mul(xh, vb))));
      }
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const d = load<f32>(dyr + o);
      const xh = (load<f32>(xr + o) - m) * r;
      const g = d * load<f32>(gamma + o);
      store<f32>(dgamma + o, load<f32>(dgamma + o) + d * xh);
      store<f32>(dbeta + o, load<f32>(dbeta + o) + d);
      store<f32>(dxr + o, r * ((g - a) - xh * b));
    }
  }
}

/**
 * layernorm_backward_f32 split for threads: dx for the rows [r0, r1) only, and dgamma, dbeta for the columns
 * [c0, c1) only (OVERWRITTEN, each summed over ALL rows, in row order). Calls over disjoint row and column ranges
 * together give the bits of one layernorm_backward_f32 call, at any split: dx rows are computed exactly as there,
 * and every dgamma/dbeta column accumulates the same terms in the same order with the same instruction, provided
 * c0 is a multiple of 4 and c1 is a multiple of 4 or cols (a column then sits in the same SIMD lane or scalar tail
 * as in the whole-row loop). The column sums re-read dy and x (a second pass over memory the fused kernel avoids),
 * which is why the single-thread path keeps layernorm_backward_f32.
 */
export function layernorm_backward_range_f32(
  rows: i32, cols: i32, dy: usize, x: usize, gamma: usize, mean: usize, rstd: usize,
  dx: usize, dgamma: usize, dbeta: usize, r0: i32, r1: i32, c0: i32, c1: i32,
): void {
  const rowBytes = <usize>cols << 2;
  const invN: f32 = cols > 0 ? <f32>1 / <f32>cols : 0;
  for (let i = max(r0, 0); i < min(r1, rows); i++) {
    const dyr = dy + <usize>i * rowBytes, xr = x + <usize>i * rowBytes, dxr = dx + <usize>i * rowBytes;
    const m = load<f32>(mean + (<usize>i << 2)), r = load<f32>(rstd + (<usize>i << 2));
    // Pass 1, shared with layernorm_backward_f32 so both give the same a and b.
    const ab = row_coefficients(cols, dyr, xr, gamma, m, r, invN);
    const a = reinterpret<f32>(<u32>(ab >>> 32)), b = reinterpret<f32>(<u32>ab);
    // Pass 2 without the dgamma/dbeta shares (those are the column pass below).
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = f32x4.splat(m), vr = f32x4.splat(r), va = f32x4.splat(a), vb = f32x4.splat(b);
      for (; j + 4 <= cols; j += 4) {
        const o = <usize>j << 2;
        const xh = f32x4.mul(f32x4.sub(v128.load(xr + o), vm), vr);
        const g = f32x4.mul(v128.load(dyr + o), v128.load(gamma + o));
        v128.store(dxr + o, f32x4.mul(vr, f32x4.sub(f32x4.sub(g, va), f32x4.mul(xh, vb))));
      }
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const xh = (load<f32>(xr + o) - m) * r;
      const g = load<f32>(dyr + o) * load<f32>(gamma + o);
      store<f32>(dxr + o, r * ((g - a) - xh * b));
    }
  }
  const ca = max(c0, 0), cb = min(c1, cols);
  if (ca >= cb) return;
  const off = <usize>ca << 2;
  fill_f32(cb - ca, 0, dgamma + off);
  fill_f32(cb - ca, 0, dbeta + off);
  for (let i = 0; i < rows; i++) {
    const dyr = dy + <usize>i * rowBytes, xr = x + <usize>i * rowBytes;
    const m = load<f32>(mean + (<usize>i << 2)), r = load<f32>(rstd + (<usize>i << 2));
    let j = ca;
    if (ASC_FEATURE_SIMD) {
      const vm = f32x4.splat(m), vr = f32x4.splat(r);
      for (; j + 4 <= cb; j += 4) {
        const o = <usize>j << 2;
        const d = v128.load(dyr + o);
        const xh = f32x4.mul(f32x4.sub(v128.load(xr + o), vm), vr);
        v128.store(dgamma + o, fmadd(d, xh, v128.load(dgamma + o)));
        v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), d));
      }
    }
    for (; j < cb; j++) {
      const o = <usize>j << 2;
      const d = load<f32>(dyr + o);
      const xh = (load<f32>(xr + o) - m) * r;
      store<f32>(dgamma + o, load<f32>(dgamma + o) + d * xh);
      store<f32>(dbeta + o, load<f32>(dbeta + o) + d);
    }
  }
}
