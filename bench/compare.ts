// simdnet against its peers, side by side in one process (issue 4): GEMM n = 64…1024, softmax
// 1024×1024, causal multi-head attention (T = 256, d = 256, 8 heads, projections included) and the
// training step of a 784-128-64-10 ReLU MLP (MSE, SGD) at batch 32 and 128, each run by
//   simdnet SIMD, simdnet scalar (two backends in this process), plain JS (bench/lib), and the peers:
//   tfjs-wasm and tfjs-cpu, onnxruntime-web (Wasm EP), ml-matrix (GEMM) — bench/peers/*.ts —
// interleaved round by round with warm-up, plus numpy (float32, one BLAS thread) in a child python3
// process timed by its own clock, reported as a separate column.
//
//   npx tsx bench/compare.ts            full run (6 rounds per workload, a few minutes)
//   npx tsx bench/compare.ts --quick    short run (4 rounds, about a minute)
//   --only=TEXT    only the workloads whose name contains TEXT (e.g. --only=GEMM, --only=train)
//   --peers=A,B    only these peers (names as in the table, e.g. --peers=tfjs-wasm,numpy; "none")
//                  (a filtered run prints its tables but does not write bench/results/compare.*)
//
// Before timing, every implementation runs once on the same inputs and its output is checked against
// simdnet SIMD's (|x − y| ≤ tol · max(|y|, 0.01 · max|y|)); a mismatch makes that row an error,
// not a timing. A peer that is missing or fails to load, or cannot run a workload, gets a row saying
// so, with its error. Writes bench/results/compare.json, compare.md and compare.svg.

import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Bench } from "tinybench";
import * as sd from "../src/index.js";
import { loadCeiling } from "./lib/ceiling.js";
import { attentionJS, matmulJS, maxRelError, softmaxJS } from "./lib/plain.js";
import { PlainMLP } from "./lib/plain-mlp.js";
import { fmt, machineInfo, renderTable, summarize, type Summary } from "./lib/stats.js";
import { runNumpy, type NumpyTask } from "./peers/numpy.js";
import type { Peer, WorkloadKind } from "./peers/types.js";

const quick = process.argv.includes("--quick");
const argValue = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const onlyWorkload = argValue("only");
const onlyPeers = argValue("peers")?.split(",");
const CFG = quick
  ? { rounds: 4, budgetMs: 70, slowCallMs: 250, slowCapMs: 1200, maxPredictedMs: 1500, numpyBudgetS: 0.25, numpyMinSamples: 3 }
  : { rounds: 6, budgetMs: 150, slowCallMs: 500, slowCapMs: 4000, maxPredictedMs: 6000, numpyBudgetS: 1, numpyMinSamples: 5 };

type ImplKind = "simd" | "scalar" | "js" | "peer" | "numpy";
interface Impl {
  label: string;
  kind: ImplKind;
  run: () => void | Promise<void>;
  async?: boolean;
  result?: () => Float32Array | Promise<Float32Array>;
  before?: () => Promise<void>;
  dispose?: () => void;
}
interface Workload {
  id: string;
  kind: WorkloadKind;
  /** GFLOP/s numerator (GEMM: 2n³). */
  flops?: number;
  /** Training: samples per call. */
  batch?: number;
  tol: number;
  impls: Impl[];
  /** Rows that are not timed: peer errors, unsupported workloads, skips. */
  errors: { label: string; kind: ImplKind; error: string }[];
  numpy?: NumpyTask;
  dispose: () => void;
}
interface Row extends Summary {
  workload: string;
  kind: WorkloadKind;
  impl: string;
  implKind: ImplKind;
  gflops?: number;
  samplesPerSec?: number;
  /** This median / simdnet SIMD's median: how many times faster simdnet SIMD is. */
  simdSpeedup?: number;
  /** GEMM rows: GFLOP/s as a percentage of the Wasm SIMD ceiling measured in this run. */
  pctOfCeiling?: number;
  /** The median of each round's samples (in-process rows). */
  roundMedianMs?: number[];
  /** Median over rounds of (this round median / simdnet SIMD's round median): pairs the two in time. */
  simdSpeedupPerRound?: number;
  error?: string;
  timedBy: "tinybench (in process, interleaved)" | "numpy_bench.py time.perf_counter (own process)";
}
interface Check {
  workload: string;
  impl: string;
  against: string;
  maxRelErr: number;
  tol: number;
  ok: boolean;
}

const rows: Row[] = [];
const checks: Check[] = [];
const notes: string[] = [];
/** simdnet SIMD outputs of the check phase, the reference of every check (numpy's included). */
const simdOutputs = new Map<string, Float32Array>();

// ---------------------------------------------------------------- simdnet backends and peers

const simd = await sd.createBackend({ simd: true });
const scalar = await sd.createBackend({ simd: false });
const backends = [
  { kind: "simd" as const, label: "simdnet SIMD", backend: simd },
  { kind: "scalar" as const, label: "simdnet scalar", backend: scalar },
];

