// GELU, GPT-2's tanh approximation: gelu(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), and its
// backward, which (unlike relu/sigmoid/tanh) takes the forward INPUT x.

import { ShapeError, formatShape } from "../runtime/errors.js";
import { sameShape } from "../runtime/shape.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireInPlaceOrDisjoint } from "./checks.js";
import type { OutOption } from "./elementwise.js";

/** gelu(x) elementwise, any shape. `out` may be x. */
export function gelu(x: Tensor, options: OutOption = {}): Tensor {
  const op = "gelu";
  const backend = backendOf(op, x);
  const out = output(op, backend, x.shape, options.out);
  if (options.out) requireInPlaceOrDisjoint(op, out, { x });
  backend.kernels.gelu_f32(x.size, x.ptr, out.ptr);
  return out;
}

/** dx = dy·gelu'(x), x the forward input (same shape as dy). `out` may be dy or x. */
export function geluBackward(x: Tensor, dy: Tensor, options: OutOption = {}): Tensor {
  const op = "geluBackward";
  const backend = backendOf(op, x, dy);
  if (!sameShape(x.shape, dy.shape)) {
    throw new ShapeError(`${op}: input ${formatShape(x.shape)} and its gradient ${formatShape(dy.shape)} differ in shape`);
  }
  const dx = output(op, backend, x.shape, options.out);
  if (options.out) requireInPlaceOrDisjoint(op, dx, { x, dy });
  backend.kernels.gelu_backward_f32(x.size, x.ptr, dy.ptr, dx.ptr);
  return dx;
}
