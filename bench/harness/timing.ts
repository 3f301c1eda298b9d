// Timing, interleaved: a workload's implementations take turns round by round (the order rotates
// each round so none is always first or last); each turn is one tinybench task with warm-up and a
// time budget, and the samples of all rounds are pooled (median, min–max) while each round's median is
// kept for the per-round ratios. Calls slower than CFG.slowCallMs get no warm-up and one sample per
// round until their samples add up to the cap (plain-JS GEMM n = 1024 or a plain-JS GPT step would
// otherwise dominate the run); in quick mode a call of seconds is not repeated: its check call is its
// sample. These rules look at the call's time only, never at who runs it: they apply to every row alike.
// A workload may ask for samples of about sampleMs (several calls per sample, per-call times reported).

import { Bench } from "tinybench";
import { fmt, summarize } from "../lib/stats.js";
import { checkWorkload, key } from "./check.js";
import { CFG, message, quick, type BenchContext } from "./context.js";
import type { Impl, Workload } from "./types.js";

/**
 * Skip reason for an impl whose earlier, smaller run predicts a call longer than CFG.maxPredictedMs
 * (`factor` × that run's median).
 */
function predictedTooSlow(ctx: BenchContext, label: string, fromWorkload: string, factor: number): string | undefined {
  const r = ctx.rows.find((x) => x.workload === fromWorkload && x.impl === label && !x.error);
  if (!r) return undefined;
  const predicted = r.medianMs * factor;
  return predicted > CFG.maxPredictedMs
    ? `skipped: ${fromWorkload} took ${fmt(r.medianMs)} ms, so one call would take about ${fmt(predicted)} ms (limit ${CFG.maxPredictedMs} ms${quick ? ", quick mode" : ""})`
    : undefined;
}

async function timeImpl(ctx: BenchContext, w: Workload, impl: Impl, samples: number[]): Promise<void> {
  const first = ctx.firstCall.get(key(w, impl)) ?? 0;
  const slow = first > CFG.slowCallMs;
  if (first > CFG.reuseCheckCallMs) return;
  if (slow && samples.reduce((a, b) => a + b, 0) >= (w.slowCapMs ?? CFG.slowCapMs)) return;
  await impl.before?.();
  const budgetMs = w.budgetMs ?? CFG.budgetMs;
  const bench = new Bench({
    name: `${w.id} / ${impl.label}`,
    time: slow ? 0 : budgetMs,
    iterations: slow ? 1 : 2,
    warmup: !slow,
    warmupTime: Math.min(20, budgetMs / 4),
    warmupIterations: 2,
    retainSamples: true,
    throws: true,
    timestampProvider: "hrtimeNow",
  });
  bench.add(impl.label, impl.run, { async: impl.async ?? false });
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== "completed") throw new Error(`${impl.label}: ${result.state}`);
  const reps = impl.reps ?? 1;
  samples.push(...(result.latency.samples ?? [result.latency.p50]).map((t) => t / reps));
}

/**
 * Sets impl.reps so that a sample of `reps` calls takes about sampleMs, from the fastest of at least
 * 3 calls spanning at least sampleMs / 2 (a few calls alone can all land in a moment of load).
 */
async function calibrateReps(impl: Impl, sampleMs: number): Promise<void> {
  let best = Infinity;
  await impl.before?.();
  const start = performance.now();
  for (let i = 0; i < 3 || performance.now() - start < sampleMs / 2; i++) {
    const t0 = performance.now();
    await impl.run();
    best = Math.min(best, performance.now() - t0);
  }
  const reps = Math.max(1, Math.round(sampleMs / Math.max(best, 1e-3)));
  if (reps > 1) {
    const once = impl.run;
    impl.run = impl.async
      ? async () => {
          for (let i = 0; i < reps; i++) await once();
        }
      : () => {
          for (let i = 0; i < reps; i++) void once();
        };
  }
  impl.reps = reps;
}

