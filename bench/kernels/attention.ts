// Softmax and causal attention rows: softmax 1024×1024, attention forward, attention backward alone
// and forward + backward (h = 8, T = 256, d = 32), on both backends and in plain JS
// (bench/lib/plain.ts, bench/lib/plain-attention-backward.ts). Outputs go to preallocated tensors.

import * as sd from "../../src/index.js";
import { attentionBackwardJS, attentionBackwardScratch } from "../lib/plain-attention-backward.js";
import { attentionJS, softmaxJS } from "../lib/plain.js";
import { concat } from "../lib/arrays.js";
import { onBackend, type KernelContext } from "./context.js";
import type { Impl, Workload } from "./types.js";

export function softmaxWorkload(ctx: KernelContext, rows: number, cols: number): Workload {
  const x = ctx.randnData([rows, cols], 301).map((v) => 3 * v);
  const tensors: sd.Tensor[] = [];
  const impls: Impl[] = ctx.backends.map(({ impl, backend }) =>
    onBackend(backend, () => {
      const X = sd.tensor(x, [rows, cols]);
      const Y = sd.zeros([rows, cols]);
      tensors.push(X, Y);
      const options = { out: Y };
      return { impl, label: impl, run: () => void sd.softmax(X, options), result: () => Y.toFloat32Array() };
    }),
  );
  const y = new Float32Array(rows * cols);
  impls.push({ impl: "js", label: "plain JS", run: () => softmaxJS(x, y, rows, cols), result: () => y });
  return { id: `softmax ${rows}×${cols}`, group: "softmax", tol: 1e-5, impls, dispose: () => tensors.forEach((t) => t.dispose()) };
}

export function attentionWorkload(ctx: KernelContext, h: number, T: number, d: number): Workload {
  const shape = [h, T, d];
  const q = ctx.randnData(shape, 401);
  const k = ctx.randnData(shape, 402);
  const v = ctx.randnData(shape, 403);
  const tensors: sd.Tensor[] = [];
  const impls: Impl[] = ctx.backends.map(({ impl, backend }) =>
    onBackend(backend, () => {
      const [Q, K, V, O] = [sd.tensor(q, shape), sd.tensor(k, shape), sd.tensor(v, shape), sd.zeros(shape)];
      tensors.push(Q, K, V, O);
      const options = { causal: true, out: O };
      return { impl, label: impl, run: () => void sd.attention(Q, K, V, options), result: () => O.toFloat32Array() };
    }),
  );
  const out = new Float32Array(h * T * d);
  const scores = new Float32Array(T);
  impls.push({ impl: "js", label: "plain JS", run: () => attentionJS(q, k, v, out, h, T, d, true, scores), result: () => out });
  // Only the unmasked half is work: QKᵀ and P·V each cost d multiply-adds per visible (i, j) pair.
  const flops = h * 2 * 2 * d * ((T * (T + 1)) / 2);
  return {
    id: `attention causal h=${h} T=${T} d=${d}`, group: "attention", flops, tol: 1e-4, impls,
    dispose: () => tensors.forEach((t) => t.dispose()),
  };
}

/**
 * Causal attention backward (withForward false: attentionBackward alone, from the out/lse of one
 * forward made before timing) or forward (with lse) + backward. Checked output: dq, dk, dv.
 */
export function attentionBackwardWorkload(ctx: KernelContext, h: number, T: number, d: number, withForward: boolean): Workload {
  const shape = [h, T, d];
  const q = ctx.randnData(shape, 411);
  const k = ctx.randnData(shape, 412);
  const v = ctx.randnData(shape, 413);
  const dout = ctx.randnData(shape, 414);
  const tensors: sd.Tensor[] = [];
  const impls: Impl[] = ctx.backends.map(({ impl, backend }) =>
    onBackend(backend, () => {
      const [Q, K, V, DO] = [sd.tensor(q, shape), sd.tensor(k, shape), sd.tensor(v, shape), sd.tensor(dout, shape)];
      const [O, DQ, DK, DV] = [sd.zeros(shape), sd.zeros(shape), sd.zeros(shape), sd.zeros(shape)];
      const LSE = sd.zeros([h, T]);
      tensors.push(Q, K, V, DO, O, DQ, DK, DV, LSE);
      const fwd = { causal: true, out: O, lse: LSE };
      const bwd = { causal: true, dq: DQ, dk: DK, dv: DV };
      sd.attention(Q, K, V, fwd);
      const run = withForward
        ? () => {
            sd.attention(Q, K, V, fwd);
            sd.attentionBackward(Q, K, V, O, DO, LSE, bwd);
          }
        : () => void sd.attentionBackward(Q, K, V, O, DO, LSE, bwd);
      return { impl, label: impl, run, result: () => concat([DQ.toFloat32Array(), DK.toFloat32Array(), DV.toFloat32Array()]) };
    }),
  );
  const out = new Float32Array(h * T * d);
  const scores = new Float32Array(T);
  const [dq, dk, dv] = [new Float32Array(h * T * d), new Float32Array(h * T * d), new Float32Array(h * T * d)];
  const scratch = attentionBackwardScratch(T);
  attentionJS(q, k, v, out, h, T, d, true, scores);
  const backward = (): void => attentionBackwardJS(q, k, v, out, dout, dq, dk, dv, h, T, d, true, scratch);
  impls.push({
    impl: "js", label: "plain JS",
    run: withForward ? () => { attentionJS(q, k, v, out, h, T, d, true, scores); backward(); } : backward,
    result: () => concat([dq, dk, dv]),
  });
  // Nominal work per visible (i, j) pair and head, 2·d flops per product: the backward recomputes
  // QKᵀ and forms dP = dO·Vᵀ, dQ, dK and dV (5 products); the forward adds QKᵀ and P·V (2).
  const pairs = (T * (T + 1)) / 2;
  const flops = h * 2 * d * pairs * (withForward ? 7 : 5);
  return {
    id: `attention ${withForward ? "forward+backward" : "backward"} causal h=${h} T=${T} d=${d}`, group: "attention", flops, tol: 1e-3, impls,
    dispose: () => tensors.forEach((t) => t.dispose()),
  };
}
