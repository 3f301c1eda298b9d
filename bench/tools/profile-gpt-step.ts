// Where a GPT training step's time goes: runs GptTrainer.trainStep() on the default `simdnet train-gpt`
// model (batch 32 × 64 random tokens) under the V8 CPU profiler (the same sampler as `node --cpu-prof`,
// started after warm-up steps) and sums the self time per Wasm function (names from the module's name
// section, or from the function index in build/simdnet.wat order when V8 reports `$funcN`) and per
// JavaScript source file.
//
//   npx tsx bench/tools/profile-gpt-step.ts [--scalar | --build=simd|relaxed] [--threads=N (default 1)] [--steps=N] [--interval=µs] [--save=FILE.cpuprofile]
//   npx tsx bench/tools/profile-gpt-step.ts --generate=cache|nocache [--scalar] [--steps=N]
//
// --generate profiles generate(model, tokenizer, prompt, { maxNewTokens: 64, greedy: true, useCache })
// instead (N calls), as in the bench's generation workload.

import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sd from "../../src/index.js";

const args = process.argv.slice(2);
const useScalar = args.includes("--scalar");
const steps = Number(args.find((a) => a.startsWith("--steps="))?.slice(8) ?? 20);
const save = args.find((a) => a.startsWith("--save="))?.slice(7);
/** Sampling interval in µs (default 100; a coarser one disturbs calls of many small ops less). */
const intervalUs = Number(args.find((a) => a.startsWith("--interval="))?.slice(11) ?? 100);
const generateMode = args.find((a) => a.startsWith("--generate="))?.slice(11);
if (generateMode !== undefined && generateMode !== "cache" && generateMode !== "nocache") throw new Error("--generate=cache or --generate=nocache");

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const wat = readFileSync(join(root, "build", useScalar ? "simdnet.scalar.wat" : "simdnet.wat"), "utf8");
// Function index → name: imported functions come first, then the module's own in definition order.
const watNames = [
  ...[...wat.matchAll(/^ \(import "[^"]*" "[^"]*" \(func \$(\S+)/gm)].map((m) => m[1]!),
  ...[...wat.matchAll(/^ \(func \$(\S+)/gm)].map((m) => m[1]!),
];

// One thread by default: with a worker pool the main thread's waits show up as pool.ts self time.
const threads = Number(args.find((a) => a.startsWith("--threads="))?.slice(10) ?? 1);
const build = args.find((a) => a.startsWith("--build="))?.slice(8);
const backend = await sd.createBackend(build ? { build: build as "relaxed" | "simd", threads } : { simd: !useScalar, threads });
sd.setBackend(backend);
const model = new sd.GPT({ vocabSize: 62, contextLength: 64, dModel: 128, heads: 4, layers: 2, tieEmbeddings: true, seed: 0 });
const rng = new sd.Random(900);
const tokens = new Int32Array(1 << 16);
for (let i = 0; i < tokens.length; i++) tokens[i] = rng.int(62);
const trainer = new sd.GptTrainer(model, tokens, tokens, {
  batchSize: 32, learningRate: 3e-3, warmupSteps: 10, totalSteps: 1e9, weightDecay: 0.1, clipNorm: 1, evalSequences: 8, seed: 0,
});
const tokenizer = sd.Tokenizer.characters("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
const genOptions = { maxNewTokens: 64, greedy: true, useCache: generateMode === "cache" };
const call = generateMode ? () => void sd.generate(model, tokenizer, "Thequick", genOptions) : () => void trainer.trainStep();
const what = generateMode ? `generate() calls (64 new tokens, ${generateMode === "cache" ? "KV cache" : "no cache"})` : "GptTrainer.trainStep() calls";
for (let i = 0; i < 3; i++) call();

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: intervalUs });
await session.post("Profiler.start");
const t0 = performance.now();
for (let i = 0; i < steps; i++) call();
const wallMs = performance.now() - t0;
const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile };
session.disconnect();
if (save) writeFileSync(save, JSON.stringify(profile));

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const byName = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (!us) continue;
  total += us;
  const { functionName, url } = node.callFrame;
  let key: string;
  if (url.startsWith("wasm://") || /^wasm-function\[\d+\]$|^\$?func\d+$/.test(functionName) || functionName.startsWith("$")) {
    const idx = /^wasm-function\[(\d+)\]$|^\$?func(\d+)$/.exec(functionName)?.slice(1).find((x) => x !== undefined);
    const name = idx !== undefined ? watNames[Number(idx)] ?? functionName : functionName.replace(/^\$/, "");
    key = `wasm  ${name.replace(/^assembly\//, "")}`;
  } else if (functionName.startsWith("(")) {
    key = functionName; // (garbage collector), (program), (idle)
  } else {
    const file = url.replace(/^file:\/\//, "").replace(root + "/", "") || "(native)";
    key = `js    ${file}`;
  }
  byName.set(key, (byName.get(key) ?? 0) + us);
}
const rows = [...byName].sort((a, b) => b[1] - a[1]);
console.log(`${useScalar ? "scalar" : "SIMD"} backend: ${steps} ${what}, ${(wallMs / steps).toFixed(1)} ms per call (wall, under the profiler)`);
console.log(`self time per function (sampled every ${intervalUs / 1000} ms; ${(total / 1000 / steps).toFixed(1)} ms per call sampled):`);
let wasm = 0;
for (const [name, us] of rows) {
  if (name.startsWith("wasm")) wasm += us;
  if (us / total < 0.003) continue;
  console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000 / steps).toFixed(2).padStart(7)} ms/call  ${name}`);
}
const gemm = rows.filter(([n]) => /^wasm  gemm\//.test(n)).reduce((a, [, us]) => a + us, 0);
const attn = rows.filter(([n]) => /^wasm  attention\//.test(n)).reduce((a, [, us]) => a + us, 0);
console.log(`  Wasm total ${((100 * wasm) / total).toFixed(1)}%; GEMM (gemm/*: packing + micro-kernel) ${((100 * gemm) / total).toFixed(1)}%, attention kernels ${((100 * attn) / total).toFixed(1)}%`);
trainer.dispose();
model.dispose();
