// Losses and their gradients: mean squared error, fused softmax cross-entropy (dense targets or class
// indices), plus the row argmax used for accuracy.
//
// Contract for the exported kernels: pointers are byte offsets into linear memory; f32 matrices are row-major
// and contiguous (row stride = cols); `n`, `rows`, `cols` >= 0. No allocation, no globals. Each kernel has a
// SIMD path (ASC_FEATURE_SIMD, 4 lanes) and a scalar loop that is the ragged tail there and the whole loop in
// the scalar build. Losses are returned as SUMS over rows (the host divides by the batch for a mean), except
// mse_f32, which is a mean over elements. Sums across rows are accumulated in f64, so the batch size does not
// cost accuracy.
//
// Cross-entropy numerics: log softmax(x)_j = (x_j − m) − log Σ_k e^{x_k − m} with m the row maximum, so any
// finite logits (±1e30, ±FLT_MAX) give finite probabilities and no NaN. The loss itself can legitimately
// overflow to +Infinity (a target on a class whose logit is ~FLT_MAX below the max); it is never NaN for
// finite logits. Rows with a +Infinity or NaN logit give NaN loss and gradient in that row (divergence shows).
// A row whose logits are all −Infinity has no distribution: it is treated as p = 0 (the softmax kernel's
// convention), i.e. loss +Infinity if it has target mass and gradient −gradScale·targets.

import { fmadd } from "./simd";
import { exp_v128, exp_scalar } from "./vmath";
// max_f32 propagates NaN, which the cross-entropy relies on to turn a NaN logit into a NaN loss.
import { fill_f32, max_f32, scale_f32, sum_f32 } from "./blas";

// ---- accurate sum of squares (shared with optim.ts) ----

// Elements per block of f32 vector partial sums before the block is folded into an f64 total. Each of the 16
// lanes (4 accumulators × 4) adds BLOCK/16 = 64 terms in f32, so the relative rounding error is bounded by
// ~64 ulp in the worst case (far less in practice) whatever n is: n = 1e6 is as accurate as n = 1e3.
const SUM_BLOCK: i32 = 1024;

/** Σ lanes of v, each widened to f64 before adding. */
// @ts-ignore: decorator
@inline function hsum4_f64(v: v128): f64 {
  return (<f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1)) +
    (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3));
}

/**
 * Σ (x[i] − y[i])² if `diff`, else Σ x[i]² (y unused), in f64. SIMD: blocked f32 partial sums folded into f64
 * (see SUM_BLOCK). Scalar (tail, scalar build): every term in f64, which costs nothing extra there.
 * `diff` is a compile-time constant at every call site, so each instance keeps only one of the branches.
 */
// @ts-ignore: decorator
@inline export function sum_sq_f64(n: i32, x: usize, y: usize, diff: bool): f64 {
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    while (i + 16 <= n) {
      const end = min(n, i + SUM_BLOCK);
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      for (; i + 16 <= end; i += 16) {
        const o = <usize>i << 2;
        let d0 = v128.load(x + o), d1 = v128.load(x + o, 16), d2 = v128.load(x + o, 32), d3 = v128.load(x + o, 48);
        if (diff) {
          d0 = f32x4.sub(d0, v128.load(y + o));
          d1 = f32x4.sub(d1, v128.load(y + o, 16));
          d2 = f32x4.sub(d2, v128.load(y + o, 32));
          d3 = f32x4.sub(d3, v128.load(y + o, 48));
        }
        a0 = fmadd(d0, d0, a0);
        a1 = fmadd(d1, d1, a1);
        a2 = fmadd(d2, d2, a2);
        a3 = fmadd(d3, d3, a3);
      }
      total += hsum4_f64(a0) + hsum4_f64(a1) + hsum4_f64(a2) + hsum4_f64(a3);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let d = <f64>load<f32>(x + o);
    if (diff) d -= <f64>load<f32>(y + o);
    total += d * d;
  }
  return total;
}

// ---- mean squared error ----

