// softmax and logSoftmax over the last axis, with a temperature and an optional causal mask.

import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireInPlaceOrDisjoint, requireNoOverlap } from "./checks.js";
import type { OutOption } from "./elementwise.js";

export interface SoftmaxOptions extends OutOption {
  /** Divides the logits: > 1 flattens the distribution, < 1 sharpens it toward argmax. Default 1. */
  temperature?: number;
  /**
   * Causal mask over the last two axes [rows, cols]: row i sees columns j <= i + (cols − rows)
   * (j <= i when square); masked entries are exactly 0 (−Infinity for logSoftmax).
   */
  causal?: boolean;
}

function rowwise(op: "softmax" | "logSoftmax", x: Tensor, options: SoftmaxOptions): Tensor {
  const backend = backendOf(op, x);
  const { temperature = 1, causal = false } = options;
  if (typeof temperature !== "number" || !(temperature > 0) || !Number.isFinite(temperature)) {
    throw new ArgumentError(`${op}: temperature must be a finite number > 0, got ${String(temperature)}`);
  }
  if (x.rank === 0) throw new ShapeError(`${op}: needs at least one axis, got a scalar`);
  if (causal && x.rank < 2) throw new ShapeError(`${op}: causal needs a matrix [rows, cols], got ${formatShape(x.shape)}`);
  const out = output(op, backend, x.shape, options.out);
  if (options.out) requireInPlaceOrDisjoint(op, out, { x });
  const cols = x.shape[x.rank - 1]!;
  const kernel = op === "softmax" ? backend.kernels.softmax_f32 : backend.kernels.log_softmax_f32;
  if (cols === 0 || x.size === 0) return out;
  // A causal mask depends on the row index within each [rows, cols] matrix, so call per matrix.
  const rows = causal ? x.shape[x.rank - 2]! : x.size / cols;
  const matrices = x.size / (rows * cols);
  for (let i = 0; i < matrices; i++) {
    const offset = i * rows * cols * 4;
    kernel(rows, cols, x.ptr + offset, cols, out.ptr + offset, cols, 1 / temperature, causal ? 1 : 0);
  }
  return out;
}

/** Softmax over the last axis. `out` may be x (each row is read before it is written). */
export function softmax(x: Tensor, options: SoftmaxOptions = {}): Tensor {
  return rowwise("softmax", x, options);
}

/** Log-softmax over the last axis. `out` may be x. */
export function logSoftmax(x: Tensor, options: SoftmaxOptions = {}): Tensor {
  return rowwise("logSoftmax", x, options);
}

/**
 * The softmax's backward over the last axis: given y = softmax(x) and dy = ∂L/∂y, returns
 * ∂L/∂x = y ⊙ (dy − Σ_j dy_j·y_j) row by row (temperature 1: for softmax(x / T) divide the result by T).
 * Masked (zero) probabilities get a zero gradient, so the causal case needs no flag.
 */
export function softmaxBackward(y: Tensor, dy: Tensor, options: OutOption = {}): Tensor {
  const op = "softmaxBackward";
  const backend = backendOf(op, y, dy);
  if (y.rank === 0) throw new ShapeError(`${op}: needs at least one axis, got a scalar`);
  if (dy.shape.length !== y.shape.length || dy.shape.some((d, i) => d !== y.shape[i])) {
    throw new ShapeError(`${op}: y ${formatShape(y.shape)} and dy ${formatShape(dy.shape)} must have the same shape`);
  }
  const dx = output(op, backend, y.shape, options.out);
  // Each row's dot product Σ dy·y is taken before the row is written, but a dx that overlaps another
  // row of y or dy would be read after it was overwritten: refuse any overlap.
  if (options.out) requireNoOverlap(op, dx, { y, dy });
  const cols = y.shape[y.rank - 1]!;
  if (cols === 0 || y.size === 0) return dx;
  backend.kernels.softmax_backward_f32(y.size / cols, cols, y.ptr, cols, dy.ptr, cols, dx.ptr, cols);
  return dx;
}