const PEER_NAMES = ["tfjs-wasm", "tfjs-cpu", "onnxruntime-web", "ort-web Attention op", "ml-matrix"] as const;
const peers: Peer[] = [];
const peerErrors = new Map<string, string>();
const peerSetups: Record<string, string> = {};
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 300);
for (const name of PEER_NAMES) {
  if (onlyPeers && !onlyPeers.includes(name)) {
    peerErrors.set(name, "not run: left out by --peers");
    peerSetups[name] = "left out by --peers";
    continue;
  }
  try {
    // Dynamic imports: a peer whose package is missing fails here, alone, with its error.
    let p: Peer;
    if (name === "tfjs-wasm") p = await (await import("./peers/tfjs.js")).tfjsPeer("wasm");
    else if (name === "tfjs-cpu") p = await (await import("./peers/tfjs.js")).tfjsPeer("cpu");
    else if (name === "onnxruntime-web") p = await (await import("./peers/onnxruntime.js")).onnxruntimePeer();
    else if (name === "ort-web Attention op") p = await (await import("./peers/onnxruntime.js")).onnxruntimeFusedAttentionPeer();
    else p = await (await import("./peers/ml-matrix.js")).mlMatrixPeer();
    peers.push(p);
    peerSetups[name] = p.setup;
  } catch (e) {
    peerErrors.set(name, `peer failed to load: ${message(e)}`);
    peerSetups[name] = `FAILED: ${message(e)}`;
  }
}

function gemmId(m: number, k: number, n: number): string {
  return m === k && k === n ? `GEMM n=${n}` : `GEMM ${m}×${k}·${k}×${n}`;
}

/**
 * The Wasm SIMD throughput ceiling (bench/lib/ceiling.ts: independent f32x4 mul+add chains, no
 * loads): the best chain count's median GFLOP/s over 30 calls of about 2 ms each.
 */
async function measureCeiling(): Promise<{ chains: number; gflops: number }> {
  let best = { chains: 0, gflops: 0 };
  let sink = 0;
  for (const chains of [10, 12, 13]) {
    const c = await loadCeiling(chains);
    let iters = 1e5;
    const t0 = performance.now();
    sink += c.run(iters);
    iters = Math.max(1000, Math.round((iters * 2) / Math.max(performance.now() - t0, 0.01)));
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      sink += c.run(iters);
      times.push(performance.now() - t);
    }
    const gflops = c.flopsPerCall(iters) / (summarize(times).medianMs * 1e6);
    if (gflops > best.gflops) best = { chains, gflops };
  }
  if (!Number.isFinite(sink)) notes.push("ceiling: the chains overflowed");
  return best;
}

function randnData(shape: number[], seed: number, scale = 1): Float32Array {
  sd.setBackend(simd);
  const t = sd.randn(shape, { seed });
  const data = t.toFloat32Array();
  t.dispose();
  return scale === 1 ? data : data.map((v) => v * scale);
}

/** The peers' impls for one workload (or their error rows). `make` returns undefined when unsupported. */
async function peerImpls(w: Workload, make: (p: Peer) => Impl | undefined, skip?: (p: Peer) => string | undefined): Promise<void> {
  for (const name of PEER_NAMES) {
    const err = peerErrors.get(name);
    if (err) {
      w.errors.push({ label: name, kind: "peer", error: err });
      continue;
    }
    const p = peers.find((x) => x.name === name)!;
    const why = p.unsupported?.[w.kind];
    if (why) {
      w.errors.push({ label: name, kind: "peer", error: `not run: ${why}` });
      continue;
    }
    const skipped = skip?.(p);
    if (skipped) {
      w.errors.push({ label: name, kind: "peer", error: skipped });
      continue;
    }
    try {
      await p.activate?.();
      const impl = make(p);
      if (impl) w.impls.push(impl);
      else w.errors.push({ label: name, kind: "peer", error: "not run: no adapter for this workload" });
    } catch (e) {
      w.errors.push({ label: name, kind: "peer", error: `setup failed: ${message(e)}` });
    }
  }
}

function peerImpl(label: string, p: { run: Impl["run"]; async?: boolean; result: Impl["result"]; before?: Impl["before"]; dispose?: Impl["dispose"] }): Impl {
  return { label, kind: "peer", ...p };
}

// ---------------------------------------------------------------- workloads

/** Predicted per-call times of the slow implementations at n = 1024 from their n = 512 medians (×8). */
function predictedTooSlow(label: string, id: string): string | undefined {
  if (id !== "GEMM n=1024") return undefined;
  const r512 = rows.find((r) => r.workload === "GEMM n=512" && r.impl === label && !r.error);
  if (!r512) return undefined;
  const predicted = r512.medianMs * 8;
  return predicted > CFG.maxPredictedMs
    ? `skipped: n = 512 took ${fmt(r512.medianMs)} ms, so one call would take about ${fmt(predicted)} ms (limit ${CFG.maxPredictedMs} ms${quick ? ", quick mode" : ""})`
    : undefined;
}

/** C [m, n] = A [m, k] · B [k, n]; square GEMMs are "GEMM n=…", the MLP's layer-0 products "GEMM m×k·k×n". */
async function gemmWorkload(m: number, k: number, n: number): Promise<Workload> {
  const id = gemmId(m, k, n);
  const a = randnData([m, k], 100 + m + k);
  const b = randnData([k, n], 101 + n + k);
  const tensors: sd.Tensor[] = [];
  const w: Workload = {
    id, kind: "gemm", flops: 2 * m * n * k, tol: 1e-4, impls: [], errors: [],
    dispose: () => tensors.forEach((t) => t.dispose()),
    numpy: { id, kind: "gemm", params: { m, k, n }, inputs: { a, b } },
  };
  for (const { kind, label, backend } of backends) {
    sd.setBackend(backend);
    const [A, B, C] = [sd.tensor(a, [m, k]), sd.tensor(b, [k, n]), sd.zeros([m, n])];
    tensors.push(A, B, C);
    w.impls.push({ label, kind, run: () => void sd.matmul(A, B, { out: C }), result: () => C.toFloat32Array(), before: async () => sd.setBackend(backend) });
  }
  const jsSkip = predictedTooSlow("plain JS (i-k-j)", id);
  if (jsSkip) w.errors.push({ label: "plain JS (i-k-j)", kind: "js", error: jsSkip });
  else {
    const c = new Float32Array(m * n);
    w.impls.push({ label: "plain JS (i-k-j)", kind: "js", run: () => matmulJS(a, b, c, m, k, n), result: () => c });
  }
  await peerImpls(w, (p) => (p.gemm ? peerImpl(p.name, p.gemm(a, b, m, k, n)) : undefined), (p) => predictedTooSlow(p.name, id));
  return w;
}