/** (1/n)·Σ (a[i] − y[i])² over n elements; 0 for n = 0 (an empty batch has no error, not NaN). */
export function mse_f32(n: i32, a: usize, y: usize): f32 {
  if (n <= 0) return 0;
  return <f32>(sum_sq_f64(n, a, y, true) / <f64>n);
}

/**
 * dx[i] = scale·(a[i] − y[i]). The host passes scale = 2/n for the gradient of mse_f32's mean (or 2/batch for
 * a per-sample sum convention). dx may equal a or y (each element is read before it is written).
 */
export function mse_backward_f32(n: i32, a: usize, y: usize, scale: f32, dx: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(scale);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dx + o, f32x4.mul(vs, f32x4.sub(v128.load(a + o), v128.load(y + o))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, scale * (load<f32>(a + o) - load<f32>(y + o)));
  }
}

// ---- softmax cross-entropy ----


// Softmax rows can be long (vocabularies of 50k+): the row sums are accumulated per block of XENT_BLOCK
// elements in f32 vectors (64 terms per lane) and the blocks are added in f64, so the sums, and with them the
// loss and the gradient's normaliser, do not lose accuracy with cols (a single f32 accumulator over 50k soft
// labels was measured 4e-5 off in the loss).
const XENT_BLOCK: i32 = 256;

/**
 * Returns s = Σ_j e^{x[j] − m} over n entries in f64 (m the finite row max, so s >= 1); if out != 0 also writes
 * out[j] = e^{x[j] − m}. out may equal x: each x[j] is read before out[j] is written and never read again.
 */
// @ts-ignore: decorator
@inline function exp_shift_sum(n: i32, x: usize, out: usize, m: f32): f64 {
  let j = 0;
  let s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(m);
    while (j + 4 <= n) {
      const end = min(n, j + XENT_BLOCK);
      let acc = f32x4.splat(0);
      for (; j + 4 <= end; j += 4) {
        const o = <usize>j << 2;
        const e = exp_v128(f32x4.sub(v128.load(x + o), vm));
        if (out) v128.store(out + o, e);
        acc = f32x4.add(acc, e);
      }
      s += hsum4_f64(acc);
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const e = exp_scalar(load<f32>(x + o) - m);
    if (out) store<f32>(out + o, e);
    s += <f64>e;
  }
  return s;
}

/**
 * One row of the dense-target cross-entropy; returns the row loss Σ_j −t[j]·log softmax(x)[j] in f64.
 * With T = Σ t and s = Σ e^{x − m}: loss = T·log s + Σ_j t[j]·(m − x[j]), a sum of non-negative terms for
 * t >= 0 (no cancellation, unlike T·lse − Σ t·x). Terms with t[j] = 0 are skipped explicitly: m − x[j] is
 * +Infinity for x = −Infinity, and 0·Infinity would be NaN.
 * Gradient (d != 0): d[j] = g·(p[j]·T − t[j]), p = e/s. Pass 2 stages e in d, so d may equal x (x is not read
 * after pass 2) but must not overlap t (t is read again in pass 3).
 */
