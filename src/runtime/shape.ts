// Shape validation and arithmetic shared by creation functions and ops.

import { ShapeError, formatShape } from "./errors.js";

/** Check that `shape` is a list of non-negative safe integers; return its element count. */
export function shapeSize(op: string, shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw new ShapeError(`${op}: shape must be an array of integers, got ${String(shape)}`);
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: shape ${formatShape(shape)} has an invalid dimension ${String(d)} at axis ${i} (need a non-negative integer)`);
    }
    size *= d;
  }
  if (!Number.isSafeInteger(size) || size * 4 > 2 ** 32) {
    throw new ShapeError(`${op}: shape ${formatShape(shape)} has ${size} elements, more than a 4 GiB Wasm memory holds`);
  }
  return size;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
