// Scaled dot-product attention: softmax(Q·Kᵀ·scale, causal) · V, one head ([T, d]) or h heads
// ([h, T, d]), fused in the kernel per group of query rows; and qkvAttention, every head at once straight
// from a fused [B·T, 3·h·dh] projection into the merged [B·T, h·dh] rows (one kernel, attention_rows_f32,
// reads every layout with row strides).

import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireNoOverlap, requireRank } from "./checks.js";
import type { OutOption } from "./elementwise.js";

export interface AttentionOptions extends OutOption {
  /** Query i sees keys j <= i + (Tk − Tq): no peeking at later tokens. */
  causal?: boolean;
  /** Multiplies the scores; default 1/√d. */
  scale?: number;
  /**
   * Filled with each query row's log-sum-exp of its scaled, masked scores ([h, Tq], or [Tq] for rank-2 q;
   * −Infinity for a row that sees no key), which attentionBackward needs.
   */
  lse?: Tensor;
}

export interface AttentionDims {
  h: number;
  tq: number;
  tk: number;
  d: number;
}

/** h, Tq, Tk, d of q [Tq, d] / [h, Tq, d] with k (and v) of the same rank; throws ShapeError naming op and shapes. */
export function attentionDims(op: string, q: Tensor, k: Tensor, v?: Tensor): AttentionDims {
  requireRank(op, "q", q, [2, 3]);
  for (const [name, t] of [["k", k], ["v", v]] as const) {
    if (!t) continue;
    if (t.rank !== q.rank) throw new ShapeError(`${op}: q ${formatShape(q.shape)} and ${name} ${formatShape(t.shape)} must have the same rank`);
  }
  const h = q.rank === 3 ? q.shape[0]! : 1;
  const [tq, d] = q.shape.slice(-2) as [number, number];
  const [tk, dk] = k.shape.slice(-2) as [number, number];
  // The shapes for a message, built only when one is thrown (generation calls this per head per token).
  const all = () => `q ${formatShape(q.shape)}, k ${formatShape(k.shape)}${v ? `, v ${formatShape(v.shape)}` : ""}`;
  if (q.rank === 3 && (k.shape[0] !== h || (v && v.shape[0] !== h))) throw new ShapeError(`${op}: head counts differ (${all()})`);
  if (dk !== d) throw new ShapeError(`${op}: q and k widths ${d} and ${dk} differ (${all()})`);
  if (v) {
    const [tv, dv] = v.shape.slice(-2) as [number, number];
    if (tv !== tk) throw new ShapeError(`${op}: k has ${tk} positions but v has ${tv} (${all()})`);
    if (dv !== d) throw new ShapeError(`${op}: v width ${dv} must equal the head width ${d} (${all()})`);
  }
  return { h, tq, tk, d };
}

/** The score scale: the given one (checked finite) or 1/√d. */
export function scaleFor(op: string, d: number, scale: number | undefined): number {
  const s = scale ?? 1 / Math.sqrt(Math.max(d, 1));
  if (typeof s !== "number" || !Number.isFinite(s)) throw new ArgumentError(`${op}: scale must be a finite number, got ${String(scale)}`);
  return s;
}

/** The shape of the per-row log-sum-exp for q: [h, Tq], or [Tq] for rank-2 q. */
export function lseShape(q: Tensor, dims: AttentionDims): number[] {
  return q.rank === 3 ? [dims.h, dims.tq] : [dims.tq];
}

/** Throws ShapeError unless lse has the shape lseShape gives. */
export function checkLse(op: string, lse: Tensor, q: Tensor, dims: AttentionDims): void {
  const want = lseShape(q, dims);
  if (lse.rank !== want.length || lse.shape.some((n, i) => n !== want[i])) {
    throw new ShapeError(`${op}: lse ${formatShape(lse.shape)} must be ${formatShape(want)} (one per query row of q ${formatShape(q.shape)})`);
  }
}

export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const op = "attention";
  const { lse } = options;
  const backend = lse ? backendOf(op, q, k, v, lse) : backendOf(op, q, k, v);
  const dims = attentionDims(op, q, k, v);
  const { h, tq, tk, d } = dims;
  const scale = scaleFor(op, d, options.scale);
  if (lse) checkLse(op, lse, q, dims);
  const kern = backend.kernels;
  const scratch = backend.scratch(kern.attention_rows_scratch_bytes(tk, d)); // before the output: see output()
  if (lse) requireNoOverlap(op, lse, { q, k, v, out: options.out }, "lse");
  const out = output(op, backend, q.shape, options.out);
  if (options.out) requireNoOverlap(op, out, { q, k, v });
  if (tk === 0) {
    kern.fill_f32(out.size, 0, out.ptr); // nothing to attend to: defined as zeros
    if (lse) kern.fill_f32(lse.size, -Infinity, lse.ptr);
    return out;
  }
  if (out.size === 0 && !(lse && lse.size > 0)) return out;
  // Head-major [h, T, d] is the row kernel's layout with h sequences of one head and row stride d.
  kern.attention_rows_f32(h, 1, tq, tk, d, q.ptr, d, k.ptr, d, v.ptr, d, out.ptr, d, scale, options.causal ? 1 : 0, lse ? lse.ptr : 0, scratch, 0, h, 0, tq);
  return out;
}

