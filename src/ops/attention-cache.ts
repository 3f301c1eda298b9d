// Decoding with a KV cache: the new tokens' queries attend over the cached keys and values of every head in one
// kernel call. The cache is token-major, [capacity, heads·dh] for K and for V (row t holds every head's key of
// position t, as the K columns of the fused projection hold it), so appending a token is one row copy each and
// the kernel reads the cache in place with row stride heads·dh.

import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { scaleFor } from "./attention.js";
import { backendOf, output, requireNoOverlap, requireRank } from "./checks.js";
import type { OutOption } from "./elementwise.js";

export interface CachedAttentionOptions extends OutOption {
  /** Width of one head (default: the cache's columns / heads). */
  headDim?: number;
  /** Multiplies the scores; default 1/√headDim. */
  scale?: number;
}

/**
 * q: [n, C] whose first heads·dh columns are the queries of n new tokens (C may be wider: the rows of a fused
 * [n, 3·heads·dh] projection are read in place); k, v: [capacity, heads·dh], of which positions [0, length) hold
 * keys and values, the new tokens' included: they are positions [length − n, length), and each sees the positions
 * up to its own (causal). Returns (or fills `out`) [n, heads·dh], each token's heads side by side.
 */
export function cachedAttention(q: Tensor, k: Tensor, v: Tensor, length: number, heads: number, options: CachedAttentionOptions = {}): Tensor {
  const op = "cachedAttention";
  const backend = backendOf(op, q, k, v);
  for (const [name, t] of [["q", q], ["k", k], ["v", v]] as const) requireRank(op, name, t, [2]);
  if (!Number.isInteger(heads) || heads < 1) throw new ArgumentError(`${op}: heads must be a positive integer, got ${String(heads)}`);
  const [capacity, width] = k.shape as [number, number];
  if (v.shape[0] !== capacity || v.shape[1] !== width) {
    throw new ShapeError(`${op}: k ${formatShape(k.shape)} and v ${formatShape(v.shape)} must have the same shape`);
  }
  const dh = options.headDim ?? width / heads;
  if (!Number.isInteger(dh) || dh < 1 || heads * dh !== width) {
    throw new ShapeError(`${op}: the cache k ${formatShape(k.shape)} must have heads·headDim columns (heads ${heads}${options.headDim === undefined ? "" : `, headDim ${options.headDim}`})`);
  }
  const [n, qcols] = q.shape as [number, number];
  if (qcols < width) throw new ShapeError(`${op}: q ${formatShape(q.shape)} has fewer than heads·headDim = ${width} columns`);
  if (!Number.isInteger(length) || length < n || length > capacity) {
    throw new ArgumentError(`${op}: length ${String(length)} must be an integer in [${n}, ${capacity}] (the ${n} new tokens are its last positions; the cache holds ${capacity})`);
  }
  const scale = scaleFor(op, dh, options.scale);
  const kern = backend.kernels;
  const scratch = backend.scratch(kern.attention_rows_scratch_bytes(length, dh)); // before the output: see output()
  const out = output(op, backend, [n, width], options.out);
  if (options.out) requireNoOverlap(op, out, { q, k, v });
  if (n === 0) return out;
  kern.attention_rows_f32(1, heads, n, length, dh, q.ptr, qcols, k.ptr, width, v.ptr, width, out.ptr, width, scale, 1, 0, scratch, 0, heads, 0, n);
  return out;
}
