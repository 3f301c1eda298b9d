// The dense layer's forward as one kernel call: the GEMM with a bias + activation epilogue. The activation
// vocabulary itself (names, kernel codes, addBias, activationBackward) lives in activations.ts and is
// re-exported here for the imports that found it here before.

import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { ACT_CODE, checkActivation, checkBias, type Activation } from "./activations.js";
import { backendOf, output, requireNoOverlap, requireRank } from "./checks.js";
import type { OutOption } from "./elementwise.js";

export { ACTIVATIONS, activationBackward, addBias, checkActivation, type Activation } from "./activations.js";

export interface LinearOptions extends OutOption {
  activation?: Activation;
  transposeW?: boolean;
  /**
   * Also keep the pre-activation x·w + bias here ([m, n], written by the same epilogue): what GELU's backward
   * needs. Must not share memory with out, x, w or bias.
   */
  preActivation?: Tensor;
  /**
   * GELU only, instead of preActivation: keep gelu'(x·w + bias) here ([m, n]), computed by the epilogue from the
   * σ it evaluates anyway, so that the backward is one multiply dz = dy ⊙ activationGrad (mul(); the same bits as
   * activationBackward from the pre-activation). Same memory rules as preActivation.
   */
  activationGrad?: Tensor;
  /**
   * Linear only, instead of preActivation / activationGrad: out = (x·w + bias) ⊙ multiplyBy ([m, n], read), in the
   * GEMM's epilogue. For the backward through a GELU: dz = (dy·Wᵀ) ⊙ gelu'(z) in one pass instead of a GEMM and a
   * mul() (the same bits). Must not share memory with out, x, w or bias.
   */
  multiplyBy?: Tensor;
}

/** assembly/activations.ts EPILOGUE_SAVE_GRAD: a flag on the epilogue's act code (pre receives act'(z), not z). */
const EPILOGUE_SAVE_GRAD = 16;
/** assembly/activations.ts EPILOGUE_MUL: the epilogue's code for c = (c + bias) ⊙ pre (pre read). */
const EPILOGUE_MUL = 32;

/**
 * The dense layer's forward in one kernel call: out = activation(x·w + bias) for x [m, k], w [k, n]
 * (or [n, k] with transposeW), bias [n] / [1, n] or null. The GEMM adds the bias and applies the
 * activation to each output tile as soon as it is finished, so the output is written once.
 * `out` must not share memory with x or w.
 */
export function linear(x: Tensor, w: Tensor, bias: Tensor | null, options: LinearOptions = {}): Tensor {
  const op = "linear";
  const { activationGrad } = options;
  if (activationGrad && options.preActivation) throw new ArgumentError(`${op}: pass preActivation or activationGrad, not both`);
  if (activationGrad && options.activation !== "gelu") {
    throw new ArgumentError(`${op}: activationGrad is for activation "gelu" (got "${options.activation ?? "linear"}"); the others' derivatives follow from their output`);
  }
  const { multiplyBy } = options;
  if (multiplyBy && (options.preActivation || activationGrad)) {
    throw new ArgumentError(`${op}: pass multiplyBy or preActivation / activationGrad, not both`);
  }
  if (multiplyBy && (options.activation ?? "linear") !== "linear") {
    throw new ArgumentError(`${op}: multiplyBy is for activation "linear" (got "${options.activation}")`);
  }
  const pre = options.preActivation ?? activationGrad ?? multiplyBy;
  const what = activationGrad ? "activationGrad" : multiplyBy ? "multiplyBy" : "preActivation";
  const operands = [x, w, ...(bias ? [bias] : []), ...(pre ? [pre] : [])];
  const backend = backendOf(op, ...operands);
  const { activation = "linear", transposeW = false } = options;
  checkActivation(op, activation);
  requireRank(op, "x", x, [2]);
  requireRank(op, "w", w, [2]);
  const [m, k] = x.shape as [number, number];
  const [wr, wc] = w.shape as [number, number];
  const kw = transposeW ? wc : wr;
  const n = transposeW ? wr : wc;
  if (k !== kw) {
    throw new ShapeError(`${op}: x ${formatShape(x.shape)} × w ${formatShape(w.shape)}${transposeW ? "ᵀ" : ""}: inner dimensions ${k} and ${kw} differ`);
  }
  if (bias) checkBias(op, bias, n, `x·w [${m},${n}]`);
  if (pre && (pre.rank !== 2 || pre.shape[0] !== m || pre.shape[1] !== n)) {
    throw new ShapeError(`${op}: ${what} ${formatShape(pre.shape)} must be [${m},${n}], the shape of x·w`);
  }
  const kern = backend.kernels;
  const scratch = backend.scratch(kern.gemm_scratch_bytes()); // before the output: see output()
  const out = output(op, backend, [m, n], options.out);
  if (options.out) requireNoOverlap(op, out, bias ? { x, w, bias } : { x, w });
  if (pre) requireSeparatePreActivation(op, what, pre, { out, x, w, ...(bias ? { bias } : {}) });
  const act = multiplyBy ? EPILOGUE_MUL : ACT_CODE[activation] | (activationGrad ? EPILOGUE_SAVE_GRAD : 0);
  kern.gemm_bias_act_f32(0, transposeW ? 1 : 0, m, n, k, x.ptr, k, w.ptr, wc, bias ? bias.ptr : 0, act, out.ptr, n, scratch, pre ? pre.ptr : 0);
  return out;
}

/**
 * The epilogue writes the pre-activation (or its derivative) while the GEMM still reads its operands and writes out;
 * multiplyBy is read while out is written.
 */
function requireSeparatePreActivation(op: string, what: string, pre: Tensor, others: Record<string, Tensor>): void {
  const p0 = pre.ptr;
  const p1 = p0 + pre.size * 4;
  for (const [name, t] of Object.entries(others)) {
    if (pre.size > 0 && t.size > 0 && t.ptr < p1 && p0 < t.ptr + t.size * 4) {
      throw new ArgumentError(`${op}: ${what} shares memory with ${name} ${formatShape(t.shape)}; pass a separate tensor`);
    }
  }
}
