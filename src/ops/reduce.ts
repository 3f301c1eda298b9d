// Reductions: dot product, sum, and the column sums that give a bias gradient.

import { empty } from "../runtime/creation.js";
import { ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireNoOverlap, requireRank } from "./checks.js";
import type { OutOption } from "./elementwise.js";

/** Σ a[i]·b[i] of two vectors of one length, as a rank-0 tensor. */
export function dot(a: Tensor, b: Tensor): Tensor {
  const backend = backendOf("dot", a, b);
  requireRank("dot", "a", a, [1]);
  requireRank("dot", "b", b, [1]);
  if (a.size !== b.size) throw new ShapeError(`dot: ${formatShape(a.shape)} · ${formatShape(b.shape)}: lengths ${a.size} and ${b.size} differ`);
  const out = empty([], backend, "dot");
  out.view()[0] = backend.kernels.dot_f32(a.size, a.ptr, b.ptr);
  return out;
}

/** Sum of all elements, as a rank-0 tensor. */
export function sum(x: Tensor): Tensor {
  const backend = backendOf("sum", x);
  const out = empty([], backend, "sum");
  out.view()[0] = backend.kernels.sum_f32(x.size, x.ptr);
  return out;
}

/** Sum over the rows of an [m, n] matrix → [1, n] (the bias gradient of a dense layer). `out` must not overlap x. */
export function sumRows(x: Tensor, opts: OutOption = {}): Tensor {
  const backend = backendOf("sumRows", x);
  requireRank("sumRows", "x", x, [2]);
  const [m, n] = x.shape as [number, number];
  const out = output("sumRows", backend, [1, n], opts.out);
  if (opts.out) requireNoOverlap("sumRows", out, { x });
  backend.kernels.sum_rows_f32(m, n, x.ptr, n, out.ptr);
  return out;
}
