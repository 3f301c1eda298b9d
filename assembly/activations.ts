// Activation functions, their backward passes, and the fused bias + activation epilogues of Dense.
//
// Contract for every function here: pointers are byte offsets into linear memory of f32 arrays; `n`, `m` are
// element / row counts >= 0; no allocation. Elementwise kernels read element i before writing element i, so
// `out` may equal `x` and `dx` may equal `dy` (or `y`). Backward kernels take the saved forward OUTPUT y, as the
// tutorial does (relu' = [y > 0], σ' = y(1 − y), tanh' = 1 − y²), so the forward input need not be kept.
// Each has a SIMD path (ASC_FEATURE_SIMD, 4 lanes) and a scalar tail that is the whole loop in the scalar build.

import { exp_v128, exp_scalar } from "./vmath";

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