function xent_dense_row(cols: i32, x: usize, t: usize, d: usize, g: f32): f64 {
  const m = max_f32(cols, x);
  if (m == -Infinity) {
    // Empty or all −Infinity row: p = 0 (see the file header).
    const tsum = sum_f32(cols, t);
    if (d) scale_f32(cols, -g, t, d);
    return tsum > 0 ? Infinity : 0;
  }
  // Pass 2: e = e^{x − m} (staged in d), s = Σ e, T = Σ t, lin = Σ_{t≠0} t·(m − x); blocked, see XENT_BLOCK.
  let j = 0;
  let s: f64 = 0, tsum: f64 = 0, lin: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    // lin is accumulated as Σ t·(m/2 − x/2), doubled at the end: the halved difference cannot overflow f32 even
    // when the logits span more than FLT_MAX (halving is exact for normal floats), so the vector path agrees
    // with the f64 scalar path and the loss is +Infinity only when the true loss exceeds FLT_MAX.
    const vm = f32x4.splat(m), vmh = f32x4.splat(m * 0.5), half = f32x4.splat(0.5), zero = f32x4.splat(0);
    let linHalf: f64 = 0;
    while (j + 4 <= cols) {
      const end = min(cols, j + XENT_BLOCK);
      let vs = zero, vt = zero, vl = zero;
      for (; j + 4 <= end; j += 4) {
        const o = <usize>j << 2;
        const xv = v128.load(x + o), tv = v128.load(t + o);
        const e = exp_v128(f32x4.sub(xv, vm));
        if (d) v128.store(d + o, e);
        vs = f32x4.add(vs, e);
        vt = f32x4.add(vt, tv);
        const gap = f32x4.sub(vmh, f32x4.mul(xv, half));
        vl = f32x4.add(vl, v128.and(f32x4.mul(tv, gap), f32x4.ne(tv, zero)));
      }
      s += hsum4_f64(vs);
      tsum += hsum4_f64(vt);
      linHalf += hsum4_f64(vl);
    }
    lin = 2 * linHalf;
  }
  for (; j < cols; j++) {
    const o = <usize>j << 2;
    const xj = load<f32>(x + o), tj = load<f32>(t + o);
    const e = exp_scalar(xj - m);
    if (d) store<f32>(d + o, e);
    s += <f64>e;
    tsum += <f64>tj;
    // m − x in f64 cannot overflow; the f64 sum may still exceed FLT_MAX and round to +Infinity at the end.
    if (tj != 0) lin += <f64>tj * (<f64>m - <f64>xj);
  }
  // Pass 3: d = (g·T/s)·e − g·t.
  if (d) {
    const a = <f32>(<f64>g * tsum / s);
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      const va = f32x4.splat(a), vg = f32x4.splat(g);
      for (; k + 4 <= cols; k += 4) {
        const o = <usize>k << 2;
        v128.store(d + o, f32x4.sub(f32x4.mul(va, v128.load(d + o)), f32x4.mul(vg, v128.load(t + o))));
      }
    }
    for (; k < cols; k++) {
      const o = <usize>k << 2;
      store<f32>(d + o, a * load<f32>(d + o) - g * load<f32>(t + o));
    }
  }
  return tsum * Math.log(s) + lin;
}

/**
 * Fused softmax cross-entropy with dense target distributions (one-hot or soft labels).
 * Shapes: logits, targets, dlogits all [rows, cols]. Returns Σ_rows Σ_j −targets·log softmax(logits) (a sum:
 * the host divides by rows for the mean). If dlogits != 0, writes dlogits = gradScale·(softmax(logits)·Σ_j
 * targets − targets), which is gradScale·(p − t) for normalised targets. dlogits may equal logits; it must not
 * overlap targets. Targets are expected >= 0 (a probability mass per class).
 */
export function softmax_xent_f32(
  rows: i32, cols: i32, logits: usize, targets: usize, dlogits: usize, gradScale: f32,
): f32 {
  let loss: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const off = <usize>(i * cols) << 2;
    loss += xent_dense_row(cols, logits + off, targets + off, dlogits ? dlogits + off : 0, gradScale);
  }
  return <f32>loss;
}

/**
 * Fused softmax cross-entropy with one class index per row (labels: i32[rows]), for large vocabularies where
 * dense one-hot targets would cost a [rows, cols] buffer. Row loss = log s + (m − x[label]); returns the sum
 * over rows. If dlogits != 0: dlogits = gradScale·(p − onehot(label)). Rows whose label == ignoreIndex (and,
 * defensively, rows whose label is outside [0, cols): the host validates labels, the kernel must never read
 * out of bounds) contribute 0 loss and get an all-zero gradient row. dlogits may equal logits: x[label] is
 * read before the row is overwritten.
 */