async function softmaxWorkload(rowsN: number, cols: number): Promise<Workload> {
  const id = `softmax ${rowsN}×${cols}`;
  const x = randnData([rowsN, cols], 301, 3);
  const tensors: sd.Tensor[] = [];
  const w: Workload = {
    id, kind: "softmax", tol: 1e-4, impls: [], errors: [],
    dispose: () => tensors.forEach((t) => t.dispose()),
    numpy: { id, kind: "softmax", params: { rows: rowsN, cols }, inputs: { x } },
  };
  for (const { kind, label, backend } of backends) {
    sd.setBackend(backend);
    const [X, Y] = [sd.tensor(x, [rowsN, cols]), sd.zeros([rowsN, cols])];
    tensors.push(X, Y);
    w.impls.push({ label, kind, run: () => void sd.softmax(X, { out: Y }), result: () => Y.toFloat32Array(), before: async () => sd.setBackend(backend) });
  }
  const y = new Float32Array(rowsN * cols);
  w.impls.push({ label: "plain JS", kind: "js", run: () => softmaxJS(x, y, rowsN, cols), result: () => y });
  await peerImpls(w, (p) => (p.softmax ? peerImpl(p.name, p.softmax(x, rowsN, cols)) : undefined));
  return w;
}

async function attentionWorkload(T: number, d: number, h: number): Promise<Workload> {
  const id = `causal MHA T=${T} d=${d} h=${h}`;
  const dh = d / h;
  const x = randnData([T, d], 401);
  const ws = 1 / Math.sqrt(d); // keeps the scores O(1), like an initialized layer
  const [wq, wk, wv, wo] = [402, 403, 404, 405].map((s) => randnData([d, d], s, ws)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  // simdnet's layout: one fused W_qkv [d, 3d] (Q | K | V columns), as MultiHeadAttention stores it.
  const wqkv = new Float32Array(d * 3 * d);
  for (let r = 0; r < d; r++) {
    wqkv.set(wq.subarray(r * d, (r + 1) * d), r * 3 * d);
    wqkv.set(wk.subarray(r * d, (r + 1) * d), r * 3 * d + d);
    wqkv.set(wv.subarray(r * d, (r + 1) * d), r * 3 * d + 2 * d);
  }
  const tensors: sd.Tensor[] = [];
  // Flops: 3 projections + W_o (2·T·d·d each) + QKᵀ and P·V over the visible half (2·dh per pair per head, twice).
  const flops = 4 * 2 * T * d * d + h * 2 * 2 * dh * ((T * (T + 1)) / 2);
  const w: Workload = {
    id, kind: "attention", flops, tol: 1e-4, impls: [], errors: [],
    dispose: () => tensors.forEach((t) => t.dispose()),
    numpy: { id, kind: "attention", params: { T, d, h }, inputs: { x, wq, wk, wv, wo } },
  };
  for (const { kind, label, backend } of backends) {
    sd.setBackend(backend);
    const X = sd.tensor(x, [T, d]);
    const Wqkv = sd.tensor(wqkv, [d, 3 * d]);
    const Wo = sd.tensor(wo, [d, d]);
    const QKV = sd.zeros([T, 3 * d]);
    const [Q, K, V, Y] = [0, 1, 2, 3].map(() => sd.zeros([h, T, dh])) as [sd.Tensor, sd.Tensor, sd.Tensor, sd.Tensor];
    const M = sd.zeros([T, d]);
    const O = sd.zeros([T, d]);
    tensors.push(X, Wqkv, Wo, QKV, Q, K, V, Y, M, O);
    const run = (): void => {
      sd.matmul(X, Wqkv, { out: QKV });
      sd.splitHeads(QKV, 1, h, dh, { columnOffset: 0, out: Q });
      sd.splitHeads(QKV, 1, h, dh, { columnOffset: d, out: K });
      sd.splitHeads(QKV, 1, h, dh, { columnOffset: 2 * d, out: V });
      sd.attention(Q, K, V, { causal: true, out: Y });
      sd.mergeHeads(Y, 1, { out: M });
      sd.matmul(M, Wo, { out: O });
    };
    w.impls.push({ label, kind, run, result: () => O.toFloat32Array(), before: async () => sd.setBackend(backend) });
  }
  // Plain JS: the same steps with bench/lib's loops (i-k-j GEMM, attentionJS on [h, T, dh]).
  {
    const proj = [new Float32Array(T * d), new Float32Array(T * d), new Float32Array(T * d)];
    const heads = [new Float32Array(T * d), new Float32Array(T * d), new Float32Array(T * d)];
    const yh = new Float32Array(T * d);
    const merged = new Float32Array(T * d);
    const out = new Float32Array(T * d);
    const scores = new Float32Array(T);
    const run = (): void => {
      [wq, wk, wv].forEach((wm, i) => {
        matmulJS(x, wm, proj[i]!, T, d, d);
        const p = proj[i]!;
        const hd = heads[i]!;
        for (let t = 0; t < T; t++) for (let hh = 0; hh < h; hh++) for (let c = 0; c < dh; c++) hd[(hh * T + t) * dh + c] = p[t * d + hh * dh + c]!;
      });
      attentionJS(heads[0]!, heads[1]!, heads[2]!, yh, h, T, dh, true, scores);
      for (let t = 0; t < T; t++) for (let hh = 0; hh < h; hh++) for (let c = 0; c < dh; c++) merged[t * d + hh * dh + c] = yh[(hh * T + t) * dh + c]!;
      matmulJS(merged, wo, out, T, d, d);
    };
    w.impls.push({ label: "plain JS", kind: "js", run, result: () => out });
  }
  await peerImpls(w, (p) => (p.attention ? peerImpl(p.name, p.attention({ x, wq, wk, wv, wo, T, d, h })) : undefined));
  return w;
}

const MLP_SIZES = [784, 128, 64, 10];
const LR = 0.01;

async function trainWorkload(batch: number): Promise<Workload> {
  const id = `MLP train B=${batch}`;
  // Inputs uniform in [0, 1), one-hot targets of random classes (as bench/run.ts).
  const rng = new sd.Random(500 + batch);
  const inputs = MLP_SIZES[0]!;
  const classes = MLP_SIZES[MLP_SIZES.length - 1]!;
  const x = new Float32Array(batch * inputs);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  const y = new Float32Array(batch * classes);
  for (let r = 0; r < batch; r++) y[r * classes + Math.min(classes - 1, Math.floor(rng.uniform() * classes))] = 1;

  const nets: { net: sd.NeuralNetwork; xb: sd.Tensor; yb: sd.Tensor }[] = [];
  const w: Workload = {
    id, kind: "train", batch, tol: 1e-4, impls: [], errors: [],
    dispose: () => nets.forEach((n) => [n.net, n.xb, n.yb].forEach((o) => o.dispose())),
  };
  let initial: { weights: Float32Array[]; biases: Float32Array[] } | undefined;
  for (const { kind, label, backend } of backends) {
    sd.setBackend(backend);
    const net = new sd.NeuralNetwork([...MLP_SIZES], { seed: 1, loss: "mse", optimizer: "sgd", outputActivation: "linear" });
    const n = { net, xb: sd.tensor(x, [batch, inputs]), yb: sd.tensor(y, [batch, classes]) };
    nets.push(n);
    initial ??= { weights: net.layers.map((l) => l.weights.toFloat32Array()), biases: net.layers.map((l) => l.bias.toFloat32Array()) };
    let firstLoss: number | undefined;
    w.impls.push({
      label, kind, before: async () => sd.setBackend(backend),
      run: () => {
        // The losses allocate on the current backend (see bench/run.ts): make the network's current.
        sd.setBackend(backend);
        const loss = net.trainBatch(n.xb, n.yb, LR);
        firstLoss ??= loss;
      },
      result: () => {
        const parts = [Float32Array.of(firstLoss ?? NaN), ...net.parameters().map((p) => p.value.toFloat32Array())];
        const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
        let o = 0;
        for (const p of parts) {
          out.set(p, o);
          o += p.length;
        }
        return out;
      },
    });
  }
  const init = initial!;
  {
    const plain = new PlainMLP(MLP_SIZES, init.weights, init.biases, { outputActivation: "linear", loss: "mse" });
    let firstLoss: number | undefined;
    w.impls.push({
      label: "plain JS (i-k-j)", kind: "js",
      run: () => {
        const loss = plain.step(x, y, batch, LR);
        firstLoss ??= loss;
      },
      result: () => {
        const parts: ArrayLike<number>[] = [[firstLoss ?? NaN]];
        plain.weights.forEach((wl, l) => parts.push(wl, plain.biases[l]!));
        const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
        let o = 0;
        for (const p of parts) {
          out.set(p, o);
          o += p.length;
        }
        return out;
      },
    });
  }
  const mlp = { sizes: MLP_SIZES, weights: init.weights, biases: init.biases, x, y, batch, lr: LR };
  await peerImpls(w, (p) => (p.train ? peerImpl(p.name, p.train(mlp)) : undefined));
  const numpyInputs: Record<string, Float32Array> = { x, y };
  init.weights.forEach((wl, l) => {
    numpyInputs[`w${l}`] = wl;
    numpyInputs[`b${l}`] = init.biases[l]!;
  });
  w.numpy = { id, kind: "train", params: { sizes: MLP_SIZES, batch, lr: LR }, inputs: numpyInputs };
  return w;
}

// ---------------------------------------------------------------- checking and timing

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  return maxRelError(got, want, Math.max(0.01 * scale, 1e-30)).err;
}

