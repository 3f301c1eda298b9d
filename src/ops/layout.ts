// Head layout for multi-head attention: token-major rows [B·T, C] (what X·W produces; a head's D
// features sit at column offset + h·D) ⇄ head-major [B·H, T, D] (what the attention kernels read:
// every (sequence, head) pair a contiguous [T, D] block). Pure data movement, one kernel call each.

import { ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireNoOverlap } from "./checks.js";
import type { OutOption } from "./elementwise.js";

export interface HeadsOptions extends OutOption {
  /** The H·D features start at this column of each row (e.g. K inside a fused QKV row). Default 0. */
  columnOffset?: number;
}

function rowsAndCols(x: Tensor): [number, number] {
  const cols = x.shape[x.rank - 1] ?? 0;
  return [cols === 0 ? 0 : x.size / cols, cols];
}

/** x: [B·T, C] with C ≥ columnOffset + H·D → [B·H, T, D]. `out` must not overlap x. */
export function splitHeads(x: Tensor, batch: number, heads: number, headDim: number, options: HeadsOptions = {}): Tensor {
  const op = "splitHeads";
  const backend = backendOf(op, x);
  const [rows, cols] = rowsAndCols(x);
  const offset = options.columnOffset ?? 0;
  if (!(batch >= 1 && rows % batch === 0 && offset >= 0 && offset + heads * headDim <= cols)) {
    throw new ShapeError(`${op}: ${formatShape(x.shape)} cannot be read as ${batch} sequences of ${heads} heads × ${headDim} features from column ${offset}`);
  }
  const t = rows / batch;
  const out = output(op, backend, [batch * heads, t, headDim], options.out);
  if (options.out) requireNoOverlap(op, out, { x });
  backend.kernels.split_heads_f32(batch, t, heads, headDim, x.ptr + offset * 4, cols, out.ptr);
  return out;
}

/**
 * x: [B·H, T, D] → rows [B·T, H·D] with each token's heads concatenated (the tutorial's concat
 * before W_o). With `out` of C columns and `columnOffset`, writes only columns [offset, offset + H·D).
 * `out` must not overlap x.
 */
export function mergeHeads(x: Tensor, batch: number, options: HeadsOptions = {}): Tensor {
  const op = "mergeHeads";
  const backend = backendOf(op, x);
  if (x.rank !== 3 || batch < 1 || x.shape[0]! % batch !== 0) {
    throw new ShapeError(`${op}: need [B·H,T,D] with B = ${batch}, got ${formatShape(x.shape)}`);
  }
  const [bh, t, d] = x.shape as [number, number, number];
  const h = bh / batch;
  const offset = options.columnOffset ?? 0;
  let out: Tensor;
  if (options.out) {
    out = options.out;
    backendOf(op, out);
    const [rows, cols] = rowsAndCols(out);
    if (rows !== batch * t || offset < 0 || offset + h * d > cols) {
      throw new ShapeError(`${op}: out ${formatShape(out.shape)} cannot take ${batch * t} rows of ${h * d} features at column ${offset}`);
    }
    requireNoOverlap(op, out, { x });
  } else {
    out = output(op, backend, [batch * t, h * d]);
  }
  const cols = out.shape[out.rank - 1]!;
  backend.kernels.merge_heads_f32(batch, t, h, d, x.ptr, out.ptr + offset * 4, cols);
  return out;
}