export function softmax_xent_index_f32(
  rows: i32, cols: i32, logits: usize, labels: usize, dlogits: usize, gradScale: f32, ignoreIndex: i32,
): f32 {
  let loss: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const off = <usize>(i * cols) << 2;
    const x = logits + off;
    const d: usize = dlogits ? dlogits + off : 0;
    const label = load<i32>(labels + (<usize>i << 2));
    // Unsigned compare: negative labels fail it too. cols = 0 makes every label out of range.
    if (label == ignoreIndex || <u32>label >= <u32>cols) {
      if (d) fill_f32(cols, 0, d);
      continue;
    }
    const lo = <usize>label << 2;
    const xl = load<f32>(x + lo);
    const m = max_f32(cols, x);
    if (m == -Infinity) {
      // All −Infinity: p = 0, so the loss is +Infinity and the gradient is −gradScale at the label.
      loss += Infinity;
      if (d) {
        fill_f32(cols, 0, d);
        store<f32>(d + lo, -gradScale);
      }
      continue;
    }
    const s = exp_shift_sum(cols, x, d, m);
    // m − x[label] in f64: it cannot overflow here (the f32 result may still round to +Infinity).
    loss += Math.log(s) + (<f64>m - <f64>xl);
    if (d) {
      scale_f32(cols, <f32>(<f64>gradScale / s), d, d);
      store<f32>(d + lo, load<f32>(d + lo) - gradScale);
    }
  }
  return <f32>loss;
}

// ---- argmax ----

/** True if candidate (v, j) should replace (best, k): v is not NaN and either best is NaN (none yet), v > best,
 *  or v == best at a smaller index (needed only when merging SIMD lanes, which are not in index order). */
// @ts-ignore: decorator
@inline function beats(v: f32, j: i32, best: f32, k: i32): bool {
  return v == v && (best != best || v > best || (v == best && j < k));
}

/**
 * out[i] = the index of the maximum of row i of x [rows, cols] (i32 per row), the FIRST one on ties.
 * NaN entries are never chosen; a row of only NaN gives 0; cols <= 0 gives −1 (no class, matches no label).
 * SIMD: each lane tracks its own (max, index) with a strict comparison, so it keeps its first maximum;
 * the lanes are then merged preferring the smaller index on equal values, and the tail only takes strictly
 * greater values (its indices are all larger).
 */
export function argmax_rows_f32(rows: i32, cols: i32, x: usize, out: usize): void {
  for (let i = 0; i < rows; i++) {
    const xr = x + (<usize>(i * cols) << 2);
    let best: f32 = NaN;
    let k: i32 = cols > 0 ? 0 : -1;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      if (cols >= 4) {
        // Lanes start "empty" (NaN). take = v not NaN and !(v <= vm): true when vm is NaN or v > vm.
        let vm = f32x4.splat(NaN);
        let vi = i32x4.splat(0);
        let idx = i32x4(0, 1, 2, 3);
        const four = i32x4.splat(4);
        for (; j + 4 <= cols; j += 4) {
          const v = v128.load(xr + (<usize>j << 2));
          const take = v128.andnot(f32x4.eq(v, v), f32x4.le(v, vm));
          vm = v128.bitselect(v, vm, take);
          vi = v128.bitselect(idx, vi, take);
          idx = i32x4.add(idx, four);
        }
        if (beats(f32x4.extract_lane(vm, 0), i32x4.extract_lane(vi, 0), best, k)) {
          best = f32x4.extract_lane(vm, 0); k = i32x4.extract_lane(vi, 0);
        }
        if (beats(f32x4.extract_lane(vm, 1), i32x4.extract_lane(vi, 1), best, k)) {
          best = f32x4.extract_lane(vm, 1); k = i32x4.extract_lane(vi, 1);
        }
        if (beats(f32x4.extract_lane(vm, 2), i32x4.extract_lane(vi, 2), best, k)) {
          best = f32x4.extract_lane(vm, 2); k = i32x4.extract_lane(vi, 2);
        }
        if (beats(f32x4.extract_lane(vm, 3), i32x4.extract_lane(vi, 3), best, k)) {
          best = f32x4.extract_lane(vm, 3); k = i32x4.extract_lane(vi, 3);
        }
      }
    }
    for (; j < cols; j++) {
      const v = load<f32>(xr + (<usize>j << 2));
      if (v == v && (best != best || v > best)) {
        best = v;
        k = j;
      }
    }
    store<i32>(out + (<usize>i << 2), k);
  }
}