const firstCallMs = new Map<Impl, number>();

/** Runs every impl once, checks it against simdnet SIMD; returns the impls that may be timed. */
async function checkWorkload(w: Workload): Promise<Impl[]> {
  const outputs = new Map<Impl, Float32Array>();
  const ok: Impl[] = [];
  for (const impl of w.impls) {
    try {
      await impl.before?.();
      const t0 = performance.now();
      await impl.run();
      firstCallMs.set(impl, performance.now() - t0);
      if (impl.result) outputs.set(impl, Float32Array.from(await impl.result()));
    } catch (e) {
      w.errors.push({ label: impl.label, kind: impl.kind, error: `failed: ${message(e)}` });
      impl.dispose?.();
    }
  }
  const ref = w.impls.find((i) => i.kind === "simd");
  const want = ref ? outputs.get(ref) : undefined;
  if (!want) throw new Error(`${w.id}: simdnet SIMD produced no output`);
  simdOutputs.set(w.id, want);
  for (const impl of w.impls) {
    const got = outputs.get(impl);
    if (!got) continue;
    if (impl === ref) {
      ok.push(impl);
      continue;
    }
    const err = relErr(got, want);
    const pass = err <= w.tol;
    checks.push({ workload: w.id, impl: impl.label, against: "simdnet SIMD", maxRelErr: err, tol: w.tol, ok: pass });
    if (pass) ok.push(impl);
    else {
      w.errors.push({ label: impl.label, kind: impl.kind, error: `output mismatch vs simdnet SIMD: max rel err ${err.toExponential(2)} > ${w.tol}` });
      impl.dispose?.();
    }
  }
  return ok;
}

