// Parameter updates and gradient statistics, one kernel call per parameter tensor.

import { ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, requireDisjoint } from "./checks.js";

function sameSize(op: string, ...ts: Tensor[]): void {
  const n = ts[0]!.size;
  if (ts.some((t) => t.size !== n)) throw new ShapeError(`${op}: sizes differ (${ts.map((t) => formatShape(t.shape)).join(", ")})`);
}

/** param −= lr·grad */
export function sgdStep(param: Tensor, grad: Tensor, lr: number): void {
  const b = backendOf("sgdStep", param, grad);
  sameSize("sgdStep", param, grad);
  requireDisjoint("sgdStep", { param, grad });
  b.kernels.sgd_f32(param.size, lr, grad.ptr, param.ptr);
}

/** velocity = momentum·velocity + grad; param −= lr·velocity */
export function momentumStep(param: Tensor, grad: Tensor, velocity: Tensor, lr: number, momentum: number): void {
  const b = backendOf("momentumStep", param, grad, velocity);
  sameSize("momentumStep", param, grad, velocity);
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
  requireDisjoint("adamStep", { param, grad, m, v });
  const bias1 = 1 - h.beta1 ** h.step;
  const bias2 = 1 - h.beta2 ** h.step;
  b.kernels.adam_f32(param.size, h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, bias1, bias2, grad.ptr, m.ptr, v.ptr, param.ptr);
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
