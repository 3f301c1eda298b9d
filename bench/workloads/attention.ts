// Causal multi-head attention forward with its projections: x [T, d] → Q, K, V → heads → causal
// softmax(QKᵀ/√dh)·V → concat → W_o, no biases. simdnet runs what MultiHeadAttention runs: its fused
// W_qkv GEMM, then qkvAttention (all heads in one call, reading Q, K, V in place from the projection and
// writing merged rows; never materializes the T×T scores), then W_o; plain JS the same steps
// with bench/lib's loops; the peers three projection MatMuls, batched MatMuls, an additive −1e9 mask
// and Softmax. GFLOP/s counts the 4 projections and the visible half of QKᵀ and P·V.
// Reference: mhaRef (float64: three projections, explicit weights P per head, merge, W_o).

import * as sd from "../../src/index.js";
import type { BenchContext } from "../harness/context.js";
import type { Workload } from "../harness/types.js";
import { attentionJS, matmulJS } from "../lib/plain.js";
import { mhaRef } from "../lib/reference.js";
import { addBuilds, addPeers, newWorkload, peerImpl } from "./common.js";

/** Columns of the fused [d, 3d] W_qkv (Q | K | V), as MultiHeadAttention stores it. */
function fuseQkv(wq: Float32Array, wk: Float32Array, wv: Float32Array, d: number): Float32Array {
  const wqkv = new Float32Array(d * 3 * d);
  for (let r = 0; r < d; r++) {
    wqkv.set(wq.subarray(r * d, (r + 1) * d), r * 3 * d);
    wqkv.set(wk.subarray(r * d, (r + 1) * d), r * 3 * d + d);
    wqkv.set(wv.subarray(r * d, (r + 1) * d), r * 3 * d + 2 * d);
  }
  return wqkv;
}

export async function attentionWorkload(ctx: BenchContext, T: number, d: number, h: number): Promise<Workload> {
  const id = `causal MHA T=${T} d=${d} h=${h}`;
  const dh = d / h;
  const x = ctx.randn([T, d], 401);
  const ws = 1 / Math.sqrt(d); // keeps the scores O(1), like an initialized layer
  const [wq, wk, wv, wo] = [402, 403, 404, 405].map((s) => ctx.randn([d, d], s, ws)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const wqkv = fuseQkv(wq, wk, wv, d);
  const tensors: sd.Tensor[] = [];
  const flops = 4 * 2 * T * d * d + h * 2 * 2 * dh * ((T * (T + 1)) / 2);
  const w = newWorkload(ctx, {
    // Two chained float32 GEMMs of k = 256 around the attention (≈ 16·√k·ε each, see gemmTol) plus
    // its own exp and sums: 5e-5, ≈ 2× the error measured on plain JS and simdnet.
    id, kind: "attention", flops, tol: 5e-5,
    reference: () => mhaRef(x, wq, wk, wv, wo, T, d, h),
    dispose: () => tensors.forEach((t) => t.dispose()),
    numpy: { id, kind: "attention", params: { T, d, h }, inputs: { x, wq, wk, wv, wo } },
  });
  addBuilds(ctx, w, () => {
    const X = sd.tensor(x, [T, d]);
    const Wqkv = sd.tensor(wqkv, [d, 3 * d]);
    const Wo = sd.tensor(wo, [d, d]);
    const QKV = sd.zeros([T, 3 * d]);
    const M = sd.zeros([T, d]);
    const O = sd.zeros([T, d]);
    tensors.push(X, Wqkv, Wo, QKV, M, O);
    const run = (): void => {
      sd.matmul(X, Wqkv, { out: QKV });
      sd.qkvAttention(QKV, h, { headDim: dh, causal: true, out: M });
      sd.matmul(M, Wo, { out: O });
    };
    return { run, result: () => O.toFloat32Array(), arrays: { inputs: [[X, x]], output: O } };
  });
  {
    const proj = [new Float32Array(T * d), new Float32Array(T * d), new Float32Array(T * d)];
    const heads = [new Float32Array(T * d), new Float32Array(T * d), new Float32Array(T * d)];
    const yh = new Float32Array(T * d);
    const merged = new Float32Array(T * d);
    const out = new Float32Array(T * d);
    const scores = new Float32Array(T);
    const run = (): void => {
      [wq, wk, wv].forEach((wm, i) => {
        matmulJS(x, wm, proj[i]!, T, d, d);
        const p = proj[i]!;
        const hd = heads[i]!;
        for (let t = 0; t < T; t++) for (let hh = 0; hh < h; hh++) for (let c = 0; c < dh; c++) hd[(hh * T + t) * dh + c] = p[t * d + hh * dh + c]!;
      });
      attentionJS(heads[0]!, heads[1]!, heads[2]!, yh, h, T, dh, true, scores);
      for (let t = 0; t < T; t++) for (let hh = 0; hh < h; hh++) for (let c = 0; c < dh; c++) merged[t * d + hh * dh + c] = yh[(hh * T + t) * dh + c]!;
      matmulJS(merged, wo, out, T, d, d);
    };
    w.impls.push({ label: "plain JS", kind: "js", run, result: () => out });
  }
  await addPeers(ctx, w, (p) => (p.attention ? peerImpl(p, p.attention({ x, wq, wk, wv, wo, T, d, h })) : undefined));
  return w;
}
