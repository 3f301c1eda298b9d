// Optimizer steps (SGD, SGD with momentum, AdamW) and the two reductions a training loop needs around them:
// the sum of squares for global-norm gradient clipping and a finiteness check for divergence detection.
//
// Contract for the exported kernels: pointers are byte offsets into linear memory of f32 arrays of n elements;
// n >= 0; state buffers (velocity, m, v) are updated in place and must not overlap each other, grad or param.
// Hyperparameters are f32 scalars passed per call, so schedules (learning-rate decay, bias corrections) live
// on the host. No allocation, no globals. SIMD path (ASC_FEATURE_SIMD, 4 lanes) plus a scalar loop that is
// the ragged tail there and the whole loop in the scalar build.

import { fmadd } from "./simd";
import { sum_sq_f64 } from "./loss";

/** param[i] −= lr·grad[i]. */
export function sgd_f32(n: i32, lr: f32, grad: usize, param: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(param + o, f32x4.sub(v128.load(param + o), f32x4.mul(vlr, v128.load(grad + o))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(param + o, load<f32>(param + o) - lr * load<f32>(grad + o));
  }
}

/**
 * Heavy-ball momentum (PyTorch's convention, no dampening): velocity = momentum·velocity + grad, then
 * param −= lr·velocity. velocity starts at 0 on the host.
 */
export function sgd_momentum_f32(n: i32, lr: f32, momentum: f32, grad: usize, velocity: usize, param: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), vmu = f32x4.splat(momentum);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const vel = fmadd(vmu, v128.load(velocity + o), v128.load(grad + o));
      v128.store(velocity + o, vel);
      v128.store(param + o, f32x4.sub(v128.load(param + o), f32x4.mul(vlr, vel)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const vel = momentum * load<f32>(velocity + o) + load<f32>(grad + o);
    store<f32>(velocity + o, vel);
    store<f32>(param + o, load<f32>(param + o) - lr * vel);
  }
}

/**
 * AdamW (decoupled weight decay), one step:
 *   m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²
 *   param −= lr·( (m/bias1) / (sqrt(v/bias2) + eps) + weightDecay·param )
 * with bias1 = 1 − β1^t and bias2 = 1 − β2^t computed by the host for step t >= 1 (both in (0, 1]).
 * The kernel takes the complements c1 = 1 − β1 and c2 = 1 − β2, formed by the host in float64 and rounded
 * once to f32, and derives β = 1 − c here: rounding β itself to f32 first (0.999 → 0.99900001287) would
 * leave 1 − β off by 1.3e-5 relative, an error in every v, whereas 1 − c is within an ulp of β.
 * The weight-decay term uses param before this step's update. The divisions by bias1/bias2 are done as
 * multiplications by reciprocals computed once (≤ 1 ulp different from dividing; keeps divides off the loop
 * except the one the formula needs). m and v start at 0 on the host.
 */
export function adam_f32(
  n: i32, lr: f32, c1: f32, c2: f32, eps: f32, weightDecay: f32, bias1: f32, bias2: f32,
  grad: usize, m: usize, v: usize, param: usize,
): void {
  const beta1: f32 = <f32>1 - c1, beta2: f32 = <f32>1 - c2;
  const ib1: f32 = <f32>1 / bias1, ib2: f32 = <f32>1 / bias2;
  // Moments of a parameter whose gradient stays exactly 0 (a dead ReLU's weights, an always-blank
  // pixel's) decay geometrically into subnormal floats, which Wasm cannot flush to zero and which
  // make arithmetic on them many times slower. Below TINY they are set to 0: their contribution to
  // the step (≤ 1e-30 / (√v + eps)) is far below f32 resolution of any weight.
  const TINY: f32 = 1e-30;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(beta1), vb2 = f32x4.splat(beta2), vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2);
    const vib1 = f32x4.splat(ib1), vib2 = f32x4.splat(ib2), veps = f32x4.splat(eps);
    const vlr = f32x4.splat(lr), vwd = f32x4.splat(weightDecay), vtiny = f32x4.splat(TINY);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const g = v128.load(grad + o);
      let mm = fmadd(vc1, g, f32x4.mul(vb1, v128.load(m + o)));
      let vv = fmadd(vc2, f32x4.mul(g, g), f32x4.mul(vb2, v128.load(v + o)));
      mm = v128.and(mm, f32x4.ge(f32x4.abs(mm), vtiny)); // lanes below TINY become +0
      vv = v128.and(vv, f32x4.ge(vv, vtiny));
      v128.store(m + o, mm);
      v128.store(v + o, vv);
      const p = v128.load(param + o);
      const step = f32x4.div(f32x4.mul(mm, vib1), f32x4.add(f32x4.sqrt(f32x4.mul(vv, vib2)), veps));
      v128.store(param + o, f32x4.sub(p, f32x4.mul(vlr, fmadd(vwd, p, step))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(grad + o);
    let mm = beta1 * load<f32>(m + o) + c1 * g;
    let vv = beta2 * load<f32>(v + o) + c2 * (g * g);
    if (abs<f32>(mm) < TINY) mm = 0;
    if (vv < TINY) vv = 0;
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    const p = load<f32>(param + o);
    const step = (mm * ib1) / (sqrt<f32>(vv * ib2) + eps);
    store<f32>(param + o, p - lr * (step + weightDecay * p));
  }
}

/**
 * Σ x[i]², for global-norm gradient clipping (norm = sqrt of the sum over all parameter tensors). Blocked f32
 * partial sums folded into f64 (see sum_sq_f64 in loss.ts), so the error does not grow with n. May be +Infinity
 * for huge gradients (then the host should treat the step as diverged, see all_finite_f32).
 */
export function sum_squares_f32(n: i32, x: usize): f32 {
  return <f32>sum_sq_f64(n, x, 0, false);
}

/**
 * 1 if every x[i] is finite, 0 if any is NaN or ±Infinity (divergence detection; n = 0 gives 1).
 * x − x is exactly +0 for finite x and NaN otherwise, so OR-ing the bits of x − x into an accumulator leaves it
 * all-zero iff everything is finite. The OR has 1-cycle latency, so one accumulator does not limit the loop.
 * The SIMD path scans to the end (no per-vector branch); the scalar path stops at the first non-finite value.
 */
export function all_finite_f32(n: i32, x: usize): i32 {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = i32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      acc = v128.or(acc, f32x4.sub(v, v));
    }
    if (v128.any_true(acc)) return 0;
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v - v != 0) return 0; // NaN != 0 is true
  }
  return 1;
}
