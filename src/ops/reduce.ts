// Reductions: dot product, sum, the column sums that give a bias gradient, and the index of each row's maximum.

import { empty } from "../runtime/creation.js";
import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
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

/** Index of the largest value in each row of [rows, cols] (first on ties). */
export function argmaxRows(x: Tensor): Int32Array {
  const op = "argmaxRows";
  const backend = backendOf(op, x);
  requireRank(op, "x", x, [2]);
  const [rows, cols] = x.shape as [number, number];
  if (cols === 0) throw new ArgumentError(`${op}: rows of ${formatShape(x.shape)} are empty`);
  const ptr = backend.scratch(rows * 4);
  backend.kernels.argmax_rows_f32(rows, cols, x.ptr, ptr);
  return new Int32Array(backend.memory.buffer, ptr, rows).slice();
}
