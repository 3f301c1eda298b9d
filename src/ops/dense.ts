// The dense-layer epilogue: add the bias row and apply the activation in one pass over the output
// (fused in the kernel), and its backward through the activation.

import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireRank } from "./checks.js";
import type { OutOption } from "./elementwise.js";

export type Activation = "linear" | "relu" | "sigmoid" | "tanh";
export const ACTIVATIONS: readonly Activation[] = ["linear", "relu", "sigmoid", "tanh"];

export function checkActivation(op: string, activation: string): asserts activation is Activation {
  if (!(ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new ArgumentError(`${op}: unknown activation "${activation}" (choose ${ACTIVATIONS.join(", ")})`);
  }
}

/** out = activation(x + bias) for x [m, n] and bias [1, n] or [n]. `out` may be x. */
export function addBias(x: Tensor, bias: Tensor, options: OutOption & { activation?: Activation } = {}): Tensor {
  const op = "addBias";
  const backend = backendOf(op, x, bias);
  const { activation = "linear" } = options;
  checkActivation(op, activation);
  requireRank(op, "x", x, [2]);
  const [m, n] = x.shape as [number, number];
  if (bias.size !== n || bias.rank > 2 || (bias.rank === 2 && bias.shape[0] !== 1)) {
    throw new ShapeError(`${op}: bias ${formatShape(bias.shape)} does not match the ${n} columns of x ${formatShape(x.shape)} (need [1,${n}] or [${n}])`);
  }
  const out = output(op, backend, x.shape, options.out);
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

/** dz = dy · activation'(z), from the activation's saved output y. `out` may be dy. */
export function activationBackward(activation: Activation, y: Tensor, dy: Tensor, options: OutOption = {}): Tensor {
  const op = "activationBackward";
  const backend = backendOf(op, y, dy);
  checkActivation(op, activation);
  if (y.size !== dy.size) throw new ShapeError(`${op}: output ${formatShape(y.shape)} and gradient ${formatShape(dy.shape)} differ in size`);
  const out = output(op, backend, dy.shape, options.out);
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
