// Activation functions, their backward passes, and the fused bias + activation epilogues of Dense.
//
// Contract for every function here: pointers are byte offsets into linear memory of f32 arrays; `n`, `m` are
// element / row counts >= 0; no allocation. Elementwise kernels read element i before writing element i, so
// `out` may equal `x` and `dx` may equal `dy` (or `y`). Backward kernels take the saved forward OUTPUT y, as the
// tutorial does (relu' = [y > 0], σ' = y(1 − y), tanh' = 1 − y²), so the forward input need not be kept.
// Each has a SIMD path (ASC_FEATURE_SIMD, 4 lanes) and a scalar tail that is the whole loop in the scalar build.

import { fmadd } from "./simd";
import { exp_nonpos_v128, exp_scalar, tanh_v128, tanh_scalar } from "./vmath";

// ---- relu ----

/** out = max(x, 0). Wasm's float max propagates NaN on both paths, so a diverged input stays visible. */
export function relu_f32(n: i32, x: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.max(v128.load(x + o), zero));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, max<f32>(load<f32>(x + o), 0));
  }
}

/** dx = dy where the saved output y > 0, else 0 (the subgradient at 0 is taken as 0). dx may equal dy. */
export function relu_backward_f32(n: i32, y: usize, dy: usize, dx: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}

// ---- sigmoid ----
// σ(x) = 1/(1 + e^{−x}) overflows e^{−x} for very negative x; instead t = e^{−|x|} ∈ (0, 1] never overflows and
// σ = 1/(1 + t) for x >= 0, t/(1 + t) for x < 0. Relative error stays at the level of exp's on both sides.

// @ts-ignore: decorator
@inline function sigmoid_v128(x: v128): v128 {
  // −|x| <= 0 (or NaN): the non-positive exp (vmath.ts, < 2.5e-7 relative error) is enough and cheaper.
  const t = exp_nonpos_v128(f32x4.neg(f32x4.abs(x)));
  const one = f32x4.splat(1);
  const inv = f32x4.div(one, f32x4.add(one, t));
  // x < 0 → t·inv; NaN: t is NaN, so both choices are NaN.
  return v128.bitselect(f32x4.mul(t, inv), inv, f32x4.lt(x, f32x4.splat(0)));
}

// @ts-ignore: decorator
@inline function sigmoid_scalar(x: f32): f32 {
  const t = exp_scalar(-abs<f32>(x));
  const inv = <f32>1 / (<f32>1 + t);
  return x < 0 ? t * inv : inv;
}

/**
 * σ of one value for the loops' tails: in the SIMD builds through the vector code on a splat, so a value
 * gets the same bits whichever lane or tail it lands in (the vector path may fuse multiply-adds where
 * scalar code cannot); the scalar build has only the scalar code.
 */
// @ts-ignore: decorator
@inline function sigmoid_one(x: f32): f32 {
  if (ASC_FEATURE_SIMD) return f32x4.extract_lane(sigmoid_v128(f32x4.splat(x)), 0);
  return sigmoid_scalar(x);
}

/** out = σ(x) = 1/(1 + e^{−x}), stable for large |x| (→ exactly 1 or → 0, never NaN from Inf/Inf). */
export function sigmoid_f32(n: i32, x: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // Two independent vectors per iteration: exp is one long dependent chain, so this doubles the
    // work the out-of-order core can overlap (see exp_f32).
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const s0 = sigmoid_v128(v128.load(x + o));
      const s1 = sigmoid_v128(v128.load(x + o, 16));
      v128.store(out + o, s0);
      v128.store(out + o, s1, 16);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, sigmoid_v128(v128.load(x + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, sigmoid_one(load<f32>(x + o)));
  }
}

/** dx = dy·y·(1 − y), y the saved output σ(x). dx may equal dy or y. */
export function sigmoid_backward_f32(n: i32, y: usize, dy: usize, dx: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const vy = v128.load(y + o);
      v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.mul(vy, f32x4.sub(one, vy))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const vy = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (vy * (<f32>1 - vy)));
  }
}

// ---- tanh (forward is tanh_f32 in vmath.ts) ----

/** dx = dy·(1 − y²), y the saved output tanh(x). dx may equal dy or y. */
export function tanh_backward_f32(n: i32, y: usize, dy: usize, dx: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const vy = v128.load(y + o);
      v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.sub(one, f32x4.mul(vy, vy))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const vy = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (<f32>1 - vy * vy));
  }
}

