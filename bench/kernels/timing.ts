// Checking and timing one workload, interleaved: its implementations take turns round by round (the
// order rotates each round so none is always first or last); each turn is one tinybench task with
// warm-up and a time budget, and the samples of all rounds are pooled (median, min–max) while each
// round's median is kept for the per-round ratios of the training rows. Unlike bench/harness/timing.ts,
// a workload may ask for more, shorter rounds and for samples of several calls (sampleMs), and a
// failed check turns every implementation into an error row.

import { Bench } from "tinybench";
import { summarize } from "../lib/stats.js";
import { checkWorkload } from "./check.js";
import { CFG, only } from "./config.js";
import type { KernelContext } from "./context.js";
import type { Impl, Workload } from "./types.js";

async function timeImpl(ctx: KernelContext, w: Workload, impl: Impl, samples: number[]): Promise<void> {
  const first = ctx.firstCallMs.get(`${w.id}/${impl.label}`) ?? 0;
  const slow = first > CFG.slowCallMs;
  if (slow && samples.reduce((a, b) => a + b, 0) >= (w.slowTaskCapMs ?? CFG.slowTaskCapMs)) return;
  const budgetMs = w.budgetMs ?? CFG.budgetMs;
  const bench = new Bench({
    name: `${w.id} / ${impl.label}`,
    time: slow ? 0 : budgetMs,
    iterations: slow ? 1 : CFG.minSamples,
    warmup: !slow,
    warmupTime: Math.min(20, budgetMs / 4),
    warmupIterations: 2,
    retainSamples: true,
    throws: true,
    timestampProvider: "hrtimeNow",
  });
  bench.add(impl.label, impl.run, { async: false });
  await bench.run();
  const task = bench.tasks[0]!;
  const result = task.result;
  if (result.state !== "completed") throw new Error(`${w.id} / ${impl.label}: ${result.state}`);
  const reps = impl.reps ?? 1;
  samples.push(...(result.latency.samples ?? [result.latency.p50]).map((t) => t / reps));
}

/**
 * Sets impl.reps so that a sample of `reps` calls takes about sampleMs, from the fastest of at least
 * 3 calls spanning at least sampleMs / 2 (a few calls alone can all land in a moment of load).
 */
function calibrateReps(impl: Impl, sampleMs: number): void {
  let best = Infinity;
  const start = performance.now();
  for (let i = 0; i < 3 || performance.now() - start < sampleMs / 2; i++) {
    const t0 = performance.now();
    impl.run();
    best = Math.min(best, performance.now() - t0);
  }
  const reps = Math.max(1, Math.round(sampleMs / Math.max(best, 1e-3)));
  if (reps > 1) {
    const once = impl.run;
    impl.run = () => {
      for (let i = 0; i < reps; i++) once();
    };
  }
  impl.reps = reps;
}

/** Checks a workload, times it if the check passed, appends its rows to ctx.rows and disposes it. */
export async function runWorkload(ctx: KernelContext, w: Workload): Promise<void> {
  if (only && w.group !== "ceiling" && !only.test(w.id)) {
    w.dispose();
    return;
  }
  process.stdout.write(`  ${w.id} …`);
  const t0 = performance.now();
  let ok: boolean;
  let error = "output check failed (see checks)";
  try {
    ok = (w.check?.() ?? true) && checkWorkload(ctx, w);
  } catch (e) {
    ok = false;
    error = `check threw: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (!ok) {
    ctx.notes.push(`${w.id}: not timed, ${error}`);
    // An error row per implementation, so the failure shows in the table and not only in the notes.
    for (const impl of w.impls) {
      ctx.rows.push({ workload: w.id, group: w.group, impl: impl.label, implKind: impl.impl, batch: w.batch, variant: impl.variant, mode: impl.mode, tokens: w.tokens, ...summarize([]), error: `CHECK FAILED: ${error}` });
    }
    process.stdout.write(" CHECK FAILED\n");
    w.dispose();
    return;
  }
  if (w.sampleMs) for (const impl of w.impls) calibrateReps(impl, w.sampleMs);
  const samples = new Map<Impl, number[]>(w.impls.map((i) => [i, []]));
  const roundMedians = new Map<Impl, number[]>(w.impls.map((i) => [i, []]));
  for (let round = 0; round < (w.rounds ?? CFG.rounds); round++) {
    // Rotate the order each round so that no implementation always runs first (or last).
    const order = w.impls.map((_, i) => w.impls[(i + round) % w.impls.length]!);
    for (const impl of order) {
      const all = samples.get(impl)!;
      const before = all.length;
      await timeImpl(ctx, w, impl, all);
      roundMedians.get(impl)!.push(all.length > before ? summarize(all.slice(before)).medianMs : NaN);
    }
  }
  for (const impl of w.impls) {
    const s = summarize(samples.get(impl)!);
    ctx.rows.push({
      workload: w.id, group: w.group, impl: impl.label, implKind: impl.impl, ...s,
      gflops: w.flops && impl.variant !== "rest" ? w.flops / (s.medianMs * 1e6) : undefined,
      batch: w.batch, variant: impl.variant,
      samplesPerSec: w.batch && impl.variant !== "gemms" && impl.variant !== "rest" ? w.batch / (s.medianMs / 1000) : undefined,
      roundMedianMs: w.group === "train" ? roundMedians.get(impl) : undefined,
      reps: impl.reps,
      mode: impl.mode,
      tokens: w.tokens,
      tokensPerSec: w.tokens ? w.tokens / (s.medianMs / 1000) : undefined,
    });
  }
  w.dispose();
  process.stdout.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
