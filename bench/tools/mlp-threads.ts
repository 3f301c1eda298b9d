// One-off: NeuralNetwork.trainBatch (the bench's like-for-like MLP: 784-128-64-10, SGD, MSE) on 1 and 2 threads in
// one process, interleaved, medians per step. Run it several times back to back: on the 2-core EPYC of
// 2026-12-04 the 2-thread step was bimodal process to process (B = 128: 0.75 or 0.95–0.99 ms) — docs/PERFORMANCE.md.
//   node --conditions=source --experimental-wasm-relaxed-simd --no-liftoff --import tsx bench/tools/mlp-threads.ts [B]
import * as sd from "../../src/index.js";
import { MLP_SIZES, trainBatchData } from "../workloads/mlp-train.js";

const B = Number(process.argv[2] ?? 128);
const { x, y } = trainBatchData(B, 500 + B);
const runs = await Promise.all([1, 2].map(async (threads) => {
  const backend = await sd.createBackend({ build: "relaxed", threads });
  sd.setBackend(backend);
  const net = new sd.NeuralNetwork([...MLP_SIZES], { seed: 1, loss: "mse", optimizer: "sgd", outputActivation: "linear" });
  const xb = sd.tensor(x, [B, MLP_SIZES[0]!]);
  const yb = sd.tensor(y, [B, MLP_SIZES[3]!]);
  return { threads, backend, net, xb, yb, times: [] as number[] };
}));
for (let round = 0; round < 6; round++) {
  for (const run of runs) {
    sd.setBackend(run.backend);
    for (let i = 0; i < 20; i++) run.net.trainBatch(run.xb, run.yb, 0.01);
    for (let i = 0; i < 60; i++) {
      const t0 = performance.now();
      run.net.trainBatch(run.xb, run.yb, 0.01);
      run.times.push(performance.now() - t0);
    }
  }
}
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;
const [one, two] = runs.map((r) => median(r.times));
console.log(`B = ${B}: 1 thread ${one!.toFixed(3)} ms, 2 threads ${two!.toFixed(3)} ms per step (${(one! / two!).toFixed(2)}×)`);
for (const run of runs) run.backend.dispose();
