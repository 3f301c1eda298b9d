// The run's record: bench/results/latest.json (everything: machine, load, ceilings, setups, method,
// targets, rows with per-round medians, checks), latest.md and latest.svg, and the console summary.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { MachineInfo } from "../lib/stats.js";
import { CFG, quick, type BenchContext } from "./context.js";
import type { BusyMonitor, Ceilings } from "./machine.js";
import type { Target } from "./ratios.js";
import { markdown, summaryLegend, tables } from "./report-md.js";
import { ratiosSvg } from "./report-svg.js";

export interface Report {
  ctx: BenchContext;
  mode: "quick" | "full";
  command: string;
  machine: MachineInfo;
  load: { at: string; load1m: number }[];
  busy: ReturnType<BusyMonitor["verdict"]>;
  ceiling: { start: Ceilings; end: Ceilings; used: Ceilings };
  setups: Record<string, string>;
  method: string[];
  notes: string[];
  targets: Target[];
  checksPassed: number;
  checksFailed: number;
  elapsedSeconds: number;
}

export function methodText(ctx: BenchContext): string[] {
  return [
    `One Node process (\`node --experimental-wasm-relaxed-simd --no-liftoff\`: Node 20 accepts the relaxed-SIMD build, and every Wasm module — simdnet's and the peers' — is compiled straight to optimized code, so no sample comes from V8's baseline tier): simdnet's three builds — relaxed SIMD (${"`build/simdnet.relaxed.wasm`"}, f32x4.relaxed_madd), SIMD (\`build/simdnet.wasm\`, mul + add) and scalar — as three backends, plain JS and the in-process peers run each workload interleaved: rounds rotate the order; each turn is a tinybench task with warm-up and a ${CFG.budgetMs} ms budget; ${CFG.rounds} rounds; medians and min–max over all samples of all rounds.`,
    `simdnet best = ${ctx.best.label}: the reference of every check and of every "× best" ratio and target verdict. "× SIMD" is the same ratio against the plain SIMD build.`,
    `Calls slower than ${CFG.slowCallMs} ms get no warm-up and one sample per round until ${CFG.slowCapMs} ms of samples (GPT rows: 20 s training, 10 s generation in full mode)${quick ? `; in quick mode a call over ${CFG.reuseCheckCallMs} ms is not repeated: its timed check call is its one sample (the row says so)` : ""}. At GEMM n = 1024 an implementation whose n = 512 median predicts more than ${CFG.maxPredictedMs} ms per call is skipped (its row says so).`,
    "Checks before timing: every implementation runs on the same inputs and its output must satisfy |x − y| ≤ tol · max(|y|, 0.01 · max|y|) against simdnet best's (tol 1e-4; MLP training compares the first step's loss and all updated parameters from the same initial weights). A mismatch is an error row, never a timing.",
    "GPT training step (the default `simdnet train-gpt` model: vocab 62, context 64, d 128, 4 heads, 2 layers, sinusoidal positions, tied embeddings; batch 32 × 64 tokens; AdamW lr 3e-3 with warm-up, β 0.9/0.95, weight decay 0.1, clip 1): simdnet `GptTrainer.trainStep()`; plain JS bench/lib/plain-gpt.ts; tfjs bench/peers/tfjs-gpt.ts (the same model from tf ops, tf.variableGrads, the same clip + AdamW math as tf ops), all from simdnet's seed-0 weights. Checked on the first batch: loss (1e-4) and all gradient tensors (1e-3) against simdnet best; then the optimizer: from the initial weights and simdnet best's gradients, the parameters after one clip + AdamW step (1e-5). GFLOP/s counts the step's matrix products (3 × 2 × 401 k multiply-adds per token).",
    "GPT generation: greedy, 8-token prompt + 64 new tokens (the window slides once at 64); with the KV cache (simdnet generate; tfjs with K, V per layer extended by tf.concat) and without (the forward over the window for every token; plain JS only here). Checked: the very same token ids as simdnet best.",
    "simdnet ops write into preallocated tensors (`out`), so a simdnet call allocates nothing; tfjs, onnxruntime-web and ml-matrix allocate their outputs per call (their APIs do), which is part of what they cost.",
    "Attention: x [T, d] → Q, K, V projections → heads → causal softmax(QKᵀ/√dh)·V → concat → W_o, no biases. simdnet: fused W_qkv GEMM, qkvAttention (all heads in one call, reading Q, K, V in place, writing merged rows), W_o; peers: three projection MatMuls, batched MatMuls, an additive −1e9 mask and Softmax; numpy the same with @. GFLOP/s counts the 4 projections and the visible half of QKᵀ and P·V.",
    "MLP training: one call = forward + MSE + backward + SGD (lr 0.01) of 784-128-64-10 (ReLU, linear output) on one batch; simdnet `net.trainBatch`, plain JS bench/lib/plain-mlp.ts, tfjs ops + tf.train.sgd().minimize, numpy by hand; all from simdnet's initial weights.",
    "Child-process columns (numpy with 1 and 2 BLAS threads, onnxruntime-web with 2 threads, PyTorch with 1 and 2 threads) run after the Node workloads, each in its own process on the same input bytes, timed by its own clock with the in-process rows' sampling rule (single calls; see the notes), checked like the others (PyTorch's GPT step as the in-process GPT peers: loss, gradients, parameters after one step from simdnet best's gradients): separate columns, not interleaved.",
    "× best = this median / simdnet best's median (below 1: simdnet best is slower). \"per round\" = the median over rounds of the same ratio within each round. A target is met when both estimates reach it, not met when both miss it, borderline otherwise.",
    "Busy machine: before anything runs, the per-CPU time counters over 0.5 s give how many cores other processes are using (busy above 0.25); the 1-min load average is sampled at the start, after every workload and at the end; this process's CPU time over wall time shows preemption; the Wasm ceiling is measured at the start and at the end.",
  ];
}

