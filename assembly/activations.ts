// Activation functions, their backward passes, and the fused bias + activation epilogues of Dense.
//
// Contract for every function here: pointers are byte offsets into linear memory of f32 arrays; `n`, `m` are
// element / row counts >= 0; no allocation. Elementwise kernels read element i before writing element i, so
// `out` may equal `x` and `dx` may equal `dy` (or `y`). Backward kernels take the saved forward OUTPUT y, as the
// tutorial does (relu' = [y > 0], σ' = y(1 − y), tanh' = 1 − y²), so the forward input need not be kept.
// Each has a SIMD path (ASC_FEATURE_SIMD, 4 lanes) and a scalar tail that is the whole loop in the scalar build.

import { fmadd } from "./simd";
import { exp_v128, exp_scalar, tanh_v128, tanh_scalar } from "./vmath";

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
  const t = exp_v128(f32x4.neg(f32x4.abs(x)));
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
    store<f32>(out + o, sigmoid_scalar(load<f32>(x + o)));
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
      store<f32>(orow + o, sigmoid_scalar(load<f32>(xr + o) + load<f32>(bias + o)));
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
// gelu(x) = 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³).
// gelu'(x) = 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²), t = tanh(u).
// Unlike the activations above, the backward takes the forward INPUT x (the output does not determine x).
// Edges: tanh is exactly ±1 once |u| > 9 (|x| > 5.2), so gelu is exactly x for large x and ±0 for large
// negative x; x³ may overflow to ±Inf for |x| > 7e12, which only saturates the tanh. In the derivative x² is
// capped at GELU_X2_CAP (reached only where 1 − t² is already exactly 0), so huge |x| gives dx = dy·(0 or 1)
// instead of 0·Inf = NaN. x = −Infinity gives NaN (−Inf·0), +Infinity gives +Infinity; the backward gives NaN
// for x = ±Infinity; NaN stays NaN.
// Accuracy: for x < 0 the factor 1 + t cancels, so the error is absolute (about |x|·1e-7), not relative.

const GELU_C: f32 = 0.7978845608028654;   // √(2/π)
const GELU_A: f32 = 0.044715;
const GELU_A3: f32 = 0.134145;             // 3·GELU_A
const GELU_X2_CAP: f32 = 100;              // |x| >= 10 ⇒ |u| > 9 ⇒ t = ±1 exactly

// @ts-ignore: decorator
@inline function gelu_v128(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const u = f32x4.mul(f32x4.splat(GELU_C), fmadd(f32x4.mul(f32x4.splat(GELU_A), x2), x, x));
  const t = tanh_v128(u);
  return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(f32x4.splat(1), t));
}

// @ts-ignore: decorator
@inline function gelu_scalar(x: f32): f32 {
  const x2 = x * x;
  const t = tanh_scalar(GELU_C * (x + (GELU_A * x2) * x));
  return (<f32>0.5 * x) * (<f32>1 + t);
}

/** gelu'(x) on each lane (see the section header). */
// @ts-ignore: decorator
@inline function gelu_grad_v128(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const one = f32x4.splat(1), half = f32x4.splat(0.5);
  const t = tanh_v128(f32x4.mul(f32x4.splat(GELU_C), fmadd(f32x4.mul(f32x4.splat(GELU_A), x2), x, x)));
  const du = f32x4.mul(f32x4.splat(GELU_C), fmadd(f32x4.splat(GELU_A3), f32x4.min(x2, f32x4.splat(GELU_X2_CAP)), one));
  const sech2 = f32x4.sub(one, f32x4.mul(t, t));
  return fmadd(f32x4.mul(f32x4.mul(half, x), sech2), du, f32x4.mul(half, f32x4.add(one, t)));
}

// @ts-ignore: decorator
@inline function gelu_grad_scalar(x: f32): f32 {
  const x2 = x * x;
  const t = tanh_scalar(GELU_C * (x + (GELU_A * x2) * x));
  const du = GELU_C * (<f32>1 + GELU_A3 * min<f32>(x2, GELU_X2_CAP));
  const sech2 = <f32>1 - t * t;
  return <f32>0.5 * (<f32>1 + t) + ((<f32>0.5 * x) * sech2) * du;
}

/** out = gelu(x), GPT-2's tanh approximation (see the section header). out may equal x. */
export function gelu_f32(n: i32, x: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) { // two independent tanh chains per iteration, as in tanh_f32
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
    store<f32>(out + o, gelu_scalar(load<f32>(x + o)));
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
    store<f32>(dx + o, load<f32>(dy + o) * gelu_grad_scalar(load<f32>(x + o)));
  }
}
