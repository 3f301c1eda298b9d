// The bench: one harness, two suites. The peer suite (default) — simdnet against its peers, side by
// side in one process (issue 4). Every workload — GEMM n = 64…1024
// and the MLP's layer-0 shapes, softmax 1024×1024, causal multi-head attention (T = 256, d = 256,
// 8 heads, projections included), the MLP training step at B = 32 and 128, and the default GPT's
// training step and generation with and without the KV cache — is run by simdnet's three builds
// (relaxed SIMD, SIMD, scalar), plain JS and the peers (tfjs-wasm, tfjs-cpu, onnxruntime-web,
// ml-matrix, onnxruntime-node with 1 and 2 threads when installed), interleaved with warm-up after an
// output check; numpy (1 and 2 BLAS threads), onnxruntime-web with 2 threads and PyTorch (1 and 2
// threads, training rows) run afterwards in child processes of their own, as separate columns.
// Bench-only peers (onnxruntime-node, PyTorch): npm run bench:install-peers.
// Writes bench/results/latest.json, latest.md and latest.svg. The kernel suite
// (--suite=kernels, `npm run bench:kernels`): the one-thread builds and plain JS only, on GEMM with
// every transpose, softmax, head-major attention forward and backward, the MLP step with its variants
// and parts, and the GPT rows. Writes bench/results/kernels.json, kernels.md and kernels.svg.
//
// Every implementation, simdnet's builds included, is checked against an independent float64
// reference before it is timed (harness/check.ts); a simdnet mismatch makes the run exit with code 1.
//
//   npm run bench                 full run (about 6 minutes on 2 cores)
//   npm run bench -- --quick      quick run (about 2 minutes)
//   npm run bench:kernels [-- --quick]
//   --only=TEXT    only the workloads whose id contains TEXT, any case (e.g. --only=GEMM, --only=GPT)
//   --peers=A,B    only these peers (e.g. --peers=tfjs-wasm,numpy; "none")
//                  (a filtered run prints its tables but writes nothing)
//
// Layout: harness/ (context: CLI, builds, peers; check; timing; machine: load, CPU time, ceilings;
// ratios: speedups and targets; method; report*: tables, Markdown, SVG, JSON), workloads/ (one module
// per workload), peers/ (one adapter per peer library), lib/ (plain-JS baselines, float64 references,
// stats, the ceiling), tools/ (one-off scripts: GEMM tuning, thread thresholds, GPT step profile).

import type { NumpyTask } from "./peers/numpy.js";
import { BenchContext, onlyPeers, onlyWorkload, quick, selected, suite } from "./harness/context.js";
import { BusyMonitor, measureCeilings } from "./harness/machine.js";
import { childColumns } from "./harness/numpy-column.js";
import { bestCeilings, computeRatios, issueTargets } from "./harness/ratios.js";
import { methodText } from "./harness/method.js";
import { writeReport } from "./harness/report.js";
import { runWorkload } from "./harness/timing.js";
import type { Workload } from "./harness/types.js";
import { fmt } from "./lib/stats.js";
import { attentionHeadsWorkload } from "./workloads/attention-heads.js";
import { attentionWorkload } from "./workloads/attention.js";
import { gemmId, gemmWorkload } from "./workloads/gemm.js";
import { gptGenerateWorkload } from "./workloads/gpt-generate.js";
import { gptTrainWorkload } from "./workloads/gpt-train.js";
import { mlpStepWorkload } from "./workloads/mlp-step.js";
import { mlpTrainWorkload } from "./workloads/mlp-train.js";
import { softmaxWorkload } from "./workloads/softmax.js";

const started = performance.now();
const monitor = new BusyMonitor();
const m = monitor.machine;
await monitor.measureOthers();
console.log(`simdnet bench, ${suite} suite (${quick ? "quick" : "full"}): ${m.cpuModel}, ${m.cores} cores [${m.cpuFlags.join(" ")}], node ${m.node}, V8 ${m.v8}, load ${m.loadAverage1m}, other processes ${monitor.othersAtStart!.toFixed(2)} cores`);
const ctx = await BenchContext.create();
for (const [name, setup] of Object.entries(ctx.setups)) console.log(`  ${name}: ${setup}`);

