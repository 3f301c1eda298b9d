// The dense-layer epilogue: add the bias row and apply the activation in one pass over the output
// (fused in the kernel), and its backward through the activation.

import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireInPlaceOrDisjoint, requireNoOverlap, requireRank } from "./checks.js";
import type { OutOption } from "./elementwise.js";

export type Activation = "linear" | "relu" | "sigmoid" | "tanh";
export const ACTIVATIONS: readonly Activation[] = ["linear", "relu", "sigmoid", "tanh"];

export function checkActivation(op: string, activation: string): asserts activation is Activation {
  if (!(ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new ArgumentError(`${op}: unknown activation "${activation}" (choose ${ACTIVATIONS.join(", ")})`);
  }
}

/** Kernel codes of gemm_bias_act_f32 (assembly/activations.ts ACT_*). */
const ACT_CODE: Record<Activation, number> = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 };

function checkBias(op: string, bias: Tensor, n: number, of: string): void {
  if (bias.size !== n || bias.rank > 2 || (bias.rank === 2 && bias.shape[0] !== 1)) {
    throw new ShapeError(`${op}: bias ${formatShape(bias.shape)} does not match the ${n} columns of ${of} (need [1,${n}] or [${n}])`);
  }
}

/**
 * The dense layer's forward in one kernel call: out = activation(x·w + bias) for x [m, k], w [k, n]
 * (or [n, k] with transposeW), bias [n] / [1, n] or null. The GEMM adds the bias and applies the
 * activation to each output tile as soon as it is finished, so the output is written once.
 * `out` must not share memory with x or w.
 */
export function linear(
  x: Tensor, w: Tensor, bias: Tensor | null,
  options: OutOption & { activation?: Activation; transposeW?: boolean } = {},
): Tensor {
  const op = "linear";
  const backend = bias ? backendOf(op, x, w, bias) : backendOf(op, x, w);
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
  const kern = backend.kernels;
  const scratch = backend.scratch(kern.gemm_scratch_bytes());
  const out = output(op, backend, [m, n], options.out);
  if (options.out) requireNoOverlap(op, out, bias ? { x, w, bias } : { x, w });
  kern.gemm_bias_act_f32(0, transposeW ? 1 : 0, m, n, k, x.ptr, k, w.ptr, wc, bias ? bias.ptr : 0, ACT_CODE[activation], out.ptr, n, scratch);
  return out;
}

/** out = activation(x + bias) for x [m, n] and bias [1, n] or [n]. `out` may be x; it must not overlap bias. */
export function addBias(x: Tensor, bias: Tensor, options: OutOption & { activation?: Activation } = {}): Tensor {
  const op = "addBias";
  const backend = backendOf(op, x, bias);
  const { activation = "linear" } = options;
  checkActivation(op, activation);
  requireRank(op, "x", x, [2]);
  const [m, n] = x.shape as [number, number];
  checkBias(op, bias, n, `x ${formatShape(x.shape)}`);
  const out = output(op, backend, x.shape, options.out);
  if (options.out) {
    requireInPlaceOrDisjoint(op, out, { x });
    requireNoOverlap(op, out, { bias });
  }
  const k = backend.kernels;
  switch (activation) {
    case "relu":
      k.bias_relu_f32(m, n, x.ptr, n, bias.ptr, out.ptr, n);
      break;
    case "sigmoid":
      k.bias_sigmoid_f32(m, n, x.ptr, n, bias.ptr, out.ptr, n);
      break;
    case "tanh":
      k.add_row_f32(m, n, x.ptr, n, bias.ptr, out.ptr, n);
      k.tanh_f32(m * n, out.ptr, out.ptr);
      break;
    default:
      k.add_row_f32(m, n, x.ptr, n, bias.ptr, out.ptr, n);
  }
  return out;
}

/** dz = dy · activation'(z), from the activation's saved output y. `out` may be dy or y (elementwise). */
export function activationBackward(activation: Activation, y: Tensor, dy: Tensor, options: OutOption = {}): Tensor {
  const op = "activationBackward";
  const backend = backendOf(op, y, dy);
  checkActivation(op, activation);
  if (y.size !== dy.size) throw new ShapeError(`${op}: output ${formatShape(y.shape)} and gradient ${formatShape(dy.shape)} differ in size`);
  const out = output(op, backend, dy.shape, options.out);
  if (options.out) requireInPlaceOrDisjoint(op, out, { y, dy });
  const k = backend.kernels;
  const n = y.size;
  switch (activation) {
    case "relu":
      k.relu_backward_f32(n, y.ptr, dy.ptr, out.ptr);
      break;
    case "sigmoid":
      k.sigmoid_backward_f32(n, y.ptr, dy.ptr, out.ptr);
      break;
    case "tanh":
      k.tanh_backward_f32(n, y.ptr, dy.ptr, out.ptr);
      break;
    default:
      if (out !== dy) k.scale_f32(n, 1, dy.ptr, out.ptr);
  }
  return out;
}
