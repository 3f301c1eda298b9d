// Level-1 BLAS-style kernels over raw linear memory.
//
// Contract for every function here: pointers are byte offsets into linear memory of f32 arrays;
// `n`, `m` are element counts >= 0; no allocation; operands may alias only where a comment says so.
// Each has a SIMD path (ASC_FEATURE_SIMD, 4 lanes) and a scalar tail that also serves as the
// whole loop in the scalar build, so both builds share one source.

import { fmadd } from "./simd";
/** Σ x[i]·y[i]. Four independent vector accumulators hide the add latency. */
export function dot_f32(n: i32, x: usize, y: usize): f32 {
  let i = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (; i + 16 <= n; i += 16) {
      const o = <usize>i << 2;
      a0 = fmadd(v128.load(x + o), v128.load(y + o), a0);
      a1 = fmadd(v128.load(x + o, 16), v128.load(y + o, 16), a1);
      a2 = fmadd(v128.load(x + o, 32), v128.load(y + o, 32), a2);
      a3 = fmadd(v128.load(x + o, 48), v128.load(y + o, 48), a3);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      a0 = fmadd(v128.load(x + o), v128.load(y + o), a0);
    }
    s = hsum4(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    s += load<f32>(x + o) * load<f32>(y + o);
  }
  return s;
}

/** out = alpha·x (out may equal x). */
export function scale_f32(n: i32, alpha: f32, x: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(alpha);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.mul(va, v128.load(x + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, alpha * load<f32>(x + o));
  }
}

/** out[i] = value. */
export function fill_f32(n: i32, value: f32, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vv = f32x4.splat(value);
    for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), vv);
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), value);
}

// Elementwise binary ops: all operands have n elements; `out` may equal `a` or `b`.

/** out = a + b. */
export function add_f32(n: i32, a: usize, b: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/** out = a - b. */
export function sub_f32(n: i32, a: usize, b: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.sub(v128.load(a + o), v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) - load<f32>(b + o));
  }
}

/** out = a ⊙ b (Hadamard product). */
export function mul_f32(n: i32, a: usize, b: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

/** Σ x[i], with four vector accumulators (less rounding drift than one running sum). */
export function sum_f32(n: i32, x: usize): f32 {
  let i = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      a0 = f32x4.add(a0, v128.load(x + o));
      a1 = f32x4.add(a1, v128.load(x + o, 16));
    }
    s = hsum4(f32x4.add(a0, a1));
  }
  for (; i < n; i++) s += load<f32>(x + (<usize>i << 2));
  return s;
}

/** max x[i] (−Infinity for n = 0); any NaN input gives NaN and max(−0, +0) = +0, on both builds (wasm max semantics). */
export function max_f32(n: i32, x: usize): f32 {
  let i = 0;
  let m: f32 = -Infinity;
  if (ASC_FEATURE_SIMD) {
    // Fast path: f32x4.pmax (one maxps; `a < b ? b : a`) in four independent chains. f32x4.max lowers to
    // about eight instructions on x86 (NaN propagation, −0 < +0), and one chain through it made this pass
    // cost as much as softmax's exp pass. pmax differs from max only on NaN (dropped) and on ±0 ties, so:
    // a running sum of the inputs turns NaN whenever an input is NaN (or ±Infinity of both signs, or sums
    // that overflow both ways), and then, or when the result is ±0, the exact loop below decides.
    let m0 = f32x4.splat(-Infinity), m1 = m0, m2 = m0, m3 = m0;
    let s0 = f32x4.splat(0), s1 = s0;
    for (; i + 16 <= n; i += 16) {
      const o = <usize>i << 2;
      const a = v128.load(x + o), b = v128.load(x + o, 16), c = v128.load(x + o, 32), d = v128.load(x + o, 48);
      m0 = f32x4.pmax(m0, a);
      m1 = f32x4.pmax(m1, b);
      m2 = f32x4.pmax(m2, c);
      m3 = f32x4.pmax(m3, d);
      s0 = f32x4.add(s0, f32x4.add(a, b));
      s1 = f32x4.add(s1, f32x4.add(c, d));
    }
    for (; i + 4 <= n; i += 4) {
      const a = v128.load(x + (<usize>i << 2));
      m0 = f32x4.pmax(m0, a);
      s0 = f32x4.add(s0, a);
    }
    m = hmax4(f32x4.max(f32x4.max(m0, m1), f32x4.max(m2, m3)));
    const s = hsum4(f32x4.add(s0, s1));
    if (s == s && m != 0) {
      for (; i < n; i++) m = max(m, load<f32>(x + (<usize>i << 2)));
      return m;
    }
    // Exact path: f32x4.max (NaN-propagating, −0 < +0) over everything, four chains.
    i = 0;
    m0 = f32x4.splat(-Infinity); m1 = m0; m2 = m0; m3 = m0;
    for (; i + 16 <= n; i += 16) {
      const o = <usize>i << 2;
      m0 = f32x4.max(m0, v128.load(x + o));
      m1 = f32x4.max(m1, v128.load(x + o, 16));
      m2 = f32x4.max(m2, v128.load(x + o, 32));
      m3 = f32x4.max(m3, v128.load(x + o, 48));
    }
    for (; i + 4 <= n; i += 4) m0 = f32x4.max(m0, v128.load(x + (<usize>i << 2)));
    m = hmax4(f32x4.max(f32x4.max(m0, m1), f32x4.max(m2, m3)));
  }
  for (; i < n; i++) m = max(m, load<f32>(x + (<usize>i << 2)));
  return m;
}

/** Broadcast add of a row vector: out[i, j] = x[i, j] + row[j] for an m×n matrix (out may equal x). */
export function add_row_f32(m: i32, n: i32, x: usize, ldx: i32, row: usize, out: usize, ldo: i32): void {
  for (let i = 0; i < m; i++) {
    add_f32(n, x + (<usize>(i * ldx) << 2), row, out + (<usize>(i * ldo) << 2));
  }
}

/** Column sums of an m×n matrix, i.e. the sum over rows: out[j] = Σ_i x[i, j] (the bias gradient). */
export function sum_rows_f32(m: i32, n: i32, x: usize, ldx: i32, out: usize): void {
  fill_f32(n, 0, out);
  for (let i = 0; i < m; i++) {
    add_f32(n, out, x + (<usize>(i * ldx) << 2), out);
  }
}

// ---- horizontal helpers (SIMD build only) ----

// @ts-ignore: decorator
@inline export function hsum4(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline export function hmax4(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}