const relaxed = ctx.best.kind === "relaxed";
const ceilingStart = await measureCeilings(relaxed);
console.log(`  Wasm ceiling: mul+add ${fmt(ceilingStart.mulAdd.gflops)} GFLOP/s${ceilingStart.fma ? `, relaxed_madd ${fmt(ceilingStart.fma.gflops)} GFLOP/s` : ""}`);

type Make = () => Promise<Workload> | Workload;
const squareGemms = [64, 128, 256, 512, 1024].map((n): [string, Make] => [gemmId(n, n, n), () => gemmWorkload(ctx, n, n, n)]);
const gpt: [string, Make][] = [
  ["GPT train step 32×64 tokens", () => gptTrainWorkload(ctx)],
  ["GPT generate 64 tokens, KV cache", () => gptGenerateWorkload(ctx, true)],
  ["GPT generate 64 tokens, no cache", () => gptGenerateWorkload(ctx, false)],
];
const transposes = [[false, false], [true, false], [false, true], [true, true]] as const;
const schedule: [string, Make][] = suite === "kernels"
  ? [
      ...squareGemms,
      ...[32, 128].flatMap((b) => transposes.map(([ta, tb]): [string, Make] => [gemmId(b, 784, 128, ta, tb), () => gemmWorkload(ctx, b, 784, 128, ta, tb)])),
      ["softmax 1024×1024", () => softmaxWorkload(ctx, 1024, 1024)],
      ...(["forward", "backward", "forward+backward"] as const).map((pass): [string, Make] => [`attention ${pass} causal h=8 T=256 d=32`, () => attentionHeadsWorkload(ctx, pass, 8, 256, 32)]),
      ...[32, 128].map((b): [string, Make] => [`MLP step B=${b}`, () => mlpStepWorkload(ctx, b)]),
      ...gpt,
    ]
  : [
      ...squareGemms,
      ...[32, 128].map((b): [string, Make] => [gemmId(b, 784, 128), () => gemmWorkload(ctx, b, 784, 128)]),
      ["softmax 1024×1024", () => softmaxWorkload(ctx, 1024, 1024)],
      ["causal MHA T=256 d=256 h=8", () => attentionWorkload(ctx, 256, 256, 8)],
      ...[32, 128].map((b): [string, Make] => [`MLP train B=${b}`, () => mlpTrainWorkload(ctx, b)]),
      ...gpt,
    ];
const workloadIds: string[] = [];
const numpyTasks: NumpyTask[] = [];
for (const [id, make] of schedule) {
  if (!selected(id)) continue;
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
if (suite === "peers") childColumns(ctx, numpyTasks);

const used = bestCeilings(ceilingStart, ceilingEnd);
computeRatios(ctx, used);
const targets = issueTargets(ctx, suite);
const failed = ctx.checks.filter((c) => !c.ok).length;
const filtered = Boolean(onlyWorkload || onlyPeers);
writeReport({
  ctx,
  suite,
  mode: quick ? "quick" : "full",
  command: `npm run bench${suite === "kernels" ? ":kernels" : ""}${quick ? " -- --quick" : ""}`,
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
  simdnetFailures: ctx.simdnetFailures,
  elapsedSeconds: (performance.now() - started) / 1000,
}, workloadIds, !filtered);
if (ctx.simdnetFailures.length) {
  console.error(`\nFAILED: simdnet disagrees with the float64 reference (or could not be checked) in ${ctx.simdnetFailures.length} check(s):`);
  for (const f of ctx.simdnetFailures) console.error(`  ${f}`);
}
// tfjs and onnxruntime keep handles open; the run is over.
process.exit(ctx.simdnetFailures.length ? 1 : 0);
