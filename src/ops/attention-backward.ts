// Gradients of attention w.r.t. q, k and v from what its forward saved (the output and the per-row
// log-sum-exp, `attention(q, k, v, { lse })`): FlashAttention-style, the weights are recomputed per block of
// query rows in the kernel, never held as a Tq×Tk matrix. attentionBackward takes head-major operands;
// qkvAttentionBackward the fused projection's layout (one kernel, attention_rows_backward_f32, reads both).

import { ShapeError, formatShape } from "../runtime/errors.js";
import type { Backend } from "../runtime/backend.js";
import type { Tensor } from "../runtime/tensor.js";
import { attentionDims, checkLse, qkvDims, scaleFor } from "./attention.js";
import { disposeOnThrow } from "../runtime/dispose-on-throw.js";
import { backendOf, output, requireDisjoint, requireNoOverlap } from "./checks.js";

export interface AttentionBackwardOptions {
  /** The forward's causal flag (must match). */
  causal?: boolean;
  /** The forward's scale (must match); default 1/√d. */
  scale?: number;
  /** Write the gradients into these (shapes of q, k, v); they are overwritten. */
  dq?: Tensor;
  dk?: Tensor;
  dv?: Tensor;
}

export interface AttentionGrads {
  dq: Tensor;
  dk: Tensor;
  dv: Tensor;
}

function sameShapeAs(a: Tensor, b: Tensor): boolean {
  return a.rank === b.rank && a.shape.every((n, i) => n === b.shape[i]);
}

/** A gradient output: the caller's tensor (its shape checked, with its name in the message) or a new one. */
function gradOutput(op: string, name: string, backend: Backend, like: Tensor, given?: Tensor): Tensor {
  if (given && !sameShapeAs(given, like)) {
    throw new ShapeError(`${op}: ${name} has shape ${formatShape(given.shape)}, the gradient has shape ${formatShape(like.shape)}`);
  }
  return output(op, backend, like.shape, given);
}

/**
 * dL/dq, dL/dk, dL/dv of out = attention(q, k, v, { causal, scale, lse }) given dout = dL/d(out). q, k, v as for
 * attention ([T, d] or [h, T, d]); out and dout have q's shape; lse is [h, Tq] (or [Tq]). The gradients must not
 * be inputs.
 */
export function attentionBackward(
  q: Tensor, k: Tensor, v: Tensor, out: Tensor, dout: Tensor, lse: Tensor, options: AttentionBackwardOptions = {},
): AttentionGrads {
  const op = "attentionBackward";
  const backend = backendOf(op, q, k, v, out, dout, lse);
  const dims = attentionDims(op, q, k, v);
  const { h, tq, tk, d } = dims;
  const scale = scaleFor(op, d, options.scale);
  for (const [name, t] of [["out", out], ["dout", dout]] as const) {
    if (!sameShapeAs(t, q)) throw new ShapeError(`${op}: ${name} ${formatShape(t.shape)} must have the shape of q ${formatShape(q.shape)}`);
  }
  checkLse(op, lse, q, dims);
  // The kernel reads every input while it writes the gradients: no sharing, checked before allocating.
  requireDisjoint(op, { dq: options.dq, dk: options.dk, dv: options.dv });
  for (const name of ["dq", "dk", "dv"] as const) {
    const given = options[name];
    if (given) requireNoOverlap(op, given, { q, k, v, out, dout, lse }, name);
  }
  const kern = backend.kernels;
  const scratch = backend.scratch(kern.attention_rows_backward_scratch_bytes(tq, tk, d)); // before the outputs: see output()
  const { dq, dk, dv } = disposeOnThrow(() => ({
    dq: gradOutput(op, "dq", backend, q, options.dq),
    dk: gradOutput(op, "dk", backend, k, options.dk),
    dv: gradOutput(op, "dv", backend, v, options.dv),
  }));
  if (dq.size === 0 && dk.size === 0) return { dq, dk, dv };
  // Head-major [h, T, d] is the row kernel's layout with h sequences of one head and row stride d.
  kern.attention_rows_backward_f32(
    h, 1, tq, tk, d, q.ptr, d, k.ptr, d, v.ptr, d, out.ptr, d, dout.ptr, d, lse.ptr, dq.ptr, d, dk.ptr, d, dv.ptr, d,
    scale, options.causal ? 1 : 0, scratch, 0, h,
  );
  return { dq, dk, dv };
}

export interface QkvAttentionBackwardOptions {
  /** Sequences stacked in the rows (B; default 1), as for qkvAttention. */
  batch?: number;
  headDim?: number;
  /** The forward's causal flag and scale (must match). */
  causal?: boolean;
  scale?: number;
  /** Write the gradient into this [B·T, 3·heads·dh] tensor (overwritten). */
  dqkv?: Tensor;
}

/**
 * The backward of qkvAttention in its own layout: given the fused projection qkv [B·T, 3·h·dh], the forward's output
 * out [B·T, h·dh] and log-sum-exps lse [B·h, T] (qkvAttention's `lse`), and dout = dL/d(out), returns
 * dqkv = dL/d(qkv) [B·T, 3·h·dh]: dQ, dK, dV in the columns where Q, K, V sit, ready for the projection's backward.
 * Q, K, V are read in place; nothing is split into heads or merged back.
 */
export function qkvAttentionBackward(
  qkv: Tensor, out: Tensor, dout: Tensor, lse: Tensor, heads: number, options: QkvAttentionBackwardOptions = {},
): Tensor {
  const op = "qkvAttentionBackward";
  const backend = backendOf(op, qkv, out, dout, lse);
  const { batch, t, dh, cols, width, scale } = qkvDims(op, qkv, heads, options);
  const rows = batch * t;
  for (const [name, x] of [["out", out], ["dout", dout]] as const) {
    if (x.rank !== 2 || x.shape[0] !== rows || x.shape[1] !== width) {
      throw new ShapeError(`${op}: ${name} ${formatShape(x.shape)} must be ${formatShape([rows, width])} (the merged heads of qkv ${formatShape(qkv.shape)})`);
    }
  }
  if (lse.rank !== 2 || lse.shape[0] !== batch * heads || lse.shape[1] !== t) {
    throw new ShapeError(`${op}: lse ${formatShape(lse.shape)} must be ${formatShape([batch * heads, t])} (one per head and query row)`);
  }
  if (options.dqkv) requireNoOverlap(op, options.dqkv, { qkv, out, dout, lse }, "dqkv");
  const kern = backend.kernels;
  const scratch = backend.scratch(kern.attention_rows_backward_scratch_bytes(t, t, dh)); // before the output: see output()
  const dqkv = gradOutput(op, "dqkv", backend, qkv, options.dqkv);
  if (rows === 0) return dqkv;
  const p = qkv.ptr, g = dqkv.ptr;
  kern.attention_rows_backward_f32(
    batch, heads, t, t, dh, p, cols, p + 4 * width, cols, p + 8 * width, cols, out.ptr, width, dout.ptr, width, lse.ptr,
    g, cols, g + 4 * width, cols, g + 8 * width, cols, scale, options.causal ? 1 : 0, scratch, 0, batch * heads,
  );
  return dqkv;
}
