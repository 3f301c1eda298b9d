// Activation functions, their backward passes, and the fused bias + activation epilogues of Dense.
// One vocabulary: every activation has a code (ACT_*), a vector body (activate_v128) and a backward body
// (grad_v128); the elementwise kernels are the one loop skeleton (map_act / map_grad) instantiated per code,
// and the GEMM epilogue (bias_act_inplace) applies the same bodies to each finished tile.
//
// Contract for every function here: pointers are byte offsets into linear memory of f32 arrays; `n`, `m` are
// element / row counts >= 0; no allocation. Elementwise kernels read element i before writing element i, so
// `out` may equal `x` and `dx` may equal `dy` (or `y`). Backward kernels take the saved forward OUTPUT y, as the
// tutorial does (relu' = [y > 0], σ' = y(1 − y), tanh' = 1 − y²), so the forward input need not be kept — except
// GELU, whose output does not determine its input: its backward takes the forward INPUT x.
// Each has a SIMD path (ASC_FEATURE_SIMD, 4 lanes) and a scalar tail that is the whole loop in the scalar build;
// in the SIMD builds the tail runs the vector body on a splat, so a value gets the same bits in any lane or tail
// (the vector path may fuse multiply-adds where scalar code cannot).

import { fmadd } from "./simd";
import { exp_nonpos_v128, exp_scalar, tanh_v128, tanh_scalar } from "./vmath";

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

// ---- GELU, GPT-2's tanh approximation ----
// gelu(x) = 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³), computed as x·σ(2u): the same function
// ((1 + tanh u)/2 = σ(2u) exactly), but one non-positive exp and one division instead of tanh's exp,
// division and odd polynomial, and no cancellation in 1 + tanh(u) for x < 0, so the error is relative on
// both sides (a few 1e-7, growing like |2u|·1e-7 in the far negative tail from rounding the exp's
// argument) instead of absolute (≈ |x|·1e-7, i.e. no correct digits once gelu(x) < 1e-7) as before.
// gelu'(x) = s + x·s·(1 − s)·2u', s = σ(2u), u' = √(2/π)·(1 + 3·0.044715·x²).
// Unlike relu, sigmoid and tanh, the backward takes the forward INPUT x (the output does not determine x).
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

/**
 * gelu(x) and gelu'(x) from one σ: the same operations, in the same order, as gelu_v128 and gelu_grad_v128 (the
 * σ argument, x·s and the derivative's polynomial are written identically), so both results are bit for bit theirs.
 * Returns gelu(x); stores gelu'(x) at g.
 */
// @ts-ignore: decorator
@inline function gelu_with_grad_v128(x: v128, g: usize): v128 {
  const x2 = f32x4.mul(x, x);
  const one = f32x4.splat(1);
  const s = sigmoid_v128(f32x4.mul(f32x4.splat(GELU_2C), fmadd(f32x4.mul(f32x4.splat(GELU_A), x2), x, x)));
  const xs = f32x4.mul(x, s);
  const du2 = f32x4.mul(f32x4.splat(GELU_2C), fmadd(f32x4.splat(GELU_A3), f32x4.min(x2, f32x4.splat(GELU_X2_CAP)), one));
  v128.store(g, fmadd(f32x4.mul(xs, f32x4.sub(one, s)), du2, s));
  return xs;
}

/** gelu'(x) of one value, with the bits grad_scalar multiplies dy by (the vector body on a splat in SIMD builds). */
// @ts-ignore: decorator
@inline function gelu_grad_one(x: f32): f32 {
  if (ASC_FEATURE_SIMD) return f32x4.extract_lane(gelu_grad_v128(f32x4.splat(x)), 0);
  return gelu_grad_scalar(x);
}

// ---- the vocabulary: codes and bodies ----

/** Activation codes of gemm_bias_act_f32 and the map kernels, in the order of ACTIVATIONS in src/ops/activations.ts. */
export const ACT_LINEAR: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_SIGMOID: i32 = 2;
export const ACT_TANH: i32 = 3;
export const ACT_GELU: i32 = 4;
/**
 * Flag on the act of the epilogues (gemm_bias_act_f32, bias_act_inplace): `pre` receives the derivative act'(z)
 * instead of z, computed from the same σ as act(z). Only with ACT_GELU. Why: GELU's backward otherwise recomputes
 * that σ (an exp and a division per element) from z in a separate pass over [rows, 4d]; with the derivative
 * saved, the backward is one multiply dz = dy ⊙ act'(z), with the same bits as gelu_backward_f32 (which
 * multiplies dy by the same gelu_grad value). Not an `export const ACT_*`: it is not an activation of its own.
 */
export const EPILOGUE_SAVE_GRAD: i32 = 16;

