// Training is deterministic across thread counts: an MLP (Trainer, cross-entropy, Adam) and a tiny
// GPT (GptTrainer, AdamW, clipping) give identical losses and identical weights, bit for bit, on 1
// and 2 threads. Thresholds are 0 on the 2-thread backend so every splittable kernel call is split.

import { afterAll, describe, expect, it } from "vitest";
import {
  Adam, createBackend, createLoss, Dense, GPT, GptTrainer, qkvAttention, qkvAttentionBackward, Random, Sequential, setBackend, tensorOn, Trainer,
  type Backend, type BuildName, type Parameter,
} from "../src/index.js";
import { BUILDS } from "./helpers/backends.js";

const ZERO = { gemm: 0, elementwise: 0, rows: 0 };
const created: Backend[] = [];

async function backend(build: BuildName, threads: number): Promise<Backend> {
  const b = await createBackend({ build, threads, parallelThresholds: threads > 1 ? ZERO : undefined });
  created.push(b);
  setBackend(b);
  return b;
}

afterAll(() => {
  for (const b of created) b.dispose();
});

/** Record the kernels the pool runs (the names its jobs carry), to check what a run actually split. */
function recordPoolKernels(b: Backend): Set<string> {
  const seen = new Set<string>();
  const pool = b.workerPool;
  if (pool) {
    const run = pool.run.bind(pool);
    pool.run = (name, ...rest) => {
      seen.add(name);
      return run(name, ...rest);
    };
  }
  return seen;
}

function weightBits(params: Parameter[]): Uint32Array[] {
  return params.map((p) => new Uint32Array(p.value.toFloat32Array().buffer.slice(0)));
}

async function trainMlp(build: BuildName, threads: number) {
  const b = await backend(build, threads);
  const rng = new Random(11);
  const samples = 96, inputs = 67, classes = 10;
  const x = tensorOn(b, Float32Array.from({ length: samples * inputs }, () => rng.normal()), [samples, inputs]);
  const y = tensorOn(b, Float32Array.from({ length: samples * classes }, (_, i) => (i % classes === (i / classes) % 7 >> 0 ? 1 : 0)), [samples, classes]);
  const model = new Sequential([
    new Dense(inputs, 33, { activation: "relu", seed: 1 }),
    new Dense(33, 17, { activation: "sigmoid", seed: 2 }),
    new Dense(17, classes, { seed: 3 }),
  ]);
  const trainer = new Trainer(model, createLoss("cross-entropy"), new Adam(3e-3), b);
  const losses = trainer.fit(x, y, { epochs: 3, batchSize: 32, shuffle: true, seed: 4 }).map((e) => e.loss);
  const weights = weightBits(model.parameters());
  const jobs = b.workerPool?.jobs ?? 0;
  model.dispose();
  x.dispose();
  y.dispose();
  return { losses, weights, jobs };
}

async function trainGpt(build: BuildName, threads: number) {
  const b = await backend(build, threads);
  const kernels = recordPoolKernels(b);
  const text = "the quick brown fox jumps over the lazy dog; ".repeat(20);
  const ids = Int32Array.from(text, (ch) => ch.charCodeAt(0) % 29);
  const model = new GPT({ vocabSize: 29, contextLength: 16, dModel: 16, heads: 2, layers: 2, seed: 9 });
  const trainer = new GptTrainer(model, ids, ids, {
    batchSize: 4, learningRate: 5e-3, warmupSteps: 2, totalSteps: 6, weightDecay: 0.1, clipNorm: 1, evalSequences: 4, seed: 3,
  });
  const losses = Array.from({ length: 6 }, () => trainer.trainStep().loss);
  const weights = weightBits(model.parameters());
  const jobs = b.workerPool?.jobs ?? 0;
  trainer.dispose();
  model.dispose();
  return { losses, weights, jobs, kernels };
}

/** Causal multi-head attention forward + backward from a fused projection, at the default thresholds. */
async function causalMha(build: BuildName, threads: number) {
  const b = await createBackend({ build, threads });
  created.push(b);
  const kernels = recordPoolKernels(b);
  const batch = 2, t = 129, heads = 4, dh = 16, width = heads * dh;
  const rng = new Random(5);
  const qkv = tensorOn(b, Float32Array.from({ length: batch * t * 3 * width }, () => rng.normal()), [batch * t, 3 * width]);
  const dout = tensorOn(b, Float32Array.from({ length: batch * t * width }, () => rng.normal()), [batch * t, width]);
  const lse = tensorOn(b, new Float32Array(batch * heads * t), [batch * heads, t]);
  const out = qkvAttention(qkv, heads, { batch, causal: true, lse });
  const dqkv = qkvAttentionBackward(qkv, out, dout, lse, heads, { batch, causal: true });
  const bits = [out, lse, dqkv].map((x) => new Uint32Array(x.toFloat32Array().buffer.slice(0)));
  for (const x of [qkv, dout, lse, out, dqkv]) x.dispose();
  return { bits, kernels };
}

describe.each([...BUILDS].filter((b) => b !== "scalar"))("training on 1 and 2 threads (%s build)", (build) => {
  it("an MLP gives identical losses and weights", async () => {
    const one = await trainMlp(build, 1);
    const two = await trainMlp(build, 2);
    expect(two.jobs).toBeGreaterThan(50);
    expect(two.losses).toEqual(one.losses);
    expect(one.losses[2]!).toBeLessThan(one.losses[0]!); // it trains at all
    two.weights.forEach((w, i) => expect(w).toEqual(one.weights[i]));
  });

  it("a tiny GPT gives identical losses and weights", async () => {
    const one = await trainGpt(build, 1);
    const two = await trainGpt(build, 2);
    expect(two.jobs).toBeGreaterThan(50);
    expect(two.losses).toEqual(one.losses);
    two.weights.forEach((w, i) => expect(w).toEqual(one.weights[i]));
    for (const k of ["attention_rows_f32", "attention_rows_backward_f32", "layernorm_backward_range_f32", "embedding_backward_range_f32"]) {
      expect(two.kernels.has(k), `${k} ran on the pool`).toBe(true);
    }
  });

  it("a causal MHA forward and backward give identical bits", async () => {
    const one = await causalMha(build, 1);
    const two = await causalMha(build, 2);
    // Above the default thresholds: both attention kernels are split without forcing.
    expect([...two.kernels].filter((k) => k.startsWith("attention")).sort()).toEqual(["attention_rows_backward_f32", "attention_rows_f32"]);
    two.bits.forEach((x, i) => expect(x).toEqual(one.bits[i]));
    expect(one.bits[2]!.some((v) => v !== 0)).toBe(true);
  });
});
