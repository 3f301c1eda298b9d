// Parameter updates and gradient statistics, one kernel call per parameter tensor.

import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, requireDisjoint } from "./checks.js";

function sameSize(op: string, ...ts: Tensor[]): void {
  const n = ts[0]!.size;
  if (ts.some((t) => t.size !== n)) throw new ShapeError(`${op}: sizes differ (${ts.map((t) => formatShape(t.shape)).join(", ")})`);
}

/**
 * Hyperparameters are checked on every call, before any write: a NaN or infinite rate, a beta
 * outside [0, 1) or a step count below 1 would otherwise write NaN into every parameter.
 */
function requireRange(op: string, name: string, value: number, low: number, high: number, what: string, integer = false, highInclusive = false): void {
  const below = highInclusive ? value <= high : value < high;
  // Number.isFinite is false for anything that is not a number, so no separate typeof test is needed.
  const ok = Number.isFinite(value) && value >= low && below && (!integer || Number.isInteger(value));
  if (!ok) throw new ArgumentError(`${op}: ${name} must be ${what}, got ${String(value)}`);
}

/** The kernels take float32: a rate that is finite as a double but overflows float32 is ∞ to them. */
const F32_MAX = 3.4028234663852886e38;
const F32_MIN = 1.401298464324817e-45; // the smallest float32 above 0: eps below it is 0 to the kernel
const finiteRate = (op: string, value: number) => requireRange(op, "lr", value, -F32_MAX, F32_MAX, "a finite number", false, true);

/** param −= lr·grad */
export function sgdStep(param: Tensor, grad: Tensor, lr: number): void {
  const b = backendOf("sgdStep", param, grad);
  sameSize("sgdStep", param, grad);
  finiteRate("sgdStep", lr);
  requireDisjoint("sgdStep", { param, grad });
  b.kernels.sgd_f32(param.size, lr, grad.ptr, param.ptr);
}

/** velocity = momentum·velocity + grad; param −= lr·velocity */
export function momentumStep(param: Tensor, grad: Tensor, velocity: Tensor, lr: number, momentum: number): void {
  const b = backendOf("momentumStep", param, grad, velocity);
  sameSize("momentumStep", param, grad, velocity);
  finiteRate("momentumStep", lr);
  requireRange("momentumStep", "momentum", momentum, 0, Infinity, "a finite number >= 0");
  requireDisjoint("momentumStep", { param, grad, velocity });
  b.kernels.sgd_momentum_f32(param.size, lr, momentum, grad.ptr, velocity.ptr, param.ptr);
}

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count, for the bias corrections. */
  step: number;
}

/** AdamW: decoupled weight decay, bias-corrected moments. */
export function adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamHyper): void {
  const b = backendOf("adamStep", param, grad, m, v);
  sameSize("adamStep", param, grad, m, v);
  const op = "adamStep";
  finiteRate(op, h.lr);
  requireRange(op, "beta1", h.beta1, 0, 1, "in [0, 1)");
  requireRange(op, "beta2", h.beta2, 0, 1, "in [0, 1)");
  requireRange(op, "eps", h.eps, F32_MIN, F32_MAX, "a finite number > 0 (as float32)", false, true);
  requireRange(op, "weightDecay", h.weightDecay, 0, Infinity, "a finite number >= 0");
  requireRange(op, "step", h.step, 1, Infinity, "an integer >= 1 (the 1-based step count)", true);
  requireDisjoint("adamStep", { param, grad, m, v });
  // Every constant is formed here in float64 and rounded to float32 once, at the call: the kernel gets
  // 1 − β rather than β, because β2 = 0.999 rounded to float32 first leaves 1 − β2 off by 1.3e-5.
  const bias1 = 1 - h.beta1 ** h.step;
  const bias2 = 1 - h.beta2 ** h.step;
  b.kernels.adam_f32(param.size, h.lr, 1 - h.beta1, 1 - h.beta2, h.eps, h.weightDecay, bias1, bias2, grad.ptr, m.ptr, v.ptr, param.ptr);
}

/** Σ x² (for global-norm clipping and divergence checks). */
export function sumSquares(x: Tensor): number {
  const b = backendOf("sumSquares", x);
  return b.kernels.sum_squares_f32(x.size, x.ptr);
}

/** No NaN or ±Infinity in x. */
export function allFinite(x: Tensor): boolean {
  const b = backendOf("allFinite", x);
  return b.kernels.all_finite_f32(x.size, x.ptr) === 1;
}
