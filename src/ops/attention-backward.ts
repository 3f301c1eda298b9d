// Gradients of attention w.r.t. q, k and v from what its forward saved (the output and the per-row
// log-sum-exp, `attention(q, k, v, { lse })`): FlashAttention-style, the weights are recomputed per block of
// query rows in the kernel, never held as a Tq×Tk matrix.

import { ShapeError, formatShape } from "../runtime/errors.js";
import type { Backend } from "../runtime/backend.js";
import type { Tensor } from "../runtime/tensor.js";
import { attentionDims, checkLse, scaleFor } from "./attention.js";
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
  const scratch = backend.scratch(kern.attention_backward_scratch_bytes(tq, tk, d)); // before the outputs: see output()
  const { dq, dk, dv } = disposeOnThrow(() => ({
    dq: gradOutput(op, "dq", backend, q, options.dq),
    dk: gradOutput(op, "dk", backend, k, options.dk),
    dv: gradOutput(op, "dv", backend, v, options.dv),
  }));
  if (dq.size === 0 && dk.size === 0) return { dq, dk, dv };
  kern.attention_backward_f32(
    h, tq, tk, d, q.ptr, k.ptr, v.ptr, out.ptr, dout.ptr, lse.ptr, dq.ptr, dk.ptr, dv.ptr, scale, options.causal ? 1 : 0, scratch,
  );
  return { dq, dk, dv };
}
