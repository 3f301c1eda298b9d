// Losses and their gradients, fused: each call returns the loss value and (optionally) writes the
// gradient with respect to the predictions in the same pass.

import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import { sameShape } from "../runtime/shape.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireFinite, requireInPlaceOrDisjoint, requireNoOverlap, requireRank } from "./checks.js";

function sameShapes(op: string, pred: Tensor, target: Tensor): void {
  if (!sameShape(pred.shape, target.shape)) {
    throw new ShapeError(`${op}: predictions ${formatShape(pred.shape)} and targets ${formatShape(target.shape)} differ in shape`);
  }
}

/** mean((pred − target)²) over all elements. */
export function mse(pred: Tensor, target: Tensor): number {
  const backend = backendOf("mse", pred, target);
  sameShapes("mse", pred, target);
  return pred.size === 0 ? 0 : backend.kernels.mse_f32(pred.size, pred.ptr, target.ptr);
}

/** grad = scale·(pred − target); scale 2/size is the derivative of mse(). `out` may be pred or target. */
export function mseBackward(pred: Tensor, target: Tensor, scale: number, options: { out?: Tensor } = {}): Tensor {
  const op = "mseBackward";
  const backend = backendOf(op, pred, target);
  sameShapes(op, pred, target);
  requireFinite(op, "scale", scale);
  const out = output(op, backend, pred.shape, options.out);
  if (options.out) requireInPlaceOrDisjoint(op, out, { pred, target });
  backend.kernels.mse_backward_f32(pred.size, pred.ptr, target.ptr, scale, out.ptr);
  return out;
}

export interface CrossEntropyOptions {
  /** Where to write d(mean loss)/d(logits); omit to compute the loss only. It must not overlap the inputs. */
  grad?: Tensor;
}

/**
 * Softmax cross-entropy of logits [rows, classes] against target distributions (one-hot rows or
 * soft labels) of the same shape: mean over rows of −Σ targets·log softmax(logits).
 */
export function softmaxCrossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): number {
  const op = "softmaxCrossEntropy";
  const backend = backendOf(op, logits, targets);
  requireRank(op, "logits", logits, [2]);
  sameShapes(op, logits, targets);
  const [rows, cols] = logits.shape as [number, number];
  if (rows === 0) return 0;
  let gradPtr = 0;
  if (options.grad) {
    gradPtr = output(op, backend, logits.shape, options.grad).ptr;
    requireNoOverlap(op, options.grad, { logits, targets }, "grad");
  }
  const total = backend.kernels.softmax_xent_f32(rows, cols, logits.ptr, targets.ptr, gradPtr, 1 / rows);
  return total / rows;
}

/**
 * Softmax cross-entropy against class indices (one label per row; rows labelled `ignoreIndex`
 * contribute nothing): mean over the counted rows of −log softmax(logits)[label]. With `grad`,
 * writes d(mean loss)/d(logits). Labels outside [0, classes) other than ignoreIndex are an error.
 */
export function softmaxCrossEntropyIndex(
  logits: Tensor, labels: Int32Array, options: CrossEntropyOptions & { ignoreIndex?: number } = {},
): number {
  const op = "softmaxCrossEntropyIndex";
  const backend = backendOf(op, logits);
  requireRank(op, "logits", logits, [2]);
  const [rows, cols] = logits.shape as [number, number];
  if (labels.length !== rows) throw new ShapeError(`${op}: ${labels.length} labels for ${rows} rows of logits ${formatShape(logits.shape)}`);
  const ignore = options.ignoreIndex ?? -1;
  let counted = 0;
  for (let i = 0; i < rows; i++) {
    const l = labels[i]!;
    if (l === ignore) continue;
    if (!(l >= 0 && l < cols)) throw new ArgumentError(`${op}: label ${l} at row ${i} is outside [0, ${cols})`);
    counted++;
  }
  if (options.grad) {
    output(op, backend, logits.shape, options.grad);
    requireNoOverlap(op, options.grad, { logits }, "grad");
  }
  if (counted === 0) {
    if (options.grad) backend.kernels.fill_f32(options.grad.size, 0, output(op, backend, logits.shape, options.grad).ptr);
    return 0;
  }
  const gradPtr = options.grad ? output(op, backend, logits.shape, options.grad).ptr : 0;
  const labelPtr = backend.scratch(rows * 4);
  new Int32Array(backend.memory.buffer, labelPtr, rows).set(labels);
  const total = backend.kernels.softmax_xent_index_f32(rows, cols, logits.ptr, labelPtr, gradPtr, 1 / counted, ignore);
  return total / counted;
}

// argmaxRows is a reduction (reduce.ts); re-exported here for the imports that found it here.
export { argmaxRows } from "./reduce.js";