export function writeReport(report: Report, workloadIds: string[], write: boolean): void {
  const t = tables(report.ctx, workloadIds, report.targets);
  console.log(`\n${t.detail.text}\n`);
  console.log(`Summary. ${summaryLegend(report.ctx).replace(/\*\*/g, "")}\n${t.summary.text}\n`);
  console.log(`Issue-4 targets (judged on ${report.ctx.best.label}):\n${t.target.text}\n`);
  for (const n of report.notes) console.log(`note: ${n}`);
  console.log(`checks: ${report.checksPassed} passed, ${report.checksFailed} failed`);
  console.log(`machine ${report.busy.busy ? `BUSY: ${report.busy.reasons.join("; ")}` : "quiet"}; load ${report.load.map((l) => l.load1m).join(" → ")}; total ${report.elapsedSeconds.toFixed(1)} s`);
  if (!write) {
    console.log("filtered run (--only / --peers): bench/results/latest.* not written");
    return;
  }
  const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "results");
  mkdirSync(outDir, { recursive: true });
  const { ctx, ...rest } = report;
  const json = {
    ...rest,
    bestBuild: ctx.best.label,
    backends: Object.fromEntries(ctx.liveBuilds.map((b) => [b.backend.info().threads > 1 ? b.label : b.kind, b.backend.info()])),
    config: { ...CFG, timer: "tinybench hrtimeNow (child processes: time.perf_counter / performance.now)" },
    results: ctx.rows,
    checks: ctx.checks,
  };
  writeFileSync(join(outDir, "latest.json"), JSON.stringify(json, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n");
  writeFileSync(join(outDir, "latest.md"), markdown(report, t));
  writeFileSync(join(outDir, "latest.svg"), ratiosSvg(report, workloadIds));
  console.log(`wrote ${join(outDir, "latest.json")}, latest.md and latest.svg`);
}
