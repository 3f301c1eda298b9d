// simdnet kernel benchmarks: the SIMD build, the scalar build (two backends side by side in this
// process, alternated workload by workload and round by round) and plain JavaScript (bench/lib/plain.ts),
// on GEMM, the MLP's matmul shapes with every transpose, softmax, causal attention forward and backward
// (bench/lib/plain-attention-backward.ts), the training step of a 784-128-64-10 MLP
// (bench/lib/plain-mlp.ts for plain JS), the GPT training step and generation with and without the KV
// cache on the default `simdnet train-gpt` model (bench/lib/plain-gpt.ts for plain JS), plus the Wasm
// SIMD throughput ceiling (bench/lib/ceiling.ts) that GEMM is measured against.
//
// Kernel-level rows kept beside the peer comparison (bench/main.ts, `npm run bench`): the MLP shapes
// with every transpose, attention backward, the MLP step's GEMMs and the rest alone, and the GPT rows
// against plain JS that docs/PERFORMANCE.md cites.
//
//   npm run bench:kernels               full run (6 interleaved rounds per workload, 12 for training; about 5 min)
//   npm run bench:kernels -- --quick    short run (under 2 min): 2 rounds (4 for training), plain-JS GEMM up to
//                               n = 512, one timed plain-JS call for the GPT workloads
//   npm run bench:kernels -- --only=RE  only the workloads whose id matches RE (and the ceiling); for development
//
// Where a GPT training step's time goes: `npx tsx bench/tools/profile-gpt-step.ts [--scalar]`.
//
// Before anything is timed, every implementation's output is checked against the others (and against
// a float64 reference where that is cheap) on the same inputs; a training step is checked against the
// plain-JS step from the same initial weights (loss, gradients, updated parameters). Inputs and
// outputs are allocated once, outside the timed functions: simdnet ops write into preallocated
// tensors through their `out` option, so a timed call allocates nothing. Writes
// bench/results/kernels.json and kernels.md.
//
// Layout of bench/kernels/: config (command line, rounds and budgets), context (backends, rows,
// checks, notes), types, check and timing (check, then interleaved timing of one workload), ceiling,
// gemm, attention (softmax and attention), mlp-config / mlp-step / mlp-parts (the training step, its
// GEMMs alone and the rest alone), gpt-train, gpt-generate, ratios, tables, target (the 40× verdict),
// method and report (console summary, kernels.json, kernels.md).

import os from "node:os";
import { machineInfo } from "../lib/stats.js";
import { attentionBackwardWorkload, attentionWorkload, softmaxWorkload } from "./attention.js";
import { runCeiling } from "./ceiling.js";
import { quick } from "./config.js";
import { KernelContext } from "./context.js";
import { runMlpShapes, runSquareGemms } from "./gemm.js";
import { gptGenerateWorkload } from "./gpt-generate.js";
import { gptTrainWorkload } from "./gpt-train.js";
import { trainWorkload } from "./mlp-step.js";
import { computeRatios } from "./ratios.js";
import { writeReport } from "./report.js";
import { trainTarget } from "./target.js";
import { runWorkload } from "./timing.js";

const ctx = await KernelContext.create();

const started = performance.now();
const machine = machineInfo();
console.log(`simdnet bench (${quick ? "quick" : "full"}): ${machine.cpuModel}, ${machine.cores} cores [${machine.cpuFlags.join(" ")}], node ${machine.node}, V8 ${machine.v8}, load ${machine.loadAverage1m}`);
console.log(`  backends: simd = ${ctx.simd.info().reason}; scalar = ${ctx.scalar.info().reason}`);

// The ceiling first: the GEMM rows report their share of it.
const { ceiling, ceilingRows } = await runCeiling(ctx);
// In this order: plain-JS GEMM at n = 1024 runs only if the n = 512 row predicts a bearable call.
await runSquareGemms(ctx);
await runMlpShapes(ctx);
await runWorkload(ctx, softmaxWorkload(ctx, 1024, 1024));
await runWorkload(ctx, attentionWorkload(ctx, 8, 256, 32));
await runWorkload(ctx, attentionBackwardWorkload(ctx, 8, 256, 32, false));
await runWorkload(ctx, attentionBackwardWorkload(ctx, 8, 256, 32, true));
for (const batch of [32, 128]) await runWorkload(ctx, trainWorkload(ctx, batch));
await runWorkload(ctx, gptTrainWorkload(ctx));
await runWorkload(ctx, gptGenerateWorkload(ctx, 64));

computeRatios(ctx.rows, ceiling);
// Other processes on the machine skew timings: record the load at the end as well as at the start.
const loadAverage1mEnd = Math.round(os.loadavg()[0]! * 100) / 100;
const failed = writeReport(ctx, {
  machine, loadAverage1mEnd, ceiling, ceilingRows,
  target: trainTarget(ctx.rows, machine, loadAverage1mEnd),
  elapsedSeconds: (performance.now() - started) / 1000,
});
process.exit(failed === 0 ? 0 : 1);