/** The scaled scores Q·Kᵀ·scale ([Tq, Tk] or [h, Tq, Tk]); masked entries are −Infinity. */
export function attentionScores(q: Tensor, k: Tensor, options: Omit<AttentionOptions, "out" | "lse"> & OutOption = {}): Tensor {
  const op = "attentionScores";
  const backend = backendOf(op, q, k);
  const { h, tq, tk, d } = attentionDims(op, q, k);
  const scale = scaleFor(op, d, options.scale);
  const shape = q.rank === 3 ? [h, tq, tk] : [tq, tk];
  const out = output(op, backend, shape, options.out);
  if (options.out) requireNoOverlap(op, out, { q, k });
  if (out.size === 0) return out;
  backend.kernels.attention_scores_f32(h, 1, tq, tk, d, q.ptr, d, k.ptr, d, out.ptr, scale, options.causal ? 1 : 0);
  return out;
}

export interface QkvAttentionOptions extends OutOption {
  /** Sequences stacked in the rows (B; default 1): rows [b·T, (b+1)·T) are sequence b. */
  batch?: number;
  /** Width of one head (default: the columns / (3·heads)). */
  headDim?: number;
  /** Query i sees keys j <= i: no peeking at later tokens. */
  causal?: boolean;
  /** Multiplies the scores; default 1/√headDim. */
  scale?: number;
  /** Filled with each query row's log-sum-exp ([B·heads, T], head-major as attentionBackward takes it). */
  lse?: Tensor;
}

/**
 * Multi-head attention straight from a fused projection: qkv [B·T, 3·h·dh] holds, per token row, every head's
 * query (columns [0, h·dh), head i at i·dh), key (from h·dh) and value (from 2·h·dh), as X·W_qkv produces it.
 * Returns (or fills `out`) [B·T, h·dh]: each token's heads' outputs side by side, the concatenation W_o takes.
 * The same result as splitHeads → attention → mergeHeads, in one kernel call without the copies.
 */
export function qkvAttention(qkv: Tensor, heads: number, options: QkvAttentionOptions = {}): Tensor {
  const op = "qkvAttention";
  const { lse } = options;
  const backend = lse ? backendOf(op, qkv, lse) : backendOf(op, qkv);
  const { batch, t, dh, cols, width, scale } = qkvDims(op, qkv, heads, options);
  if (lse && (lse.rank !== 2 || lse.shape[0] !== batch * heads || lse.shape[1] !== t)) {
    throw new ShapeError(`${op}: lse ${formatShape(lse.shape)} must be ${formatShape([batch * heads, t])} (one per head and query row)`);
  }
  const rows = batch * t;
  const kern = backend.kernels;
  const scratch = backend.scratch(kern.attention_rows_scratch_bytes(t, dh)); // before the output: see output()
  if (lse) requireNoOverlap(op, lse, { qkv, out: options.out }, "lse");
  const out = output(op, backend, [rows, width], options.out);
  if (options.out) requireNoOverlap(op, out, { qkv });
  if (rows === 0) return out;
  const p = qkv.ptr;
  kern.attention_rows_f32(
    batch, heads, t, t, dh, p, cols, p + 4 * width, cols, p + 8 * width, cols, out.ptr, width,
    scale, options.causal ? 1 : 0, lse ? lse.ptr : 0, scratch, 0, batch * heads, 0, t,
  );
  return out;
}

/**
 * The scaled scores of qkvAttention (same options, no lse/out): [B·heads, T, T], head-major, −Infinity where masked.
 * softmax over the last axis gives the attention weights.
 */
export function qkvAttentionScores(qkv: Tensor, heads: number, options: Omit<QkvAttentionOptions, "lse" | "out"> = {}): Tensor {
  const op = "qkvAttentionScores";
  const backend = backendOf(op, qkv);
  const { batch, t, dh, cols, width, scale } = qkvDims(op, qkv, heads, options);
  const out = output(op, backend, [batch * heads, t, t], undefined);
  if (out.size === 0) return out;
  backend.kernels.attention_scores_f32(batch, heads, t, t, dh, qkv.ptr, cols, qkv.ptr + 4 * width, cols, out.ptr, scale, options.causal ? 1 : 0);
  return out;
}

export interface QkvDims {
  batch: number;
  /** Tokens per sequence. */
  t: number;
  dh: number;
  /** Columns of qkv: 3·heads·dh. */
  cols: number;
  /** heads·dh: the merged width. */
  width: number;
  scale: number;
}

/** Checks a fused projection qkv [B·T, 3·heads·dh] against heads, batch and headDim; throws errors naming op and shapes. */
export function qkvDims(op: string, qkv: Tensor, heads: number, options: { batch?: number; headDim?: number; scale?: number }): QkvDims {
  requireRank(op, "qkv", qkv, [2]);
  const batch = options.batch ?? 1;
  if (!Number.isInteger(heads) || heads < 1) throw new ArgumentError(`${op}: heads must be a positive integer, got ${String(heads)}`);
  if (!Number.isInteger(batch) || batch < 1) throw new ArgumentError(`${op}: batch must be a positive integer, got ${String(batch)}`);
  const [rows, cols] = qkv.shape as [number, number];
  const dh = options.headDim ?? cols / (3 * heads);
  if (!Number.isInteger(dh) || dh < 1 || 3 * heads * dh !== cols) {
    throw new ShapeError(`${op}: qkv ${formatShape(qkv.shape)} must have 3·heads·headDim columns (heads ${heads}${options.headDim === undefined ? "" : `, headDim ${options.headDim}`})`);
  }
  if (rows % batch !== 0) throw new ShapeError(`${op}: qkv ${formatShape(qkv.shape)} has ${rows} rows, not ${batch} equal sequences`);
  return { batch, t: rows / batch, dh, cols, width: heads * dh, scale: scaleFor(op, dh, options.scale) };
}
