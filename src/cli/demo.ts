// `simdnet demo`: a short tour of the ops with timings against a plain-JS loop, so a new user sees
// what the library does and what SIMD buys on their machine within a few seconds.

import { performance } from "node:perf_hooks";
import {
  add, attention, init, matmul, memory, randn, relu, softmax, tensor, tidy, type BuildName, type Tensor,
} from "../index.js";
import { BUILD_HELP, backendOptions, describeBackend, parseBuildOption, parseThreadsOption } from "./build-option.js";
import { COMMON_OPTIONS, parseOptions } from "./options.js";
import { COMMON_HELP, printVersion } from "./common.js";

export const DEMO_HELP = `Usage: simdnet demo [options]

A short tour of the ops (a neuron, softmax with temperature) and their timings against plain JS.

Options:
${BUILD_HELP}
${COMMON_HELP}`;

export async function runDemoCommand(argv: string[]): Promise<number> {
  const o = parseOptions("demo", argv, COMMON_OPTIONS);
  if (o.flag("help")) return void process.stdout.write(DEMO_HELP), 0;
  if (o.flag("version")) return printVersion();
  await runDemo(console.log, parseBuildOption(o.string("build"), o.flag("scalar")), parseThreadsOption(o.string("threads")));
  return 0;
}

function medianMs(fn: () => void, minRuns = 5, budgetMs = 400): number {
  fn(); // warm-up (JIT, first-touch of memory)
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || (performance.now() - start < budgetMs && times.length < 200)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

function plainMatmul(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void {
  c.fill(0);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      for (let j = 0; j < n; j++) c[i * n + j]! += aip * b[p * n + j]!;
    }
  }
}

function row(label: string, ms: number, extra = ""): string {
  return `  ${label.padEnd(44)} ${ms.toFixed(3).padStart(9)} ms ${extra}`;
}

export async function runDemo(log: (line: string) => void = console.log, build?: BuildName, threads?: number | "auto"): Promise<void> {
  const info = await init(backendOptions(build, threads));
  log(`simdnet — backend: ${describeBackend(info)} (${info.reason})`);

  log("\nA neuron is a weighted sum plus a bias, passed through ReLU:");
  tidy(() => {
    const activations = tensor([[0.5, -1, 2]]);
    const weights = tensor([[0.2], [0.4], [0.1]]);
    const bias = tensor([[0.3]]);
    const z = add(matmul(activations, weights), bias);
    const a = relu(z);
    const first = (t: Tensor) => (t.toArray() as number[][])[0]![0]!.toFixed(4);
    log(`  z = 0.5·0.2 − 1·0.4 + 2·0.1 + 0.3 = ${first(z)};  relu(z) = ${first(a)}`);
  });

  log("\nSoftmax turns logits into probabilities (the tutorial's [2, 4, 5]), and temperature flattens them:");
  tidy(() => {
    const logits = tensor([2, 4, 5]);
    for (const temperature of [1, 2, 0.5]) {
      const p = Array.from(softmax(logits, { temperature }).toFloat32Array(), (v) => v.toFixed(4));
      log(`  T=${temperature}: [${p.join(", ")}]`);
    }
  });

  log("\nTimings (median, one thread):");
  const n = 256;
  const aData = tidy(() => randn([n, n], { seed: 1 }).toFloat32Array());
  const bData = tidy(() => randn([n, n], { seed: 2 }).toFloat32Array());
  const cData = new Float32Array(n * n);
  const jsMs = medianMs(() => plainMatmul(aData, bData, cData, n, n, n), 3, 300);
  tidy(() => {
    const a = tensor(aData, [n, n]);
    const b = tensor(bData, [n, n]);
    const out = tensor(new Float32Array(n * n), [n, n]);
    const wasmMs = medianMs(() => matmul(a, b, { out }));
    const gflops = (ms: number) => ((2 * n * n * n) / (ms * 1e6)).toFixed(2);
    log(row(`matmul ${n}×${n} plain JS`, jsMs, `${gflops(jsMs)} GFLOP/s`));
    log(row(`matmul ${n}×${n} simdnet`, wasmMs, `${gflops(wasmMs)} GFLOP/s, ${(jsMs / wasmMs).toFixed(1)}× plain JS`));

    const x = randn([1024, 1024], { seed: 3 });
    const sm = tensor(new Float32Array(1024 * 1024), [1024, 1024]);
    log(row("softmax 1024×1024 simdnet", medianMs(() => softmax(x, { out: sm }))));

    const [h, t, d] = [8, 256, 32];
    const q: Tensor = randn([h, t, d], { seed: 4 });
    const k = randn([h, t, d], { seed: 5 });
    const v = randn([h, t, d], { seed: 6 });
    const att = tensor(new Float32Array(h * t * d), [h, t, d]);
    log(row(`causal attention h=${h} T=${t} d=${d} simdnet`, medianMs(() => attention(q, k, v, { causal: true, out: att }))));
  });
  const mem = memory();
  log(`\nLive tensors after the demo: ${mem.numTensors} (tidy freed the rest); Wasm memory ${(mem.wasmBytes / 2 ** 20).toFixed(0)} MiB.`);
  log("Full comparison: npm run bench");
}