/** Checks a workload, times what passed, appends its rows (timed and error rows) to ctx.rows. */
export async function runWorkload(ctx: BenchContext, w: Workload): Promise<void> {
  process.stdout.write(`  ${w.id} …`);
  const t0 = performance.now();
  if (w.predictFrom) {
    for (const impl of [...w.impls]) {
      const why = predictedTooSlow(ctx, impl.label, w.predictFrom.workload, w.predictFrom.factor);
      if (!why) continue;
      w.errors.push({ label: impl.label, kind: impl.kind, column: impl.column, variant: impl.variant, error: why });
      w.impls.splice(w.impls.indexOf(impl), 1);
      impl.dispose?.();
    }
  }
  let timed: Impl[];
  try {
    timed = await checkWorkload(ctx, w);
  } catch (e) {
    // The reference itself failed: every implementation becomes an error row, and simdnet is unchecked.
    timed = [];
    for (const impl of w.impls) w.errors.push({ label: impl.label, kind: impl.kind, column: impl.column, error: `not timed: check failed: ${message(e)}` });
    ctx.simdnetFailures.push(`${w.id}: could not be checked: ${message(e)}`);
    console.error(`\nSIMDNET NOT CHECKED ${w.id}: ${message(e)}`);
  }
  if (w.sampleMs) for (const impl of timed) await calibrateReps(impl, w.sampleMs);
  const samples = new Map<Impl, number[]>(timed.map((i) => [i, []]));
  const roundMedians = new Map<Impl, number[]>(timed.map((i) => [i, []]));
  const notes = new Map<Impl, string>();
  for (let round = 0; round < (w.rounds ?? CFG.rounds); round++) {
    const order = timed.map((_, i) => timed[(i + round) % timed.length]!);
    for (const impl of order) {
      try {
        const all = samples.get(impl)!;
        const before = all.length;
        await timeImpl(ctx, w, impl, all);
        roundMedians.get(impl)!.push(all.length > before ? summarize(all.slice(before)).medianMs : NaN);
      } catch (e) {
        w.errors.push({ label: impl.label, kind: impl.kind, column: impl.column, error: `failed while timing: ${message(e)}` });
        samples.delete(impl);
        timed.splice(timed.indexOf(impl), 1);
      }
    }
  }
  for (const impl of timed) {
    let s = samples.get(impl)!;
    if (s.length === 0) {
      // A call of seconds in quick mode: its check call is its one sample (no warm-up; said in the row).
      const first = ctx.firstCall.get(key(w, impl));
      if (first !== undefined) {
        s = [first];
        notes.set(impl, "1 sample: the check call, no warm-up");
      }
    }
    const sum = summarize(s);
    ctx.rows.push({
      workload: w.id, kind: w.kind, impl: impl.label, implKind: impl.kind, column: impl.column ?? impl.label, variant: impl.variant, reps: impl.reps, ...sum,
      // A step's parts ("gemms", "rest") are not steps: no samples/s; "rest" does no products.
      gflops: w.flops && impl.variant !== "rest" ? w.flops / (sum.medianMs * 1e6) : undefined,
      perSecond: w.perCall && impl.variant !== "gemms" && impl.variant !== "rest" ? w.perCall / (sum.medianMs / 1000) : undefined,
      roundMedianMs: roundMedians.get(impl),
      note: [notes.get(impl), w.notes?.[impl.label]].filter(Boolean).join("; ") || undefined,
      timedBy: "tinybench (in process, interleaved)",
    });
  }
  for (const e of w.errors) {
    ctx.rows.push({ workload: w.id, kind: w.kind, impl: e.label, implKind: e.kind, column: e.column ?? e.label, variant: e.variant, ...summarize([]), error: e.error, timedBy: "tinybench (in process, interleaved)" });
  }
  for (const impl of w.impls) impl.dispose?.();
  w.dispose();
  process.stdout.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