/**
 * The epilogue's act code (gemm_bias_act_f32, bias_act_inplace) for c = (c + bias) ⊙ pre, `pre` read (not written):
 * the backward through a GELU, dz = (dy·Wᵀ) ⊙ gelu'(z), fused into the GEMM that makes dy·Wᵀ, instead of a
 * separate mul_f32 pass over [rows, 4d] (the same bits: one f32 product per element either way).
 */
export const EPILOGUE_MUL: i32 = 32;

// @ts-ignore: decorator
@inline function activate_v128(x: v128, act: i32): v128 {
  // Wasm's float max propagates NaN, so a diverged input stays visible through relu.
  if (act == ACT_RELU) return f32x4.max(x, f32x4.splat(0));
  if (act == ACT_SIGMOID) return sigmoid_v128(x);
  if (act == ACT_TANH) return tanh_v128(x);
  if (act == ACT_GELU) return gelu_v128(x);
  return x;
}

// @ts-ignore: decorator
@inline function activate_scalar(x: f32, act: i32): f32 {
  if (ASC_FEATURE_SIMD) return f32x4.extract_lane(activate_v128(f32x4.splat(x), act), 0);
  if (act == ACT_RELU) return max<f32>(x, 0);
  if (act == ACT_SIGMOID) return sigmoid_scalar(x);
  if (act == ACT_TANH) return tanh_scalar(x);
  if (act == ACT_GELU) return gelu_scalar(x);
  return x;
}

/**
 * dx = dy·act'(·) from `a`: the saved OUTPUT y for relu, sigmoid and tanh, the forward INPUT x for GELU.
 * relu masks dy (the subgradient at 0 is taken as 0) rather than multiplying, so 0·Inf never makes a NaN.
 */
// @ts-ignore: decorator
@inline function grad_v128(a: v128, dy: v128, act: i32): v128 {
  const one = f32x4.splat(1);
  if (act == ACT_RELU) return v128.and(dy, f32x4.gt(a, f32x4.splat(0)));
  if (act == ACT_SIGMOID) return f32x4.mul(dy, f32x4.mul(a, f32x4.sub(one, a)));
  if (act == ACT_TANH) return f32x4.mul(dy, f32x4.sub(one, f32x4.mul(a, a)));
  if (act == ACT_GELU) return f32x4.mul(dy, gelu_grad_v128(a));
  return dy;
}

// @ts-ignore: decorator
@inline function grad_scalar(a: f32, dy: f32, act: i32): f32 {
  if (ASC_FEATURE_SIMD) return f32x4.extract_lane(grad_v128(f32x4.splat(a), f32x4.splat(dy), act), 0);
  if (act == ACT_RELU) return a > 0 ? dy : 0;
  if (act == ACT_SIGMOID) return dy * (a * (<f32>1 - a));
  if (act == ACT_TANH) return dy * (<f32>1 - a * a);
  if (act == ACT_GELU) return dy * gelu_grad_scalar(a);
  return dy;
}

// ---- the loop skeletons, written once ----
// @inline with a constant `act`: after inlining, the optimizer folds the code tests away, so each exported
// kernel is its own straight loop (checked in build/simdnet.wat: no act comparisons inside relu_f32's loop).
// Two independent vectors per iteration: exp (sigmoid, GELU) is one long dependent chain, so this doubles the
// work the out-of-order core can overlap; for relu it costs nothing.

// @ts-ignore: decorator
@inline function map_act(n: i32, x: usize, out: usize, act: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const v0 = activate_v128(v128.load(x + o), act);
      const v1 = activate_v128(v128.load(x + o, 16), act);
      v128.store(out + o, v0);
      v128.store(out + o, v1, 16);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, activate_v128(v128.load(x + o), act));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, activate_scalar(load<f32>(x + o), act));
  }
}

// @ts-ignore: decorator
@inline function map_grad(n: i32, a: usize, dy: usize, dx: usize, act: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const g0 = grad_v128(v128.load(a + o), v128.load(dy + o), act);
      const g1 = grad_v128(v128.load(a + o, 16), v128.load(dy + o, 16), act);
      v128.store(dx + o, g0);
      v128.store(dx + o, g1, 16);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dx + o, grad_v128(v128.load(a + o), v128.load(dy + o), act));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, grad_scalar(load<f32>(a + o), load<f32>(dy + o), act));
  }
}

// ---- the elementwise kernels ----

/** out = max(x, 0). out may equal x. */
export function relu_f32(n: i32, x: usize, out: usize): void {
  map_act(n, x, out, ACT_RELU);
}

/** dx = dy where the saved output y > 0, else 0. dx may equal dy. */
export function relu_backward_f32(n: i32, y: usize, dy: usize, dx: usize): void {
  map_grad(n, y, dy, dx, ACT_RELU);
}

