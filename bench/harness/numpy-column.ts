// The numpy column: after the Node workloads, one python3 child (float32, one BLAS thread) runs the
// tasks the workloads collected on the same input bytes, timed by its own clock; its outputs are
// checked against simdnet best's like every other implementation's. Not interleaved: a separate column.

import { summarize } from "../lib/stats.js";
import { runNumpy, type NumpyTask } from "../peers/numpy.js";
import { relErr } from "./check.js";
import { CFG, onlyPeers, quick, type BenchContext } from "./context.js";

export function numpyColumn(ctx: BenchContext, tasks: NumpyTask[]): void {
  const numpy = onlyPeers && !onlyPeers.includes("numpy")
    ? { setup: "left out by --peers", results: new Map(), error: "not run: left out by --peers" }
    : runNumpy(tasks, { budgetS: CFG.numpyBudgetS, minSamples: CFG.numpyMinSamples, sampleMs: 20, timeoutS: quick ? 60 : 240 });
  ctx.setups.numpy = numpy.error ? `FAILED: ${numpy.error}` : numpy.setup;
  const tol = 1e-4;
  for (const t of tasks) {
    const base = { workload: t.id, kind: t.kind, impl: "numpy", implKind: "numpy" as const, column: "numpy", timedBy: "numpy_bench.py time.perf_counter (own process)" as const };
    const r = numpy.results.get(t.id);
    const error = numpy.error ?? r?.error ?? (r ? undefined : "no result");
    if (error || !r?.output || !r.samplesMs) {
      ctx.rows.push({ ...base, ...summarize([]), error: `numpy: ${error ?? "no output"}` });
      continue;
    }
    const want = ctx.bestOutputs.get(t.id);
    if (!want) {
      ctx.rows.push({ ...base, ...summarize([]), error: "not checked: simdnet best produced no output" });
      continue;
    }
    const err = relErr(r.output, want);
    ctx.checks.push({ workload: t.id, impl: "numpy", against: ctx.best.label, maxRelErr: err, tol, ok: err <= tol });
    if (err > tol) {
      ctx.rows.push({ ...base, ...summarize([]), error: `output mismatch vs ${ctx.best.label}: max rel err ${err.toExponential(2)} > ${tol}` });
      continue;
    }
    const s = summarize(r.samplesMs);
    const ref = ctx.rows.find((x) => x.workload === t.id && x.gflops !== undefined);
    ctx.rows.push({
      ...base, ...s,
      gflops: ref ? (ref.gflops! * ref.medianMs) / s.medianMs : undefined,
      perSecond: t.kind === "train" ? (t.params.batch as number) / (s.medianMs / 1000) : undefined,
      note: "own process, perf_counter",
    });
  }
}
