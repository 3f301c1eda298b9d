// GEMM C [m, n] = A [m, k] · B [k, n]: square n = 64…1024 ("GEMM n=…") and the MLP's layer-0
// products ("GEMM 32×784·784×128"). GFLOP/s = 2·m·n·k / median time. simdnet writes into a
// preallocated C (`out`); plain JS is the i-k-j loop of bench/lib/plain.ts; peers allocate per call.

import * as sd from "../../src/index.js";
import type { BenchContext } from "../harness/context.js";
import type { Workload } from "../harness/types.js";
import { matmulJS } from "../lib/plain.js";
import { addBuilds, addPeers, newWorkload, peerImpl, predictedTooSlow } from "./common.js";

export function gemmId(m: number, k: number, n: number): string {
  return m === k && k === n ? `GEMM n=${n}` : `GEMM ${m}×${k}·${k}×${n}`;
}

export async function gemmWorkload(ctx: BenchContext, m: number, k: number, n: number): Promise<Workload> {
  const id = gemmId(m, k, n);
  const a = ctx.randn([m, k], 100 + m + k);
  const b = ctx.randn([k, n], 101 + n + k);
  const tensors: sd.Tensor[] = [];
  const w = newWorkload(ctx, {
    id, kind: "gemm", flops: 2 * m * n * k, tol: 1e-4,
    dispose: () => tensors.forEach((t) => t.dispose()),
    numpy: { id, kind: "gemm", params: { m, k, n }, inputs: { a, b } },
  });
  addBuilds(ctx, w, () => {
    const [A, B, C] = [sd.tensor(a, [m, k]), sd.tensor(b, [k, n]), sd.zeros([m, n])];
    tensors.push(A, B, C);
    return { run: () => void sd.matmul(A, B, { out: C }), result: () => C.toFloat32Array() };
  });
  // n = 1024 costs 8× n = 512: the slow implementations are skipped when that predicts too long a call.
  const tooSlow = (label: string): string | undefined => (n === 1024 && m === n ? predictedTooSlow(ctx, label, "GEMM n=512", 8) : undefined);
  const jsLabel = "plain JS (i-k-j)";
  const jsSkip = tooSlow(jsLabel);
  if (jsSkip) w.errors.push({ label: jsLabel, kind: "js", column: "plain JS", error: jsSkip });
  else {
    const c = new Float32Array(m * n);
    w.impls.push({ label: jsLabel, column: "plain JS", kind: "js", run: () => matmulJS(a, b, c, m, k, n), result: () => c });
  }
  await addPeers(ctx, w, (p) => (p.gemm ? peerImpl(p, p.gemm(a, b, m, k, n)) : undefined), (p) => tooSlow(p.name));
  return w;
}
