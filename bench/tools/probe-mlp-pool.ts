// Probe: an MLP training step (784-128-64-10, B = 128) on 1 thread, and on 2 threads with the GEMM split
// before this change (C cut by rows or by columns, 2 parts per thread) and with gemmGrid, interleaved.
// The caller's join polls only ~4000 times (as before) or 0.2 ms (CALLER_SPIN_MS, the default).
// Prints the pool's counters (jobs and caller sleeps per step) and, for one step, each parallel job's
// wall time and per-thread busy time (pool.timing). Run with --conditions=source so workers time calls:
// node --conditions=source --experimental-wasm-relaxed-simd --no-liftoff --import tsx bench/tools/probe-mlp-pool.ts [B] [rounds]
import * as sd from "../../src/index.js";
import { offsetCall, splitAligned, type Stride } from "../../src/runtime/pool/partition.js";
import { PLANS, type KernelPlan } from "../../src/runtime/pool/plans.js";
import { trainBatchData, MLP_SIZES } from "../workloads/mlp-train.js";

const batch = Number(process.argv[2] ?? 128);
const rounds = Number(process.argv[3] ?? 15);
const { x, y } = trainBatchData(batch, 628);
const one = await sd.createBackend({ threads: 1, build: "relaxed" });
const be = await sd.createBackend({ threads: 2, build: "relaxed" });
const pool = be.workerPool!;
const nets = new Map<sd.Backend, [sd.NeuralNetwork, sd.Tensor, sd.Tensor]>();
for (const b of [one, be]) {
  sd.setBackend(b);
  nets.set(b, [new sd.NeuralNetwork([...MLP_SIZES], { seed: 1, loss: "mse", optimizer: "sgd", outputActivation: "linear" }), sd.tensor(x, [batch, 784]), sd.tensor(y, [batch, 10])]);
}
const step = (b: sd.Backend) => { sd.setBackend(b); const [n, xb, yb] = nets.get(b)!; n.trainBatch(xb, yb, 0.01); };

// The split before gemmGrid (argument positions of gemm_f32 / gemm_bias_act_f32).
type Pos = { a: number; lda: number; b: number; ldb: number; c: number; ldc: number; bias?: number; pre?: number };
const oldSplit = (p: Pos): KernelPlan["split"] => (a, threads, raw) => {
  const at = (i: number) => (v: readonly number[]) => v[i]!;
  const [tA, tB, m, n, k] = a as number[];
  if (m! < 2 || n! < 2 || k! < 1) return undefined;
  const byRows = Math.ceil(m! / 4) >= Math.ceil(n! / 8);
  const ranges = byRows ? splitAligned(m!, threads * 2, 4, 2) : splitAligned(n!, threads * 2, 8, 2);
  if (ranges.length < 2) return undefined;
  const ptrs: Stride[] = byRows ? [{ arg: p.a, per: tA ? 1 : at(p.lda) }, { arg: p.c, per: at(p.ldc) }] : [{ arg: p.b, per: tB ? at(p.ldb) : 1 }, { arg: p.c, per: 1 }];
  if (!byRows && p.bias !== undefined) ptrs.push({ arg: p.bias, per: 1 });
  if (p.pre !== undefined) ptrs.push({ arg: p.pre, per: byRows ? at(p.ldc) : 1 });
  return { calls: ranges.map(([s, e]) => offsetCall(a, byRows ? 2 : 3, s, e, ptrs)), scratch: { arg: 13, bytes: raw.gemm_scratch_bytes() } };
};
const plans = { f: PLANS.gemm_f32!, b: PLANS.gemm_bias_act_f32! };
const newSplits = { f: plans.f.split, b: plans.b.split };
const oldSplits = { f: oldSplit({ a: 6, lda: 7, b: 8, ldb: 9, c: 11, ldc: 12 }), b: oldSplit({ a: 5, lda: 6, b: 7, ldb: 8, bias: 9, c: 11, ldc: 12, pre: 14 }) };
const use = (s: typeof newSplits) => { plans.f.split = s.f; plans.b.split = s.b; };

const variants: [string, () => void][] = [
  ["1 thread", () => step(one)],
  ["2 threads, old split, polls only", () => { use(oldSplits); pool.callerSpinMs = 0; step(be); }],
  ["2 threads, gemmGrid, polls only", () => { use(newSplits); pool.callerSpinMs = 0; step(be); }],
  ["2 threads, gemmGrid, caller spins 0.2 ms", () => { use(newSplits); pool.callerSpinMs = 0.2; step(be); }], // the default
];
const ms = variants.map(() => [] as number[]);
const sleeps = variants.map(() => 0), jobs = variants.map(() => 0);
const steps = 40;
for (let r = 0; r <= rounds; r++) {
  for (const i of r % 2 ? [0, 1, 2, 3] : [3, 2, 1, 0]) {
    const [s0, j0] = [pool.joinSleeps, pool.jobs];
    const t0 = performance.now();
    for (let k = 0; k < steps; k++) variants[i]![1]();
    if (r === 0) continue;
    ms[i]!.push(((performance.now() - t0) / steps) * 1000);
    sleeps[i]! += pool.joinSleeps - s0; jobs[i]! += pool.jobs - j0;
  }
}
const q = (v: number[], f: number) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) * f)]!;
const base = q(ms[0]!, 0.5), baseLo = Math.min(...ms[0]!);
variants.forEach(([name], i) => {
  const n = rounds * steps, med = q(ms[i]!, 0.5), lo = Math.min(...ms[i]!);
  console.log(`${name.padEnd(28)} median ${med.toFixed(0)} µs (${(base / med).toFixed(2)}×)  min ${lo.toFixed(0)} µs (${(baseLo / lo).toFixed(2)}×)  jobs/step ${(jobs[i]! / n).toFixed(1)}  caller slept ${(sleeps[i]! / n).toFixed(2)}/step`);
});
pool.timing = true;
const orig = pool.run.bind(pool);
(pool as unknown as { run: typeof pool.run }).run = (name, fn, calls, sa, sc) => {
  const t0 = performance.now();
  const r = orig(name, fn, calls, sa, sc);
  const wall = performance.now() - t0;
  const per = [0, 0];
  for (const c of pool.callTimes()) per[c.thread]! += c.ms;
  console.log(`  ${name} (${calls[0]!.slice(0, 5).join(",")} …): ${calls.length} calls, wall ${(wall * 1000).toFixed(0)} µs, busy: caller ${(per[0]! * 1000).toFixed(0)}, worker ${(per[1]! * 1000).toFixed(0)} µs`);
  return r;
};
for (const [label, s] of [["old split", oldSplits], ["gemmGrid", newSplits]] as const) {
  console.log(label);
  use(s);
  pool.callerSpinMs = 0;
  step(be);
}
be.dispose();
one.dispose();