// ---- fused bias + activation (Dense forward epilogue) ----
// x is m×n with row stride ldx, bias has n elements, out is m×n with row stride ldo (ldx, ldo >= n). Only the
// m×n elements are read and written, so the padding of strided rows is left alone. out may equal x (ldo == ldx).

/** out[i, j] = max(x[i, j] + bias[j], 0). */
export function bias_relu_f32(m: i32, n: i32, x: usize, ldx: i32, bias: usize, out: usize, ldo: i32): void {
  for (let r = 0; r < m; r++) {
    const xr = x + (<usize>(r * ldx) << 2);
    const orow = out + (<usize>(r * ldo) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const zero = f32x4.splat(0);
      for (; j + 4 <= n; j += 4) {
        const o = <usize>j << 2;
        v128.store(orow + o, f32x4.max(f32x4.add(v128.load(xr + o), v128.load(bias + o)), zero));
      }
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(orow + o, max<f32>(load<f32>(xr + o) + load<f32>(bias + o), 0));
    }
  }
}

/** out[i, j] = σ(x[i, j] + bias[j]). */
export function bias_sigmoid_f32(m: i32, n: i32, x: usize, ldx: i32, bias: usize, out: usize, ldo: i32): void {
  for (let r = 0; r < m; r++) {
    const xr = x + (<usize>(r * ldx) << 2);
    const orow = out + (<usize>(r * ldo) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= n; j += 4) {
        const o = <usize>j << 2;
        v128.store(orow + o, sigmoid_v128(f32x4.add(v128.load(xr + o), v128.load(bias + o))));
      }
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(orow + o, sigmoid_one(load<f32>(xr + o) + load<f32>(bias + o)));
    }
  }
}

// ---- in-place bias + activation: the epilogue of the fused Dense GEMM (gemm_bias_act_f32) ----

/** Activation codes of gemm_bias_act_f32, in the order of ACTIVATIONS in src/ops/dense.ts. */
export const ACT_LINEAR: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_SIGMOID: i32 = 2;
export const ACT_TANH: i32 = 3;

// @ts-ignore: decorator
@inline function activate_v128(x: v128, act: i32): v128 {
  if (act == ACT_RELU) return f32x4.max(x, f32x4.splat(0));
  if (act == ACT_SIGMOID) return sigmoid_v128(x);
  if (act == ACT_TANH) return tanh_v128(x);
  return x;
}

// @ts-ignore: decorator
@inline function activate_scalar(x: f32, act: i32): f32 {
  // SIMD builds: the vector code on a splat, so a tile's ragged edge gets the same bits as its lanes.
  if (ASC_FEATURE_SIMD) return f32x4.extract_lane(activate_v128(f32x4.splat(x), act), 0);
  if (act == ACT_RELU) return max<f32>(x, 0);
  if (act == ACT_SIGMOID) return sigmoid_scalar(x);
  if (act == ACT_TANH) return tanh_scalar(x);
  return x;
}

/**
 * c[i, j] = act(c[i, j] + bias[j]) for the m×n block at c (row stride ldc); bias == 0 means no bias.
 * Called by the GEMM on each finished tile while it is still in L1, so the fused Dense forward makes
 * one pass over its output instead of two.
 */
export function bias_act_inplace(m: i32, n: i32, c: usize, ldc: i32, bias: usize, act: i32): void {
  for (let r = 0; r < m; r++) {
    const row = c + (<usize>(r * ldc) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= n; j += 4) {
        const o = <usize>j << 2;
        let v = v128.load(row + o);
        if (bias != 0) v = f32x4.add(v, v128.load(bias + o));
        v128.store(row + o, activate_v128(v, act));
      }
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      let v = load<f32>(row + o);
      if (bias != 0) v += load<f32>(bias + o);
      store<f32>(row + o, activate_scalar(v, act));
    }
  }
}

