// Activation functions over every element, and their backward passes (taken from the saved
// forward output, as the tutorial's relu_derivative is). All work in place: `out` may be x (forward),
// y or dy (backward), since each element is read before the same element is written.

import { ShapeError, formatShape } from "../runtime/errors.js";
import { sameShape } from "../runtime/shape.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireInPlaceOrDisjoint } from "./checks.js";
import type { OutOption } from "./elementwise.js";

type UnaryKernel = "relu_f32" | "sigmoid_f32" | "tanh_f32" | "exp_f32";
type BackwardKernel = "relu_backward_f32" | "sigmoid_backward_f32" | "tanh_backward_f32";

function unary(op: string, kernel: UnaryKernel, x: Tensor, opts: OutOption): Tensor {
  const backend = backendOf(op, x);
  const out = output(op, backend, x.shape, opts.out);
  if (opts.out) requireInPlaceOrDisjoint(op, out, { x });
  backend.kernels[kernel](x.size, x.ptr, out.ptr);
  return out;
}

function backward(op: string, kernel: BackwardKernel, y: Tensor, dy: Tensor, opts: OutOption): Tensor {
  const backend = backendOf(op, y, dy);
  if (!sameShape(y.shape, dy.shape)) {
    throw new ShapeError(`${op}: output ${formatShape(y.shape)} and its gradient ${formatShape(dy.shape)} differ in shape`);
  }
  const dx = output(op, backend, y.shape, opts.out);
  if (opts.out) requireInPlaceOrDisjoint(op, dx, { y, dy });
  backend.kernels[kernel](y.size, y.ptr, dy.ptr, dx.ptr);
  return dx;
}

/** max(0, x). */
export const relu = (x: Tensor, opts: OutOption = {}): Tensor => unary("relu", "relu_f32", x, opts);
/** 1 / (1 + e^−x), stable for large |x|. */
export const sigmoid = (x: Tensor, opts: OutOption = {}): Tensor => unary("sigmoid", "sigmoid_f32", x, opts);
export const tanh = (x: Tensor, opts: OutOption = {}): Tensor => unary("tanh", "tanh_f32", x, opts);
export const exp = (x: Tensor, opts: OutOption = {}): Tensor => unary("exp", "exp_f32", x, opts);

/** dx = dy where the forward output y > 0, else 0. */
export const reluBackward = (y: Tensor, dy: Tensor, opts: OutOption = {}): Tensor =>
  backward("reluBackward", "relu_backward_f32", y, dy, opts);
/** dx = dy·y·(1 − y), y the sigmoid output. */
export const sigmoidBackward = (y: Tensor, dy: Tensor, opts: OutOption = {}): Tensor =>
  backward("sigmoidBackward", "sigmoid_backward_f32", y, dy, opts);
/** dx = dy·(1 − y²), y the tanh output. */
export const tanhBackward = (y: Tensor, dy: Tensor, opts: OutOption = {}): Tensor =>
  backward("tanhBackward", "tanh_backward_f32", y, dy, opts);
