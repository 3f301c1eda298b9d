// The end of a run: the summary on the console, then bench/results/kernels.json (every row, check and
// note, the configuration and the method) and kernels.md (the three tables and the method).

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, type MachineInfo } from "../lib/stats.js";
import type { CeilingResult } from "./ceiling.js";
import { CFG, quick } from "./config.js";
import type { KernelContext } from "./context.js";
import { methodText } from "./method.js";
import { MLP_SIZES } from "./mlp-config.js";
import { gptTable, gptTitle, kernelTable, trainTable } from "./tables.js";
import type { TrainTarget } from "./target.js";

export interface RunSummary {
  machine: MachineInfo;
  /** 1-min load average at the end (machine has the one at the start): other processes skew timings. */
  loadAverage1mEnd: number;
  ceiling: CeilingResult;
  ceilingRows: CeilingResult[];
  target: TrainTarget;
  elapsedSeconds: number;
}

/** Prints the summary and writes kernels.json and kernels.md; returns the number of failed checks. */
export function writeReport(ctx: KernelContext, s: RunSummary): number {
  const { rows, checks, notes } = ctx;
  const { machine, loadAverage1mEnd, ceiling } = s;
  const main = kernelTable(rows);
  const train = trainTable(rows);
  const gpt = gptTable(rows);
  const failed = checks.filter((c) => !c.ok);

  console.log(`\n${main.text}\n`);
  console.log(`MLP ${MLP_SIZES.join("-")} training step (forward + loss + backward + update), one batch per call:\n${train.text}\n`);
  console.log(`${gptTitle}:\n${gpt.text}\n`);
  console.log(s.target.line);
  console.log(`SIMD ceiling: ${fmt(ceiling.gflops)} GFLOP/s (${ceiling.chains} independent f32x4 mul+add chains)`);
  console.log(`checks: ${checks.length - failed.length} passed, ${failed.length} failed (worst rel err per pair in kernels.json)`);
  for (const note of notes) console.log(`note: ${note}`);
  console.log(`total ${s.elapsedSeconds.toFixed(1)} s; 1-min load average ${machine.loadAverage1m} at start, ${loadAverage1mEnd} at end (${machine.cores} cores)`);

  const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "results");
  mkdirSync(outDir, { recursive: true });
  const { target, verdict, noisy } = s.target;
  const report = {
    mode: quick ? "quick" : "full",
    machine: { ...machine, loadAverage1mEnd },
    config: { ...CFG, timer: "tinybench hrtimeNow", statistic: "median of all samples over all rounds" },
    backends: { simd: ctx.simd.info(), scalar: ctx.scalar.info() },
    ceiling: { best: ceiling, all: s.ceilingRows },
    method: methodText(),
    trainTarget: target ? { workload: target.workload, vsJs: target.vsJs, vsJsPerRound: target.vsJsPerRound, vsJsMin: target.vsJsMin, verdict, noisy } : null,
    results: rows,
    checks,
    notes,
    elapsedSeconds: Math.round(s.elapsedSeconds * 10) / 10,
  };
  writeFileSync(join(outDir, "kernels.json"), JSON.stringify(report, null, 2) + "\n");
  const md = [
    `# simdnet benchmarks (${report.mode})`,
    "",
    `${machine.date} · ${machine.cpuModel}, ${machine.cores} cores (${machine.cpuFlags.join(", ")}) · Node ${machine.node}, V8 ${machine.v8} · load average ${machine.loadAverage1m} at start, ${loadAverage1mEnd} at end`,
    "",
    `SIMD ceiling (independent f32x4 mul+add chains, no FMA): **${fmt(ceiling.gflops)} GFLOP/s** with ${ceiling.chains} chains.`,
    "",
    main.markdown,
    "",
    `## MLP ${MLP_SIZES.join("-")} training step`,
    "",
    train.markdown,
    "",
    `${s.target.line}`,
    "",
    `## ${gptTitle}`,
    "",
    gpt.markdown,
    "",
    ...report.method.map((m) => `- ${m}`),
    ...notes.map((n) => `- Note: ${n}`),
    `- Output checks: ${checks.length - failed.length} passed, ${failed.length} failed.`,
    "",
  ].join("\n");
  writeFileSync(join(outDir, "kernels.md"), md);
  console.log(`wrote ${join(outDir, "kernels.json")} and kernels.md`);
  return failed.length;
}