// ---- GELU, GPT-2's tanh approximation ----
// gelu(x) = 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³), computed as x·σ(2u): the same function
// ((1 + tanh u)/2 = σ(2u) exactly), but one non-positive exp and one division instead of tanh's exp,
// division and odd polynomial, and no cancellation in 1 + tanh(u) for x < 0, so the error is relative on
// both sides (a few 1e-7, growing like |2u|·1e-7 in the far negative tail from rounding the exp's
// argument) instead of absolute (≈ |x|·1e-7, i.e. no correct digits once gelu(x) < 1e-7) as before.
// gelu'(x) = s + x·s·(1 − s)·2u', s = σ(2u), u' = √(2/π)·(1 + 3·0.044715·x²).
// Unlike the activations above, the backward takes the forward INPUT x (the output does not determine x).
// Edges: s is exactly 1 once 2u > 17 (x > 4.9), so gelu is exactly x for large x, and exactly ±0 once
// e^{−2|u|} flushes to 0 (x < −9.6); x³ may overflow to ±Inf for |x| > 7e12, which only saturates s. In the
// derivative x² is capped at GELU_X2_CAP (reached only where s(1 − s) is already exactly 0), so huge |x|
// gives dx = dy·(0 or 1) instead of 0·Inf = NaN. x = −Infinity gives NaN (−Inf·0), +Infinity gives
// +Infinity; the backward gives NaN for x = ±Infinity; NaN stays NaN.

const GELU_2C: f32 = 1.5957691216057308;  // 2·√(2/π)
const GELU_A: f32 = 0.044715;
const GELU_A3: f32 = 0.134145;             // 3·GELU_A
const GELU_X2_CAP: f32 = 100;              // |x| >= 10 ⇒ s(1 − s) = 0 exactly

// @ts-ignore: decorator
@inline function gelu_v128(x: v128): v128 {
  const z = f32x4.mul(f32x4.splat(GELU_2C), fmadd(f32x4.mul(f32x4.splat(GELU_A), f32x4.mul(x, x)), x, x));
  return f32x4.mul(x, sigmoid_v128(z));
}

// @ts-ignore: decorator
@inline function gelu_scalar(x: f32): f32 {
  return x * sigmoid_scalar(GELU_2C * (x + (GELU_A * (x * x)) * x));
}

/** gelu'(x) on each lane (see the section header). */
// @ts-ignore: decorator
@inline function gelu_grad_v128(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const one = f32x4.splat(1);
  const s = sigmoid_v128(f32x4.mul(f32x4.splat(GELU_2C), fmadd(f32x4.mul(f32x4.splat(GELU_A), x2), x, x)));
  const du2 = f32x4.mul(f32x4.splat(GELU_2C), fmadd(f32x4.splat(GELU_A3), f32x4.min(x2, f32x4.splat(GELU_X2_CAP)), one));
  return fmadd(f32x4.mul(f32x4.mul(x, s), f32x4.sub(one, s)), du2, s);
}

// @ts-ignore: decorator
@inline function gelu_grad_scalar(x: f32): f32 {
  const x2 = x * x;
  const s = sigmoid_scalar(GELU_2C * (x + (GELU_A * x2) * x));
  const du2 = GELU_2C * (<f32>1 + GELU_A3 * min<f32>(x2, GELU_X2_CAP));
  return s + ((x * s) * (<f32>1 - s)) * du2;
}

/** gelu / gelu' of one value for the loops' tails: the vector code in the SIMD builds (see sigmoid_one). */
// @ts-ignore: decorator
@inline function gelu_one(x: f32): f32 {
  if (ASC_FEATURE_SIMD) return f32x4.extract_lane(gelu_v128(f32x4.splat(x)), 0);
  return gelu_scalar(x);
}

// @ts-ignore: decorator
@inline function gelu_grad_one(x: f32): f32 {
  if (ASC_FEATURE_SIMD) return f32x4.extract_lane(gelu_grad_v128(f32x4.splat(x)), 0);
  return gelu_grad_scalar(x);
}

/** out = gelu(x), GPT-2's tanh approximation (see the section header). out may equal x. */
export function gelu_f32(n: i32, x: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) { // two independent exp chains per iteration
      const o = <usize>i << 2;
      const g0 = gelu_v128(v128.load(x + o));
      const g1 = gelu_v128(v128.load(x + o, 16));
      v128.store(out + o, g0);
      v128.store(out + o, g1, 16);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, gelu_v128(v128.load(x + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, gelu_one(load<f32>(x + o)));
  }
}

/** dx = dy·gelu'(x), x the saved forward INPUT. dx may equal dy or x. */
export function gelu_backward_f32(n: i32, x: usize, dy: usize, dx: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const g0 = f32x4.mul(v128.load(dy + o), gelu_grad_v128(v128.load(x + o)));
      const g1 = f32x4.mul(v128.load(dy + o, 16), gelu_grad_v128(v128.load(x + o, 16)));
      v128.store(dx + o, g0);
      v128.store(dx + o, g1, 16);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dx + o, f32x4.mul(v128.load(dy + o), gelu_grad_v128(v128.load(x + o))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dy + o) * gelu_grad_one(load<f32>(x + o)));
  }
}
