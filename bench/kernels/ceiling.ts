// The Wasm SIMD throughput ceiling that GEMM is measured against (bench/lib/ceiling.ts: independent
// f32x4 mul+add chains), timed as ordinary rows of the main table. Not bench/harness/machine.ts's
// measureCeilings: here each chain count is a row, timed by runWorkload like every other workload.

import { loadCeiling } from "../lib/ceiling.js";
import { quick } from "./config.js";
import type { KernelContext } from "./context.js";
import { runWorkload } from "./timing.js";
import type { Workload } from "./types.js";

export interface CeilingResult {
  chains: number;
  gflops: number;
}

/**
 * The best of a few chain counts (enough independent chains to hide latency, few enough to stay in
 * the 16 xmm registers), and every count's result.
 */
export async function runCeiling(ctx: KernelContext): Promise<{ ceiling: CeilingResult; ceilingRows: CeilingResult[] }> {
  const ceilingRows: CeilingResult[] = [];
  for (const chains of quick ? [10, 12, 13] : [8, 10, 12, 13, 16]) {
    const c = await loadCeiling(chains);
    let iters = 1e5;
    const t0 = performance.now();
    c.run(iters);
    const dt = Math.max(performance.now() - t0, 0.01);
    iters = Math.max(1000, Math.round((iters * 2) / dt)); // about 2 ms per call
    let sink = 0;
    const w: Workload = {
      id: `wasm f32x4 mul+add ceiling (${chains} chains)`, group: "ceiling", flops: c.flopsPerCall(iters), tol: 0,
      impls: [{ impl: "ceiling", label: "wasm simd", run: () => { sink += c.run(iters); } }],
      dispose: () => {},
    };
    await runWorkload(ctx, w);
    if (!Number.isFinite(sink)) ctx.notes.push("ceiling: the chains overflowed");
    ceilingRows.push({ chains, gflops: ctx.rows[ctx.rows.length - 1]!.gflops! });
  }
  const ceiling = ceilingRows.reduce((a, b) => (b.gflops > a.gflops ? b : a));
  return { ceiling, ceilingRows };
}
