// Timing, interleaved: a workload's implementations take turns round by round (the order rotates
// each round so none is always first or last); each turn is one tinybench task with warm-up and a
// time budget, and the samples of all rounds are pooled (median, min–max) while each round's median is
// kept for the per-round ratios. Calls slower than CFG.slowCallMs get no warm-up and one sample per
// round until their samples add up to the cap (plain-JS GEMM n = 1024 or a plain-JS GPT step would
// otherwise dominate the run); in quick mode a call of seconds is not repeated: its check call is its sample.

import { Bench } from "tinybench";
import { summarize } from "../lib/stats.js";
import { checkWorkload, key } from "./check.js";
import { CFG, message, type BenchContext } from "./context.js";
import type { Impl, Workload } from "./types.js";

async function timeImpl(ctx: BenchContext, w: Workload, impl: Impl, samples: number[]): Promise<void> {
  const first = ctx.firstCall.get(key(w, impl)) ?? 0;
  const slow = first > CFG.slowCallMs;
  if (first > CFG.reuseCheckCallMs) return;
  if (slow && samples.reduce((a, b) => a + b, 0) >= (w.slowCapMs ?? CFG.slowCapMs)) return;
  await impl.before?.();
  const bench = new Bench({
    name: `${w.id} / ${impl.label}`,
    time: slow ? 0 : CFG.budgetMs,
    iterations: slow ? 1 : 2,
    warmup: !slow,
    warmupTime: Math.min(20, CFG.budgetMs / 4),
    warmupIterations: 2,
    retainSamples: true,
    throws: true,
    timestampProvider: "hrtimeNow",
  });
  bench.add(impl.label, impl.run, { async: impl.async ?? false });
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== "completed") throw new Error(`${impl.label}: ${result.state}`);
  samples.push(...(result.latency.samples ?? [result.latency.p50]));
}

/** Checks a workload, times what passed, appends its rows (timed and error rows) to ctx.rows. */
export async function runWorkload(ctx: BenchContext, w: Workload): Promise<void> {
  process.stdout.write(`  ${w.id} …`);
  const t0 = performance.now();
  let timed: Impl[];
  try {
    timed = await checkWorkload(ctx, w);
  } catch (e) {
    // The reference itself failed: every implementation becomes an error row.
    timed = [];
    for (const impl of w.impls) w.errors.push({ label: impl.label, kind: impl.kind, column: impl.column, error: `not timed: check failed: ${message(e)}` });
  }
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
      workload: w.id, kind: w.kind, impl: impl.label, implKind: impl.kind, column: impl.column ?? impl.label, ...sum,
      gflops: w.flops ? w.flops / (sum.medianMs * 1e6) : undefined,
      perSecond: w.perCall ? w.perCall / (sum.medianMs / 1000) : undefined,
      roundMedianMs: roundMedians.get(impl),
      note: [notes.get(impl), w.notes?.[impl.label]].filter(Boolean).join("; ") || undefined,
      timedBy: "tinybench (in process, interleaved)",
    });
  }
  for (const e of w.errors) {
    ctx.rows.push({ workload: w.id, kind: w.kind, impl: e.label, implKind: e.kind, column: e.column ?? e.label, ...summarize([]), error: e.error, timedBy: "tinybench (in process, interleaved)" });
  }
  for (const impl of w.impls) impl.dispose?.();
  w.dispose();
  process.stdout.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
