// The child-process columns: after the Node workloads, numpy (1 and 2 BLAS threads), PyTorch (1 and 2
// threads, the training rows) and onnxruntime-web with 2 threads (GEMM, softmax, attention) each run
// in a child process of their own on the same input bytes the workloads collected (Workload.numpy),
// timed by their own clocks with the in-process rows' sampling rule (bench/peers/child-run.ts); their
// outputs are checked against the workloads' references like every other implementation's (harness/check.ts). Not interleaved with
// the Node rows: separate columns, run one after the other.

import { summarize } from "../lib/stats.js";
import { samplingText, type ChildRun, type ChildTask, type Sampling } from "../peers/child-run.js";
import { runNumpy } from "../peers/numpy.js";
import { runOrtWebThreads } from "../peers/onnxruntime-web-threads.js";
import { runTorch } from "../peers/torch.js";
import { GPT_TOL } from "../workloads/gpt-train.js";
import { record, relErr } from "./check.js";
import { CFG, CHILD_COLUMNS, onlyPeers, quick, type BenchContext } from "./context.js";

/** The in-process rows' rule (bench/harness/timing.ts: CFG and tinybench's warm-up), for the children. */
export const childSampling = (): Sampling => ({
  rounds: CFG.rounds, budget_ms: CFG.budgetMs, warmup_ms: Math.min(20, CFG.budgetMs / 4),
  slow_call_ms: CFG.slowCallMs, slow_cap_ms: CFG.slowCapMs, reuse_check_call_ms: CFG.reuseCheckCallMs,
});

type ChildColumn = (typeof CHILD_COLUMNS)[number];

/** The workloads each child-process peer has. */
const KINDS: Record<ChildColumn, ChildTask["kind"][]> = {
  numpy: ["gemm", "softmax", "attention", "train"],
  "numpy 2 threads": ["gemm", "softmax", "attention", "train"],
  "onnxruntime-web 2 threads": ["gemm", "softmax", "attention"],
  PyTorch: ["train", "gpt-train"],
  "PyTorch 2 threads": ["train", "gpt-train"],
};

function runColumn(column: ChildColumn, tasks: ChildTask[], s: Sampling): ChildRun & { setup: string } {
  const timeoutS = quick ? 120 : 600;
  if (column === "numpy") return runNumpy(tasks, 1, s, timeoutS);
  if (column === "numpy 2 threads") return runNumpy(tasks, 2, s, timeoutS);
  if (column === "onnxruntime-web 2 threads") return runOrtWebThreads(tasks, 2, s, timeoutS);
  return runTorch(tasks, column === "PyTorch" ? 1 : 2, s, timeoutS);
}

/** Runs every child-process column on the tasks it has and appends its rows and checks. */
export function childColumns(ctx: BenchContext, allTasks: ChildTask[]): void {
  const s = childSampling();
  ctx.notes.push(`child-process columns (${CHILD_COLUMNS.join(", ")}): ${samplingText(s)}; each timed by its own clock after the Node workloads`);
  for (const column of CHILD_COLUMNS) {
    const tasks = allTasks.filter((t) => KINDS[column].includes(t.kind));
    if (tasks.length === 0) continue;
    process.stdout.write(`  ${column} (own process) …`);
    const t0 = performance.now();
    const run = onlyPeers && !onlyPeers.includes(column)
      ? { info: {}, results: [], setup: "left out by --peers", error: "not run: left out by --peers" }
      : runColumn(column, tasks, s);
    process.stdout.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    ctx.setups[column] = !run.error ? run.setup : run.error.startsWith("not ") ? run.error : `FAILED: ${run.error}`;
    addRows(ctx, column, tasks, run);
  }
}

function addRows(ctx: BenchContext, column: string, tasks: ChildTask[], run: ChildRun): void {
  const implKind = column.startsWith("numpy") ? "numpy" as const : "peer" as const;
  const timedBy = "child process, own clock" as const;
  for (const t of tasks) {
    const results = run.results.filter((r) => r.id === t.id);
    if (results.length === 0) {
      // A whole-column failure is one row per task; a task the peer does not have is no row at all.
      if (run.error) ctx.rows.push({ workload: t.id, kind: t.kind, impl: column, implKind, column, timedBy, ...summarize([]), error: `${column}: ${run.error}` });
      continue;
    }
    for (const r of results) {
      const label = r.label ?? column;
      const base = { workload: t.id, kind: t.kind, impl: label, implKind, column, timedBy };
      if (r.error || !r.output || !r.samplesMs) {
        ctx.rows.push({ ...base, ...summarize([]), error: `${label}: ${r.error ?? "no output"}` });
        continue;
      }
      const reference = ctx.references.get(t.id);
      if (!reference) {
        ctx.rows.push({ ...base, ...summarize([]), error: "not checked: the workload has no reference (its in-process check did not run)" });
        continue;
      }
      const failed = (t.kind === "gpt-train" ? gptChecks(r.output, reference.values, t.params.sizes as number[]) : [{ what: undefined, err: relErr(r.output, reference.values), tol: reference.tol }])
        .filter((c) => !record(ctx, t.id, label, c.what, c.err, c.tol, reference.name));
      if (failed.length > 0) {
        ctx.rows.push({ ...base, ...summarize([]), error: `output mismatch vs ${reference.name}: ${failed.map((c) => `${c.what ?? "max rel err"} ${c.err.toExponential(2)} > ${c.tol}`).join("; ")}` });
        continue;
      }
      const sum = summarize(r.samplesMs);
      const ref = ctx.rows.find((x) => x.workload === t.id && x.gflops !== undefined && !x.error);
      const perCall = t.kind === "train" ? (t.params.batch as number) : t.kind === "gpt-train" ? (t.params.tokens as number) : undefined;
      ctx.rows.push({
        ...base, ...sum,
        gflops: ref ? (ref.gflops! * ref.medianMs) / sum.medianMs : undefined,
        perSecond: perCall ? perCall / (sum.medianMs / 1000) : undefined,
        note: ["own process", r.note].filter(Boolean).join("; "),
      });
    }
  }
}

/**
 * The GPT step's checks, as bench/workloads/gpt-train.ts does them for the in-process peers, on outputs
 * laid out [loss, every gradient, every parameter after step 1 from plain JS's gradients] (`sizes`:
 * the parameters' lengths, in order): loss 1e-4, worst gradient tensor 1e-3, worst parameter 1e-5.
 */
function gptChecks(got: Float32Array, want: ArrayLike<number>, sizes: number[]): { what: string; err: number; tol: number }[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (got.length !== want.length || want.length !== 1 + 2 * total) return [{ what: "output length", err: Infinity, tol: 0 }];
  const worst = (from: number): number => {
    let err = 0;
    for (const n of sizes) {
      err = Math.max(err, relErr(got.subarray(from, from + n), Array.prototype.slice.call(want, from, from + n) as number[]));
      from += n;
    }
    return err;
  };
  return [
    { what: "loss, step 1's batch", err: Math.abs(got[0]! - want[0]!) / Math.abs(want[0]!), tol: GPT_TOL.loss },
    { what: `gradients (${sizes.length} tensors)`, err: worst(1), tol: GPT_TOL.grads },
    { what: "parameters after step 1 from plain JS's gradients (clip + AdamW)", err: worst(1 + total), tol: GPT_TOL.params },
  ];
}
