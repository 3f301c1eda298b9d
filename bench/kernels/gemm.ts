// GEMM rows: square n = 64…1024 against plain JS (i-k-j) and a float64 reference up to n = 256, and
// the MLP's layer-0 product (m = 32, 128) with every combination of transposes, each against the
// float64 reference and reported relative to its untransposed time. simdnet writes into a
// preallocated C (`out`), so a timed call allocates nothing.

import * as sd from "../../src/index.js";
import { matmulJS, matmulRef } from "../lib/plain.js";
import { fmt } from "../lib/stats.js";
import { CFG, JS_1024_MAX_PREDICTED_MS, quick } from "./config.js";
import { onBackend, type KernelContext } from "./context.js";
import { runWorkload } from "./timing.js";
import type { Impl, Workload } from "./types.js";

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
  return out;
}

function matmulWorkload(
  ctx: KernelContext, id: string, group: "gemm" | "mlp", m: number, k: number, n: number,
  o: { transA?: boolean; transB?: boolean; js?: boolean; f64Ref?: boolean; seed: number; baseId?: string },
): Workload {
  const { transA = false, transB = false } = o;
  const a = ctx.randnData([m, k], o.seed);
  const b = ctx.randnData([k, n], o.seed + 1);
  // Store op(A) and op(B) transposed when asked, so all four variants compute the same product.
  const aStored = transA ? transpose(a, m, k) : a;
  const bStored = transB ? transpose(b, k, n) : b;
  const tensors: sd.Tensor[] = [];
  const impls: Impl[] = ctx.backends.map(({ impl, backend }) =>
    onBackend(backend, () => {
      const A = sd.tensor(aStored, transA ? [k, m] : [m, k]);
      const B = sd.tensor(bStored, transB ? [n, k] : [k, n]);
      const C = sd.zeros([m, n]);
      tensors.push(A, B, C);
      const options = { transposeA: transA, transposeB: transB, out: C };
      return { impl, label: impl, run: () => void sd.matmul(A, B, options), result: () => C.toFloat32Array() };
    }),
  );
  if (o.js) {
    const c = new Float32Array(m * n);
    impls.push({ impl: "js", label: "plain JS (i-k-j)", run: () => matmulJS(a, b, c, m, k, n), result: () => c });
  }
  return {
    id, group, flops: 2 * m * n * k, tol: 1e-4, impls, baseId: o.baseId,
    reference: o.f64Ref ? () => matmulRef(a, b, m, k, n) : undefined,
    dispose: () => tensors.forEach((t) => t.dispose()),
  };
}

/** Square GEMM, n = 64…1024; plain JS up to CFG.jsMaxN, and at 1024 only if n = 512 predicts a bearable call. */
export async function runSquareGemms(ctx: KernelContext): Promise<void> {
  for (const n of [64, 128, 256, 512, 1024]) {
    let js = n <= CFG.jsMaxN;
    if (n === 1024 && js) {
      const t512 = ctx.rows.find((r) => r.workload === "gemm 512×512·512×512" && r.implKind === "js")?.medianMs;
      if (t512 === undefined || t512 * 8 > JS_1024_MAX_PREDICTED_MS) {
        js = false;
        ctx.notes.push(`plain-JS GEMM at n = 1024 skipped: n = 512 took ${fmt(t512)} ms, so one call would take about ${fmt((t512 ?? NaN) * 8)} ms`);
      }
    }
    if (n === 1024 && !js && quick) ctx.notes.push("plain-JS GEMM at n = 1024 not run in quick mode");
    await runWorkload(ctx, matmulWorkload(ctx, `gemm ${n}×${n}·${n}×${n}`, "gemm", n, n, n, { js, f64Ref: n <= 256, seed: 100 + n }));
  }
}

/** The MLP's layer-0 product [m, 784]·[784, 128] with every transpose (the training step's shapes). */
export async function runMlpShapes(ctx: KernelContext): Promise<void> {
  for (const m of [32, 128]) {
    const base = `mlp ${m}×784·784×128`;
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const suffix = transA || transB ? ` (${[transA && "Aᵀ", transB && "Bᵀ"].filter(Boolean).join(", ")})` : "";
      await runWorkload(ctx, matmulWorkload(ctx, `${base}${suffix}`, "mlp", m, 784, 128, {
        transA, transB, f64Ref: true, seed: 200 + m, baseId: suffix ? base : undefined,
      }));
    }
  }
}
