// Kernel suite: causal attention on head-major [h, T, d] tensors without projections (h = 8, T = 256,
// d = 32): the forward (attention), the backward alone (attentionBackward from the out/lse of one
// forward made before timing) and forward + backward; plain JS: bench/lib/plain.ts attentionJS and
// bench/lib/plain-attention-backward.ts. References: attentionRef / attentionBackwardRef (float64,
// explicit weights P). GFLOP/s counts 2·d per visible (i, j) pair and head for each product: 2 in the
// forward (QKᵀ, P·V), 5 in the backward (QKᵀ again, dO·Vᵀ, dQ, dK, dV).

import * as sd from "../../src/index.js";
import type { BenchContext } from "../harness/context.js";
import type { Workload } from "../harness/types.js";
import { concat } from "../lib/arrays.js";
import { attentionBackwardJS, attentionBackwardScratch } from "../lib/plain-attention-backward.js";
import { attentionJS } from "../lib/plain.js";
import { attentionBackwardRef, attentionRef } from "../lib/reference.js";
import { addBuilds, newWorkload } from "./common.js";

export type AttentionPass = "forward" | "backward" | "forward+backward";

// Tolerances, ≈ 2.5× the worst error measured against float64 (relative to max(|y|, 0.01·max|y|)):
// the forward, a softmax-weighted mean of V rows, 4e-6 (plain JS) to 8.7e-6 (scalar build): 2e-5; the
// backward, five chained products with cancellation in dP − rowsum(dP ⊙ P), 6e-6 (plain JS) to 1.6e-5
// (scalar build): 4e-5.
const TOL: Record<AttentionPass, number> = { forward: 2e-5, backward: 4e-5, "forward+backward": 4e-5 };

export function attentionHeadsWorkload(ctx: BenchContext, pass: AttentionPass, h: number, T: number, d: number): Workload {
  const shape = [h, T, d];
  const withBackward = pass !== "forward";
  const seed = withBackward ? 411 : 401;
  const [q, k, v, dout] = [0, 1, 2, 3].map((i) => ctx.randn(shape, seed + i)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const tensors: sd.Tensor[] = [];
  const pairs = (T * (T + 1)) / 2;
  const products = pass === "forward" ? 2 : pass === "backward" ? 5 : 7;
  const w = newWorkload(ctx, {
    id: `attention ${pass} causal h=${h} T=${T} d=${d}`, kind: "attention", flops: h * 2 * d * pairs * products, tol: TOL[pass],
    reference: () => (withBackward ? attentionBackwardRef(q, k, v, dout, h, T, d, true) : attentionRef(q, k, v, h, T, d, true)),
    dispose: () => tensors.forEach((t) => t.dispose()),
  });
  addBuilds(ctx, w, () => {
    const [Q, K, V, DO] = [sd.tensor(q, shape), sd.tensor(k, shape), sd.tensor(v, shape), sd.tensor(dout, shape)];
    const [O, DQ, DK, DV, LSE] = [sd.zeros(shape), sd.zeros(shape), sd.zeros(shape), sd.zeros(shape), sd.zeros([h, T])];
    tensors.push(Q, K, V, DO, O, DQ, DK, DV, LSE);
    const fwd = { causal: true, out: O, lse: LSE };
    const bwd = { causal: true, dq: DQ, dk: DK, dv: DV };
    if (!withBackward) return { run: () => void sd.attention(Q, K, V, fwd), result: () => O.toFloat32Array() };
    sd.attention(Q, K, V, fwd);
    const backward = (): void => void sd.attentionBackward(Q, K, V, O, DO, LSE, bwd);
    return {
      run: pass === "backward" ? backward : () => (sd.attention(Q, K, V, fwd), backward()),
      result: () => concat([DQ.toFloat32Array(), DK.toFloat32Array(), DV.toFloat32Array()]),
    };
  });
  const out = new Float32Array(h * T * d);
  const scores = new Float32Array(T);
  const forward = (): void => attentionJS(q, k, v, out, h, T, d, true, scores);
  if (!withBackward) {
    w.impls.push({ label: "plain JS", kind: "js", run: forward, result: () => out });
    return w;
  }
  const [dq, dk, dv] = [new Float32Array(h * T * d), new Float32Array(h * T * d), new Float32Array(h * T * d)];
  const scratch = attentionBackwardScratch(T);
  forward();
  const backward = (): void => attentionBackwardJS(q, k, v, out, dout, dq, dk, dv, h, T, d, true, scratch);
  w.impls.push({ label: "plain JS", kind: "js", run: pass === "backward" ? backward : () => (forward(), backward()), result: () => concat([dq, dk, dv]) });
  return w;
}