async function timeImpl(impl: Impl, samples: number[]): Promise<void> {
  const slow = (firstCallMs.get(impl) ?? 0) > CFG.slowCallMs;
  if (slow && samples.reduce((a, b) => a + b, 0) >= CFG.slowCapMs) return;
  await impl.before?.();
  const bench = new Bench({
    name: impl.label,
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

async function runWorkload(w: Workload): Promise<void> {
  process.stdout.write(`  ${w.id} …`);
  const t0 = performance.now();
  const timed = await checkWorkload(w);
  const samples = new Map<Impl, number[]>(timed.map((i) => [i, []]));
  const roundMedians = new Map<Impl, number[]>(timed.map((i) => [i, []]));
  for (let round = 0; round < CFG.rounds; round++) {
    const order = timed.map((_, i) => timed[(i + round) % timed.length]!);
    for (const impl of order) {
      try {
        const all = samples.get(impl)!;
        const before = all.length;
        await timeImpl(impl, all);
        roundMedians.get(impl)!.push(all.length > before ? summarize(all.slice(before)).medianMs : NaN);
      } catch (e) {
        w.errors.push({ label: impl.label, kind: impl.kind, error: `failed while timing: ${message(e)}` });
        samples.delete(impl);
        timed.splice(timed.indexOf(impl), 1);
      }
    }
  }
  for (const impl of timed) {
    const s = summarize(samples.get(impl)!);
    rows.push({
      workload: w.id, kind: w.kind, impl: impl.label, implKind: impl.kind, ...s,
      gflops: w.flops ? w.flops / (s.medianMs * 1e6) : undefined,
      samplesPerSec: w.batch ? w.batch / (s.medianMs / 1000) : undefined,
      roundMedianMs: roundMedians.get(impl),
      timedBy: "tinybench (in process, interleaved)",
    });
  }
  for (const e of w.errors) rows.push({ workload: w.id, kind: w.kind, impl: e.label, implKind: e.kind, ...summarize([]), error: e.error, timedBy: "tinybench (in process, interleaved)" });
  for (const impl of w.impls) impl.dispose?.();
  w.dispose();
  process.stdout.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

// ---------------------------------------------------------------- the run

const started = performance.now();
const machine = machineInfo();
console.log(`simdnet vs peers (${quick ? "quick" : "full"}): ${machine.cpuModel}, ${machine.cores} cores [${machine.cpuFlags.join(" ")}], node ${machine.node}, V8 ${machine.v8}, load ${machine.loadAverage1m}`);
for (const [name, setup] of Object.entries(peerSetups)) console.log(`  ${name}: ${setup}`);

const ceilingStart = await measureCeiling();
console.log(`  Wasm SIMD ceiling: ${fmt(ceilingStart.gflops)} GFLOP/s (${ceilingStart.chains} f32x4 mul+add chains)`);
const numpyTasks: NumpyTask[] = [];
const schedule: [string, () => Promise<Workload>][] = [
  ...[64, 128, 256, 512, 1024].map((n) => [gemmId(n, n, n), () => gemmWorkload(n, n, n)] as [string, () => Promise<Workload>]),
  ...[32, 128].map((m) => [gemmId(m, 784, 128), () => gemmWorkload(m, 784, 128)] as [string, () => Promise<Workload>]),
  ["softmax 1024×1024", () => softmaxWorkload(1024, 1024)],
  ["causal MHA T=256 d=256 h=8", () => attentionWorkload(256, 256, 8)],
  ...[32, 128].map((b) => [`MLP train B=${b}`, () => trainWorkload(b)] as [string, () => Promise<Workload>]),
];
const workloadIds: string[] = [];
for (const [id, make] of schedule) {
  if (onlyWorkload && !id.includes(onlyWorkload)) continue;
  const w = await make();
  workloadIds.push(w.id);
  if (w.numpy) numpyTasks.push(w.numpy);
  await runWorkload(w);
}

// numpy: after the Node workloads, in its own process, by its own clock.
process.stdout.write("  numpy (python3, one BLAS thread) …");
const tNumpy = performance.now();
const numpy = onlyPeers && !onlyPeers.includes("numpy")
  ? { setup: "left out by --peers", results: new Map(), error: "not run: left out by --peers" }
  : runNumpy(numpyTasks, { budgetS: CFG.numpyBudgetS, minSamples: CFG.numpyMinSamples, sampleMs: 20, timeoutS: quick ? 60 : 240 });
process.stdout.write(` ${((performance.now() - tNumpy) / 1000).toFixed(1)} s\n`);
peerSetups.numpy = numpy.error ? `FAILED: ${numpy.error}` : numpy.setup;
const NUMPY_TOL: Record<WorkloadKind, number> = { gemm: 1e-4, softmax: 1e-4, attention: 1e-4, train: 1e-4 };
for (const t of numpyTasks) {
  const base = { workload: t.id, kind: t.kind, impl: "numpy", implKind: "numpy" as const, timedBy: "numpy_bench.py time.perf_counter (own process)" as const };
  const r = numpy.results.get(t.id);
  const error = numpy.error ?? r?.error ?? (r ? undefined : "no result");
  if (error || !r?.output || !r.samplesMs) {
    rows.push({ ...base, ...summarize([]), error: `numpy: ${error ?? "no output"}` });
    continue;
  }
  const want = simdOutputs.get(t.id)!;
  const err = relErr(r.output, want);
  const tol = NUMPY_TOL[t.kind];
  checks.push({ workload: t.id, impl: "numpy", against: "simdnet SIMD", maxRelErr: err, tol, ok: err <= tol });
  if (err > tol) {
    rows.push({ ...base, ...summarize([]), error: `output mismatch vs simdnet SIMD: max rel err ${err.toExponential(2)} > ${tol}` });
    continue;
  }
  const s = summarize(r.samplesMs);
  const flops = rows.find((x) => x.workload === t.id && x.gflops !== undefined);
  rows.push({
    ...base, ...s,
    gflops: flops ? (flops.gflops! * flops.medianMs) / s.medianMs : undefined,
    samplesPerSec: t.kind === "train" ? (t.params.batch as number) / (s.medianMs / 1000) : undefined,
  });
}

// ---------------------------------------------------------------- ratios, targets, tables

// The ceiling again at the end (load changes over a run): GEMM rows are rated against the better one.
const ceilingEnd = await measureCeiling();
const ceiling = ceilingEnd.gflops > ceilingStart.gflops ? ceilingEnd : ceilingStart;
for (const r of rows) if (r.kind === "gemm" && r.gflops !== undefined) r.pctOfCeiling = (100 * r.gflops) / ceiling.gflops;

for (const r of rows) {
  const base = rows.find((x) => x.workload === r.workload && x.implKind === "simd" && !x.error);
  if (!base || r.error || r.implKind === "simd") continue;
  r.simdSpeedup = r.medianMs / base.medianMs;
  if (r.roundMedianMs && base.roundMedianMs) {
    const ratios = r.roundMedianMs.map((t, i) => t / base.roundMedianMs![i]!).filter(Number.isFinite);
    if (ratios.length) r.simdSpeedupPerRound = summarize(ratios).medianMs;
  }
}
const loadAverage1mEnd = Math.round(os.loadavg()[0]! * 100) / 100;
const elapsed = (performance.now() - started) / 1000;

const find = (workload: string, impl: string): Row | undefined => rows.find((r) => r.workload === workload && r.impl === impl);
interface Target { target: string; workload: string; peer: string; need: number; ratio?: number; perRound?: number; verdict: string }
const targets: Target[] = [];
// Verdict from the ratio of medians and, for in-process peers, the median of per-round ratios too:
// both on the same side of the target, else "borderline" (the run cannot tell).
const addTarget = (target: string, workload: string, peer: string, need: number): void => {
  const r = find(workload, peer);
  const ratio = r?.simdSpeedup;
  const perRound = r?.simdSpeedupPerRound;
  const estimates = [ratio, perRound].filter((v): v is number => v !== undefined);
  const verdict = ratio === undefined
    ? `not measured${r?.error ? ` (${r.error})` : ""}`
    : estimates.every((v) => v >= need) ? "met" : estimates.every((v) => v < need) ? "NOT met" : "borderline (the two estimates straddle the target)";
  targets.push({ target, workload, peer, need, ratio, perRound, verdict });
};
for (const n of [256, 512, 1024]) addTarget("GEMM n ≥ 256: ≥ 1.8× tfjs-wasm", `GEMM n=${n}`, "tfjs-wasm", 1.8);
addTarget("softmax: ≥ 1.5× tfjs-wasm", "softmax 1024×1024", "tfjs-wasm", 1.5);
addTarget("attention: ≥ 2.5× onnxruntime-web", "causal MHA T=256 d=256 h=8", "onnxruntime-web", 2.5);
addTarget("attention: no slower than numpy", "causal MHA T=256 d=256 h=8", "numpy", 1);
for (const b of [32, 128]) {
  addTarget("MLP training: ≥ 15× tfjs-wasm", `MLP train B=${b}`, "tfjs-wasm", 15);
  addTarget("MLP training: ≥ ½ of numpy", `MLP train B=${b}`, "numpy", 0.5);
}

const metric = (r: Row): string => (r.kind === "train" ? `${fmt(r.samplesPerSec)} samples/s` : r.kind === "gemm" ? `${fmt(r.gflops)} GFLOP/s` : `${fmt(r.medianMs)} ms`);
const header = ["workload", "impl", "median ms", "min–max ms", "n", "GFLOP/s", "% ceiling", "samples/s", "SIMD ×", "per round", "note"];
const detail = rows.map((r) => [
  r.workload, r.impl, fmt(r.medianMs), r.error ? "—" : `${fmt(r.minMs)}–${fmt(r.maxMs)}`, String(r.samples), fmt(r.gflops),
  r.pctOfCeiling !== undefined ? `${r.pctOfCeiling.toFixed(0)}%` : "—", fmt(r.samplesPerSec),
  r.simdSpeedup !== undefined ? `${fmt(r.simdSpeedup)}×` : "—",
  r.simdSpeedupPerRound !== undefined ? `${fmt(r.simdSpeedupPerRound)}×` : "—",
  r.error ?? (r.implKind === "numpy" ? "own process, perf_counter" : ""),
]);
const detailTable = renderTable(header, detail);

// The summary: one line per workload, a column per implementation: its figure and (simdnet SIMD's speedup).
const COLS = ["simdnet SIMD", "simdnet scalar", "plain JS", ...PEER_NAMES, "numpy"];
const colOf = (r: Row): string => (r.implKind === "js" ? "plain JS" : r.impl);
const summaryRows = workloadIds.map((id) => {
  const cells = COLS.map((c) => {
    const r = rows.find((x) => x.workload === id && colOf(x) === c);
    if (!r) return "—";
    if (r.error) return /^not run|^skipped/.test(r.error) ? "n/a" : "error";
    return r.simdSpeedup !== undefined ? `${metric(r)} (${fmt(r.simdSpeedup)}×)` : metric(r);
  });
  return [id, ...cells];
});
const summaryTable = renderTable(["workload", ...COLS], summaryRows);
const targetTable = renderTable(
  ["target", "workload", "simdnet SIMD speedup", "per round", "needed", "verdict"],
  targets.map((t) => [t.target, t.workload, t.ratio !== undefined ? `${fmt(t.ratio)}×` : "—", t.perRound !== undefined ? `${fmt(t.perRound)}×` : "—", `${t.need}×`, t.verdict]),
);
const failedChecks = checks.filter((c) => !c.ok);

console.log(`\n${detailTable.text}\n`);
console.log(`Summary (figure per implementation; in parentheses how many times faster simdnet SIMD is):\n${summaryTable.text}\n`);
console.log(`Issue-4 targets:\n${targetTable.text}\n`);
const ceilingLine = `Wasm SIMD ceiling (bench/lib/ceiling.ts, f32x4 mul+add chains, no FMA): ${fmt(ceilingStart.gflops)} GFLOP/s at the start, ${fmt(ceilingEnd.gflops)} at the end; GEMM "% ceiling" is against ${fmt(ceiling.gflops)}.`;
console.log(ceilingLine);
console.log(`checks: ${checks.length - failedChecks.length} passed, ${failedChecks.length} failed`);
for (const n of notes) console.log(`note: ${n}`);
console.log(`total ${elapsed.toFixed(1)} s; 1-min load average ${machine.loadAverage1m} at start, ${loadAverage1mEnd} at end (${machine.cores} cores)`);

// ---------------------------------------------------------------- files

const method = [
  "One process: simdnet SIMD and scalar (two backends), plain JS and the in-process peers run each workload interleaved: rounds rotate the order; each turn is a tinybench task with warm-up and a time budget; medians over all samples of all rounds.",
  `Calls slower than ${CFG.slowCallMs} ms get no warm-up and one sample per round, until ${CFG.slowCapMs} ms of samples; at n = 1024 an implementation whose n = 512 median predicts more than ${CFG.maxPredictedMs} ms per call is skipped (its row says so).`,
  "Checks before timing: every implementation runs once on the same inputs; its output must satisfy |x − y| ≤ tol · max(|y|, 0.01 · max|y|) against simdnet SIMD's output (tol 1e-4 everywhere; training compares the first step's loss and all updated parameters from the same initial weights). A mismatch is an error row, never a timing.",
  "simdnet ops write into preallocated tensors (`out`), so a simdnet call allocates nothing; tfjs, onnxruntime-web and ml-matrix allocate their outputs per call (their APIs do), which is part of what they cost.",
  "Attention: x [T, d] → Q, K, V projections → heads → causal softmax(QKᵀ/√dh)·V → concat → W_o, no biases. simdnet uses its fused W_qkv GEMM, splitHeads, the fused attention kernel and mergeHeads; the peers use three projection MatMuls, batched MatMuls, an additive −1e9 mask and Softmax; numpy the same with @. GFLOP/s counts the 4 projections and the visible half of QKᵀ and P·V.",
  "Training: one call = forward + MSE loss + backward + SGD update of 784-128-64-10 (ReLU, linear output) on one batch; simdnet `net.trainBatch`, plain JS bench/lib/plain-mlp.ts, tfjs ops + tf.train.sgd().minimize, numpy by hand; all from simdnet's initial weights. samples/s = batch / median step time.",
  "numpy runs after the Node workloads in a child python3 (one BLAS thread), is timed by time.perf_counter (samples of several calls ≈ 20 ms, per-call medians), and is checked like the others: its column is not interleaved with the rest.",
  "SIMD × = this implementation's median / simdnet SIMD's median (how many times faster simdnet SIMD is; below 1 means slower). \"per round\" = the median over rounds of the same ratio within each round (the two measured within seconds of each other, so load that comes and goes cancels better); numpy has none (own process). A target is met when both estimates reach it, not met when both miss it, borderline otherwise.",
];
if (onlyWorkload || onlyPeers) {
  // A partial run must not replace the recorded full comparison.
  console.log("filtered run (--only / --peers): bench/results/compare.* not written");
  process.exit(0);
}
const outDir = join(dirname(fileURLToPath(import.meta.url)), "results");
mkdirSync(outDir, { recursive: true });
const report = {
  mode: quick ? "quick" : "full",
  command: `npx tsx bench/compare.ts${quick ? " --quick" : ""}`,
  machine: { ...machine, loadAverage1mEnd },
  config: { ...CFG, timer: "tinybench hrtimeNow (numpy: time.perf_counter)" },
  backends: { simd: simd.info(), scalar: scalar.info() },
  ceiling: { start: ceilingStart, end: ceilingEnd, used: ceiling },
  peers: peerSetups,
  method,
  targets,
  results: rows,
  checks,
  notes,
  elapsedSeconds: Math.round(elapsed * 10) / 10,
};
writeFileSync(join(outDir, "compare.json"), JSON.stringify(report, null, 2) + "\n");
const md = [
  `# simdnet vs peers (${report.mode})`,
  "",
  `\`${report.command}\` · ${machine.date} · ${machine.cpuModel}, ${machine.cores} cores (${machine.cpuFlags.join(", ")}) · Node ${machine.node}, V8 ${machine.v8} · load average ${machine.loadAverage1m} at start, ${loadAverage1mEnd} at end · ${elapsed.toFixed(0)} s`,
  "",
  "Peers:",
  "",
  ...Object.entries(peerSetups).map(([k, v]) => `- **${k}**: ${v}`),
  "",
  "## Summary",
  "",
  ceilingLine,
  "",
  "GEMM in GFLOP/s, softmax and attention in ms, training in samples/s; in parentheses how many times faster simdnet SIMD is (median / median).",
  "",
  summaryTable.markdown,
  "",
  "## Issue-4 targets",
  "",
  targetTable.markdown,
  "",
  "## All rows",
  "",
  detailTable.markdown,
  "",
  "## Method",
  "",
  ...method.map((m) => `- ${m}`),
  ...notes.map((n) => `- Note: ${n}`),
  `- Output checks: ${checks.length - failedChecks.length} passed, ${failedChecks.length} failed.`,
  "",
].join("\n");
writeFileSync(join(outDir, "compare.md"), md);
writeFileSync(join(outDir, "compare.svg"), speedupSvg());
console.log(`wrote ${join(outDir, "compare.json")}, compare.md and compare.svg`);
process.exit(0);

// ---------------------------------------------------------------- the chart

/** Horizontal bars on a log scale: simdnet SIMD's speedup over each other implementation, per workload. */
function speedupSvg(): string {
  const series = COLS.slice(1);
  const colors = ["#9e9e9e", "#bcaaa4", "#ff9800", "#ffcc80", "#1e88e5", "#90caf9", "#8e24aa", "#43a047"];
  const groups = workloadIds.map((id) => ({
    id,
    bars: series.map((c, i) => ({ c, color: colors[i]!, r: rows.find((x) => x.workload === id && colOf(x) === c) })).filter((b) => b.r && !b.r.error && b.r.simdSpeedup),
  }));
  const all = groups.flatMap((g) => g.bars.map((b) => b.r!.simdSpeedup!));
  const lo = Math.min(0.1, ...all.map((v) => 10 ** Math.floor(Math.log10(v))));
  const hi = Math.max(10, ...all.map((v) => 10 ** Math.ceil(Math.log10(v))));
  const left = 210;
  const width = 620;
  const barH = 11;
  const gap = 12;
  const top = 58;
  const x = (v: number): number => left + (width * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  let y = top;
  const parts: string[] = [];
  const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  for (const g of groups) {
    const h = Math.max(1, g.bars.length) * barH;
    parts.push(`<text x="${left - 8}" y="${y + h / 2 + 4}" text-anchor="end" font-size="12">${esc(g.id)}</text>`);
    if (!g.bars.length) parts.push(`<text x="${left + 4}" y="${y + 9}" font-size="10" fill="#666">no peer timed</text>`);
    g.bars.forEach((b, i) => {
      const v = b.r!.simdSpeedup!;
      const x0 = x(1);
      const x1 = x(v);
      parts.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + i * barH}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${barH - 2}" fill="${b.color}"><title>${esc(`${g.id}: ${b.c} takes ${fmt(v)}× simdnet SIMD's time`)}</title></rect>`);
      parts.push(`<text x="${(v >= 1 ? x1 + 3 : x1 - 3).toFixed(1)}" y="${y + i * barH + 8}" font-size="9" text-anchor="${v >= 1 ? "start" : "end"}">${fmt(v)}×</text>`);
    });
    y += h + gap;
  }
  const bottom = y;
  const ticks: string[] = [];
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
    const v = 10 ** e;
    ticks.push(`<line x1="${x(v).toFixed(1)}" y1="${top - 4}" x2="${x(v).toFixed(1)}" y2="${bottom}" stroke="${v === 1 ? "#000" : "#ddd"}"/>`);
    ticks.push(`<text x="${x(v).toFixed(1)}" y="${bottom + 14}" font-size="10" text-anchor="middle">${Number(v.toPrecision(1))}×</text>`);
  }
  const legend = series.map((c, i) => `<rect x="${left + (i % 4) * 150}" y="${bottom + 26 + Math.floor(i / 4) * 16}" width="10" height="10" fill="${colors[i]}"/><text x="${left + (i % 4) * 150 + 14}" y="${bottom + 35 + Math.floor(i / 4) * 16}" font-size="11">${esc(c === "numpy" ? "numpy (own process)" : c)}</text>`);
  const totalH = bottom + 26 + Math.ceil(series.length / 4) * 16 + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 60}" height="${totalH}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">simdnet SIMD speedup over each implementation (median time ratio, log scale; right of 1× = simdnet faster)</text>`,
    `<text x="10" y="38" font-size="11" fill="#444">${esc(`${report.command} · ${machine.cpuModel}, ${machine.cores} cores · Node ${machine.node} · ${machine.date.slice(0, 16)}Z · load ${machine.loadAverage1m}→${loadAverage1mEnd}`)}</text>`,
    ...ticks,
    ...parts,
    ...legend,
    `</svg>`,
  ].join("\n") + "\n";
}