/** out = σ(x) = 1/(1 + e^{−x}), stable for large |x| (→ exactly 1 or → 0, never NaN from Inf/Inf). */
export function sigmoid_f32(n: i32, x: usize, out: usize): void {
  map_act(n, x, out, ACT_SIGMOID);
}

/** dx = dy·y·(1 − y), y the saved output σ(x). dx may equal dy or y. */
export function sigmoid_backward_f32(n: i32, y: usize, dy: usize, dx: usize): void {
  map_grad(n, y, dy, dx, ACT_SIGMOID);
}

/** dx = dy·(1 − y²), y the saved output tanh(x) (the forward is tanh_f32 in vmath.ts). dx may equal dy or y. */
export function tanh_backward_f32(n: i32, y: usize, dy: usize, dx: usize): void {
  map_grad(n, y, dy, dx, ACT_TANH);
}

/** out = gelu(x), GPT-2's tanh approximation (see the GELU section). out may equal x. */
export function gelu_f32(n: i32, x: usize, out: usize): void {
  map_act(n, x, out, ACT_GELU);
}

/** dx = dy·gelu'(x), x the saved forward INPUT. dx may equal dy or x. */
export function gelu_backward_f32(n: i32, x: usize, dy: usize, dx: usize): void {
  map_grad(n, x, dy, dx, ACT_GELU);
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
      store<f32>(orow + o, activate_scalar(load<f32>(xr + o) + load<f32>(bias + o), ACT_SIGMOID));
    }
  }
}

// ---- in-place bias + activation: the epilogue of the fused Dense GEMM (gemm_bias_act_f32) ----

/**
 * c[i, j] = act(c[i, j] + bias[j]) for the m×n block at c (row stride ldc); bias == 0 means no bias. When pre is
 * not 0, the pre-activation c[i, j] + bias[j] is also stored at pre (same row stride): GELU's backward needs it.
 * Called by the GEMM on each finished tile while it is still in L1, so the fused Dense forward makes one pass
 * over its output instead of two.
 */
export function bias_act_inplace(m: i32, n: i32, c: usize, ldc: i32, bias: usize, act: i32, pre: usize): void {
  if (act == (ACT_GELU | EPILOGUE_SAVE_GRAD)) {
    bias_with_pre(ACT_GELU | EPILOGUE_SAVE_GRAD, m, n, c, ldc, bias, pre);
    return;
  }
  if (act == EPILOGUE_MUL) {
    bias_with_pre(EPILOGUE_MUL, m, n, c, ldc, bias, pre);
    return;
  }
  for (let r = 0; r < m; r++) {
    const rowOffset = <usize>(r * ldc) << 2;
    const row = c + rowOffset;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      // A full tile row is 8 wide: two independent activations per iteration (exp is one long dependent
      // chain in sigmoid and GELU, so two overlap), as in map_act.
      for (; j + 8 <= n; j += 8) {
        const o = <usize>j << 2;
        let v0 = v128.load(row + o);
        let v1 = v128.load(row + o, 16);
        if (bias != 0) {
          v0 = f32x4.add(v0, v128.load(bias + o));
          v1 = f32x4.add(v1, v128.load(bias + o, 16));
        }
        if (pre != 0) {
          v128.store(pre + rowOffset + o, v0);
          v128.store(pre + rowOffset + o, v1, 16);
        }
        const a0 = activate_v128(v0, act);
        const a1 = activate_v128(v1, act);
        v128.store(row + o, a0);
        v128.store(row + o, a1, 16);
      }
      for (; j + 4 <= n; j += 4) {
        const o = <usize>j << 2;
        let v = v128.load(row + o);
        if (bias != 0) v = f32x4.add(v, v128.load(bias + o));
        if (pre != 0) v128.store(pre + rowOffset + o, v);
        v128.store(row + o, activate_v128(v, act));
      }
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      let v = load<f32>(row + o);
      if (bias != 0) v += load<f32>(bias + o);
      if (pre != 0) store<f32>(pre + rowOffset + o, v);
      store<f32>(row + o, activate_scalar(v, act));
    }
  }
}

/**
 * bias_act_inplace for the two codes whose `pre` is not the pre-activation, rows of c (stride ldc) and pre alike:
 * act = ACT_GELU | EPILOGUE_SAVE_GRAD: c = gelu(c + bias), pre = gelu'(c + bias);
 * act = EPILOGUE_MUL: c = (c + bias) ⊙ pre (pre read only). act is a constant at each call.
 */
