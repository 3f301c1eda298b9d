// An optimizer's per-parameter state (Adam's moments, momentum's velocity) as named tensors, so a
// training checkpoint can carry it and a resumed run continues bit for bit. Names follow the GPT
// checkpoint's convention: "optimizer.m.<param>", "optimizer.v.<param>", "optimizer.velocity.<param>".

import { FormatError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import type { Parameter } from "../nn/module.js";
import { Adam, SGD, type Optimizer } from "../nn/optimizers.js";

export const OPTIMIZER_PREFIX = "optimizer.";

/** Every state tensor of `optimizer` for `params`, by checkpoint name (empty for plain SGD). */
export function optimizerStateTensors(optimizer: Optimizer, params: readonly Parameter[]): Map<string, Tensor> {
  const state = new Map<string, Tensor>();
  for (const p of params) {
    if (optimizer instanceof Adam) {
      const { m, v } = optimizer.moments(p.value);
      state.set(`${OPTIMIZER_PREFIX}m.${p.name}`, m);
      state.set(`${OPTIMIZER_PREFIX}v.${p.name}`, v);
    } else if (optimizer instanceof SGD && optimizer.momentum > 0) {
      state.set(`${OPTIMIZER_PREFIX}velocity.${p.name}`, optimizer.velocityOf(p.value));
    }
  }
  return state;
}

/** Adam's step counter (bias correction), 0 for optimizers without one. */
export function optimizerStepCount(optimizer: Optimizer): number {
  return optimizer instanceof Adam ? optimizer.stepCount : 0;
}

/**
 * Copy saved state into `optimizer`. Every tensor the optimizer needs must be present with the
 * parameter's shape, and no other optimizer tensor may be: a partial restore would resume a
 * different run without a word. Checks everything before copying anything.
 */
export function restoreOptimizerState(
  what: string,
  optimizer: Optimizer,
  params: readonly Parameter[],
  saved: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
  stepCount: number,
): void {
  const targets = optimizerStateTensors(optimizer, params);
  for (const [name, t] of targets) {
    const s = saved.get(name);
    if (!s) throw new FormatError(`${what}: the optimizer state "${name}" is missing (the checkpoint was saved with another optimizer?)`, 8);
    if (s.data.length !== t.size || s.shape.length !== t.rank || s.shape.some((d, i) => d !== t.shape[i])) {
      throw new FormatError(`${what}: the optimizer state "${name}" has shape ${formatShape(s.shape)}, the parameter has ${formatShape(t.shape)}`, 8);
    }
  }
  const unknown = [...saved.keys()].filter((k) => !targets.has(k));
  if (unknown.length > 0) throw new FormatError(`${what}: unexpected optimizer state ${unknown.slice(0, 3).join(", ")}${unknown.length > 3 ? ", …" : ""} for optimizer ${optimizer.name}`, 8);
  if (!Number.isInteger(stepCount) || stepCount < 0) throw new FormatError(`${what}: the optimizer step count ${stepCount} is not a non-negative integer`, 8);
  for (const [name, t] of targets) t.view().set(saved.get(name)!.data);
  if (optimizer instanceof Adam) optimizer.stepCount = stepCount;
}
