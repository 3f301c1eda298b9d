// simdnet against its peers, side by side in one process (issue 4). Every workload — GEMM n = 64…1024
// and the MLP's layer-0 shapes, softmax 1024×1024, causal multi-head attention (T = 256, d = 256,
// 8 heads, projections included), the MLP training step at B = 32 and 128, and the default GPT's
// training step and generation with and without the KV cache — is run by simdnet's three builds
// (relaxed SIMD, SIMD, scalar), plain JS and the peers (tfjs-wasm, tfjs-cpu, onnxruntime-web,
// ml-matrix, onnxruntime-node with 1 and 2 threads when installed), interleaved with warm-up after an
// output check; numpy (1 and 2 BLAS threads), onnxruntime-web with 2 threads and PyTorch (1 and 2
// threads, training rows) run afterwards in child processes of their own, as separate columns.
// Bench-only peers (onnxruntime-node, PyTorch): npm run bench:install-peers.
// Writes bench/results/latest.json, latest.md and latest.svg.
//
//   npm run bench                 full run (about 6 minutes on 2 cores)
//   npm run bench -- --quick      quick run (under 2 minutes)
//   --only=TEXT    only the workloads whose id contains TEXT (e.g. --only=GEMM, --only=GPT)
//   --peers=A,B    only these peers (e.g. --peers=tfjs-wasm,numpy; "none")
//                  (a filtered run prints its tables but writes nothing)
//
// Layout: harness/ (context: CLI, builds, peers; check; timing; machine: load, CPU time, ceilings;
// ratios: speedups and targets; report*: tables, Markdown, SVG, JSON), workloads/ (one module per
// workload), peers/ (one adapter per peer library), lib/ (plain-JS references, stats, the ceiling).
// Kernel-level rows (transposes, attention backward, the MLP step's parts): `npm run bench:kernels`.

import type { NumpyTask } from "./peers/numpy.js";
import { BenchContext, onlyPeers, onlyWorkload, quick } from "./harness/context.js";
import { BusyMonitor, measureCeilings } from "./harness/machine.js";
import { childColumns } from "./harness/numpy-column.js";
import { bestCeilings, computeRatios, issueTargets } from "./harness/ratios.js";
import { methodText, writeReport } from "./harness/report.js";
import { runWorkload } from "./harness/timing.js";
import type { Workload } from "./harness/types.js";
import { fmt } from "./lib/stats.js";
import { attentionWorkload } from "./workloads/attention.js";
import { gemmId, gemmWorkload } from "./workloads/gemm.js";
import { gptGenerateWorkload } from "./workloads/gpt-generate.js";
import { gptTrainWorkload } from "./workloads/gpt-train.js";
import { mlpTrainWorkload } from "./workloads/mlp-train.js";
import { softmaxWorkload } from "./workloads/softmax.js";

const started = performance.now();
const monitor = new BusyMonitor();
const m = monitor.machine;
await monitor.measureOthers();
console.log(`simdnet bench (${quick ? "quick" : "full"}): ${m.cpuModel}, ${m.cores} cores [${m.cpuFlags.join(" ")}], node ${m.node}, V8 ${m.v8}, load ${m.loadAverage1m}, other processes ${monitor.othersAtStart!.toFixed(2)} cores`);
const ctx = await BenchContext.create();
for (const [name, setup] of Object.entries(ctx.setups)) console.log(`  ${name}: ${setup}`);

const relaxed = ctx.best.kind === "relaxed";
const ceilingStart = await measureCeilings(relaxed);
console.log(`  Wasm ceiling: mul+add ${fmt(ceilingStart.mulAdd.gflops)} GFLOP/s${ceilingStart.fma ? `, relaxed_madd ${fmt(ceilingStart.fma.gflops)} GFLOP/s` : ""}`);

type Make = () => Promise<Workload>;
const schedule: [string, Make][] = [
  ...[64, 128, 256, 512, 1024].map((n): [string, Make] => [gemmId(n, n, n), () => gemmWorkload(ctx, n, n, n)]),
  ...[32, 128].map((b): [string, Make] => [gemmId(b, 784, 128), () => gemmWorkload(ctx, b, 784, 128)]),
  ["softmax 1024×1024", () => softmaxWorkload(ctx, 1024, 1024)],
  ["causal MHA T=256 d=256 h=8", () => attentionWorkload(ctx, 256, 256, 8)],
  ...[32, 128].map((b): [string, Make] => [`MLP train B=${b}`, () => mlpTrainWorkload(ctx, b)]),
  ["GPT train step 32×64 tokens", () => gptTrainWorkload(ctx)],
  ["GPT generate 64 tokens, KV cache", () => gptGenerateWorkload(ctx, true)],
  ["GPT generate 64 tokens, no cache", () => gptGenerateWorkload(ctx, false)],
];
const workloadIds: string[] = [];
const numpyTasks: NumpyTask[] = [];
for (const [id, make] of schedule) {
  if (onlyWorkload && !id.includes(onlyWorkload)) continue;
  const w = await make();
  workloadIds.push(w.id);
  if (w.numpy) numpyTasks.push(w.numpy);
  await runWorkload(ctx, w);
  monitor.sample(w.id);
}

// The ceiling again at the end (load changes over a run), before numpy's child process.
const ceilingEnd = await measureCeilings(relaxed);
monitor.stopCpuClock();
monitor.sample("end of the Node workloads");
childColumns(ctx, numpyTasks);

const used = bestCeilings(ceilingStart, ceilingEnd);
computeRatios(ctx, used);
const targets = issueTargets(ctx);
const failed = ctx.checks.filter((c) => !c.ok).length;
const filtered = Boolean(onlyWorkload || onlyPeers);
writeReport({
  ctx,
  mode: quick ? "quick" : "full",
  command: `npm run bench${quick ? " -- --quick" : ""}`,
  machine: m,
  load: monitor.loadSamples,
  busy: monitor.verdict(ceilingStart, ceilingEnd),
  ceiling: { start: ceilingStart, end: ceilingEnd, used },
  setups: ctx.setups,
  method: methodText(ctx),
  notes: ctx.notes,
  targets,
  checksPassed: ctx.checks.length - failed,
  checksFailed: failed,
  elapsedSeconds: (performance.now() - started) / 1000,
}, workloadIds, !filtered);
// tfjs and onnxruntime keep handles open; the run is over.
process.exit(0);
