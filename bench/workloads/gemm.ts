// GEMM C [m, n] = op(A) · op(B): square n = 64…1024 ("GEMM n=…") and the MLP's layer-0 products
// ("GEMM 32×784·784×128"), the latter also with every transpose in the kernel suite ("… (Aᵀ)"): the
// operands are stored transposed, so all forms compute the same product. GFLOP/s = 2·m·n·k / median
// time. simdnet writes into a preallocated C (`out`); plain JS is the i-k-j loop of bench/lib/plain.ts;
// peers allocate per call. Reference: matmulRef, a float64 dot product per output.

import * as sd from "../../src/index.js";
import type { BenchContext } from "../harness/context.js";
import type { Workload } from "../harness/types.js";
import { matmulJS, matmulRef } from "../lib/plain.js";
import { addBuilds, addPeers, newWorkload, peerImpl } from "./common.js";

export function gemmId(m: number, k: number, n: number, transA = false, transB = false): string {
  const base = m === k && k === n ? `GEMM n=${n}` : `GEMM ${m}×${k}·${k}×${n}`;
  return transA || transB ? `${base} (${[transA && "Aᵀ", transB && "Bᵀ"].filter(Boolean).join(", ")})` : base;
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
  return out;
}

/**
 * Float32 rounding of a k-term dot product grows like √k·ε (ε = 2⁻²⁴) for random signs. Measured
 * against float64 as |x − y| / max(|y|, 0.01·max|y|), the worst of the outputs (the small ones, judged
 * at the 1 % floor) reached 17–26·√k·ε for simdnet's builds (n = 128…1024) and ≈ 35·√k·ε for plain JS's
 * sequential i-k-j sums (k = 784): 64·√k·ε leaves about 2× over the worst.
 */
export const gemmTol = (k: number): number => 64 * Math.sqrt(k) * 2 ** -24;

export async function gemmWorkload(ctx: BenchContext, m: number, k: number, n: number, transA = false, transB = false): Promise<Workload> {
  const id = gemmId(m, k, n, transA, transB);
  const a = ctx.randn([m, k], 100 + m + k);
  const b = ctx.randn([k, n], 101 + n + k);
  const aStored = transA ? transpose(a, m, k) : a;
  const bStored = transB ? transpose(b, k, n) : b;
  const tensors: sd.Tensor[] = [];
  const plainForm = !transA && !transB;
  const w = newWorkload(ctx, {
    id, kind: "gemm", flops: 2 * m * n * k, tol: gemmTol(k),
    reference: () => matmulRef(a, b, m, k, n),
    dispose: () => tensors.forEach((t) => t.dispose()),
    numpy: plainForm ? { id, kind: "gemm", params: { m, k, n }, inputs: { a, b } } : undefined,
    // n = 1024 costs 8× n = 512: an impl whose n = 512 row predicts too long a call is skipped (every impl alike).
    predictFrom: m === n && n === k && n === 1024 ? { workload: gemmId(512, 512, 512), factor: 8 } : undefined,
  });
  addBuilds(ctx, w, () => {
    const [A, B, C] = [sd.tensor(aStored, transA ? [k, m] : [m, k]), sd.tensor(bStored, transB ? [n, k] : [k, n]), sd.zeros([m, n])];
    tensors.push(A, B, C);
    const options = { transposeA: transA, transposeB: transB, out: C };
    return { run: () => void sd.matmul(A, B, options), result: () => C.toFloat32Array(), arrays: { inputs: [[A, aStored], [B, bStored]], output: C } };
  });
  if (plainForm) {
    const c = new Float32Array(m * n);
    w.impls.push({ label: "plain JS (i-k-j)", column: "plain JS", kind: "js", run: () => matmulJS(a, b, c, m, k, n), result: () => c });
    await addPeers(ctx, w, (p) => (p.gemm ? peerImpl(p, p.gemm(a, b, m, k, n)) : undefined));
  }
  return w;
}