// @ts-ignore: decorator
@inline function bias_with_pre(act: i32, m: i32, n: i32, c: usize, ldc: i32, bias: usize, pre: usize): void {
  for (let r = 0; r < m; r++) {
    const rowOffset = <usize>(r * ldc) << 2;
    const row = c + rowOffset;
    const grow = pre + rowOffset;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= n; j += 4) {
        const o = <usize>j << 2;
        let v = v128.load(row + o);
        if (bias != 0) v = f32x4.add(v, v128.load(bias + o));
        if (act == EPILOGUE_MUL) v128.store(row + o, f32x4.mul(v, v128.load(grow + o)));
        else v128.store(row + o, gelu_with_grad_v128(v, grow + o));
      }
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      let v = load<f32>(row + o);
      if (bias != 0) v += load<f32>(bias + o);
      if (act == EPILOGUE_MUL) {
        store<f32>(row + o, v * load<f32>(grow + o));
      } else {
        store<f32>(grow + o, gelu_grad_one(v));
        store<f32>(row + o, activate_scalar(v, ACT_GELU));
      }
    }
  }
}

/**
 * bias_act_inplace for one full 4×8 GEMM tile, inlined into the GEMM's tile loop: the same arithmetic, in the same
 * order, on the same vectors (a full tile row is one trip of bias_act_inplace's 8-wide loop), so the results are
 * bit for bit those of bias_act_inplace. Why it exists: called once per tile, the out-of-line bias_act_inplace
 * added 28–30 % to a k = 128 GEMM for a bias alone (this: ≈ 3 %), and 60 % for bias + GELU + pre-activation.
 */
// @ts-ignore: decorator
@inline export function bias_act_tile_4x8(c: usize, ldc: i32, bias: usize, act: i32, pre: usize): void {
  if (act == ACT_LINEAR) bias_act_tile_rows(c, ldc, bias, ACT_LINEAR, pre);
  else if (act == ACT_GELU) bias_act_tile_rows(c, ldc, bias, ACT_GELU, pre);
  else if (act == ACT_RELU) bias_act_tile_rows(c, ldc, bias, ACT_RELU, pre);
  else if (act == (ACT_GELU | EPILOGUE_SAVE_GRAD)) bias_act_tile_rows(c, ldc, bias, ACT_GELU | EPILOGUE_SAVE_GRAD, pre);
  else if (act == EPILOGUE_MUL) bias_act_tile_rows(c, ldc, bias, EPILOGUE_MUL, pre);
  else bias_act_inplace(4, 8, c, ldc, bias, act, pre);
}

/**
 * The four rows of bias_act_tile_4x8 for a constant act, two rows (four independent σ chains) per trip: one row per
 * trip was ≈ 2× slower. With act = ACT_GELU | EPILOGUE_SAVE_GRAD, pre receives gelu'(c + bias) instead of c + bias
 * (the same bits per element as bias_with_pre); with act = EPILOGUE_MUL, c + bias is multiplied by pre (as
 * bias_with_pre). act is a constant at every call, so each branch on it folds.
 */
// @ts-ignore: decorator
@inline function bias_act_tile_rows(c: usize, ldc: i32, bias: usize, act: i32, pre: usize): void {
  const stride = <usize>ldc << 2;
  const b0 = bias != 0 ? v128.load(bias) : f32x4.splat(0);
  const b1 = bias != 0 ? v128.load(bias, 16) : f32x4.splat(0);
  let row = c, prow = pre;
  for (let r = 0; r < 4; r += 2) {
    const row2 = row + stride;
    let v0 = v128.load(row);
    let v1 = v128.load(row, 16);
    let v2 = v128.load(row2);
    let v3 = v128.load(row2, 16);
    if (bias != 0) {
      v0 = f32x4.add(v0, b0);
      v1 = f32x4.add(v1, b1);
      v2 = f32x4.add(v2, b0);
      v3 = f32x4.add(v3, b1);
    }
    if (act == (ACT_GELU | EPILOGUE_SAVE_GRAD)) {
      const prow2 = prow + stride;
      v128.store(row, gelu_with_grad_v128(v0, prow));
      v128.store(row, gelu_with_grad_v128(v1, prow + 16), 16);
      v128.store(row2, gelu_with_grad_v128(v2, prow2));
      v128.store(row2, gelu_with_grad_v128(v3, prow2 + 16), 16);
    } else if (act == EPILOGUE_MUL) {
      const prow2 = prow + stride;
      v128.store(row, f32x4.mul(v0, v128.load(prow)));
      v128.store(row, f32x4.mul(v1, v128.load(prow, 16)), 16);
      v128.store(row2, f32x4.mul(v2, v128.load(prow2)));
      v128.store(row2, f32x4.mul(v3, v128.load(prow2, 16)), 16);
    } else {
      if (pre != 0) {
        v128.store(prow, v0);
        v128.store(prow, v1, 16);
        v128.store(prow + stride, v2);
        v128.store(prow + stride, v3, 16);
      }
      v128.store(row, activate_v128(v0, act));
      v128.store(row, activate_v128(v1, act), 16);
      v128.store(row2, activate_v128(v2, act));
      v128.store(row2, activate_v128(v3, act), 16);
    }
    row = row2 + stride;
    prow += stride << 1;
  }
}
