// GptTrainer against independent float64 oracles: the learning-rate schedule at its corners against the
// formula, one trainStep at a time against a hand-clipped float64 AdamW update of every parameter, and the
// set of parameters that decay. "Loss falls" and "run = run" cannot see a warm-up off by one, clipping by
// the wrong power of the norm or decay on LayerNorm gains; these tests can.
//
// The training text has exactly seqLen + 1 tokens, so every batch is the same window whatever the sampler
// draws; the test computes that batch's gradient itself (model.loss + backward) before each trainStep.

import { beforeAll, describe, expect, it } from "vitest";
import { ArgumentError, DivergenceError, GPT, GptTrainer, decaysWeight, init, memory, type GptTrainOptions } from "../src/index.js";
import { AdamWReference, worstExcess } from "./helpers/adamw-reference.js";

beforeAll(async () => {
  await init();
});

/**
 * The documented schedule: linear warm-up lr·s/W for steps s = 1…W (reaching lr at W), then a half cosine
 * from lr at W down to min at T, held at min after T.
 */
function scheduleRef(s: number, lr: number, min: number, W: number, T: number): number {
  if (s <= W) return (lr * s) / W;
  const progress = Math.min(1, (s - W) / (T - W));
  return min + ((lr - min) * (1 + Math.cos(Math.PI * progress))) / 2;
}

/** Parameter names that decay, by the documented rule: weight matrices and W_E/W_U; not wpe, biases, gains. */
const DECAYING = (layers: number) => [
  "wte",
  ...Array.from({ length: layers }, (_, l) => ["attn.qkv", "attn.out", "mlp.fc", "mlp.proj"].map((k) => `blocks.${l}.${k}.weights`)).flat(),
  "wu",
];

const tinyConfig = { vocabSize: 7, contextLength: 6, dModel: 8, heads: 2, layers: 2, seed: 4, positional: "learned", tieEmbeddings: false } as const;
const window = Int32Array.from([3, 1, 4, 1, 5, 2, 6]); // seqLen + 1 tokens for seqLen = 6

function options(over: Partial<GptTrainOptions>): GptTrainOptions {
  return { batchSize: 2, learningRate: 1e-2, warmupSteps: 2, totalSteps: 6, weightDecay: 0.1, clipNorm: 0, evalSequences: 1, seed: 3, ...over };
}

describe("GptTrainer learning-rate schedule", () => {
  for (const [W, T, min] of [[4, 20, undefined], [1, 5, 1e-4], [10, 11, 0], [0, 8, undefined]] as const) {
    it(`warm-up ${W}, total ${T}, floor ${min ?? "lr/10"}: steps 1, W, W+1, midway, T and beyond match the formula`, () => {
      const model = new GPT(tinyConfig);
      const lr = 3e-3;
      const trainer = new GptTrainer(model, window, window, options({ learningRate: lr, warmupSteps: W, totalSteps: T, minLearningRate: min }));
      const floor = min ?? lr / 10;
      const steps = [1, W, W + 1, Math.floor((W + T) / 2), T - 1, T, T + 1, T + 50].filter((s) => s >= 1);
      for (const s of steps) {
        expect(trainer.learningRateAt(s), `step ${s}`).toBeCloseTo(scheduleRef(s, lr, floor, W, T), 15);
      }
      if (W > 0) expect(trainer.learningRateAt(W)).toBe(lr);
      expect(trainer.learningRateAt(T)).toBeCloseTo(floor, 15);
      trainer.dispose();
      model.dispose();
    });
  }
});

describe("GptTrainer parameters that decay", () => {
  it("weight matrices, W_E and W_U decay; biases, LayerNorm gains/shifts and learned positions do not", () => {
    const model = new GPT(tinyConfig);
    const names = model.parameters().map((p) => p.name);
    expect(names.filter((n) => decaysWeight(model.parameters().find((p) => p.name === n)!))).toEqual(DECAYING(2));
    model.dispose();
  });
});

/**
 * Tolerance for one step, derived as for tests/adam-oracle.test.ts: the kernel gets 1 − β formed in float64
 * and rounded once (δ ≤ 1.5e-8 for β1 = 0.9, β2 = 0.95), the update's float32 arithmetic adds about one
 * rounding of u, and the clip factor and the float32 rescaling of the gradient change a step by a few
 * roundings (Adam is nearly invariant to the gradient's scale, so a clip factor matters through the moments'
 * mix of steps, not directly). The stored weight rounds once, by at most half an ulp (2^-24·|w|). Measured:
 * the test fails at atol = lr·2e-7 and passes at lr·2.5e-7, so atol = lr·5e-7 (2×) and rtol = 2^-24. (With
 * β rounded to float32 before 1 − β, as the kernel once did, δ1 + δ2/2 alone was 3.6e-7.) Clipping by
 * clipNorm/‖g‖² instead of /‖g‖ changes step 2's update by ~1e-2·lr, warm-up off by one changes the step-1
 * rate by 2×, and decaying a gain of 1 moves it by lr·λ = 1e-3 — all orders of magnitude above.
 */
const ATOL_PER_LR = 5e-7;
const RTOL = 2 ** -24;

describe("GptTrainer.trainStep against a hand-clipped float64 AdamW", () => {
  for (const clip of ["active", "above the norm", "off"] as const) {
    it(`4 steps, clipping ${clip}: every parameter, the reported norm, rate and loss`, () => {
      const start = memory().numTensors;
      const model = new GPT(tinyConfig);
      const params = model.parameters();
      const B = 2;
      const ids = new Int32Array(B * 6), targets = new Int32Array(B * 6);
      for (let b = 0; b < B; b++) {
        ids.set(window.subarray(0, 6), b * 6);
        targets.set(window.subarray(1, 7), b * 6);
      }
      const gradientNow = () => {
        const loss = model.loss(ids, targets, B);
        model.backward();
        const grads = params.map((p) => Float64Array.from(p.grad.toFloat32Array()));
        const norm = Math.sqrt(grads.reduce((s, g) => s + g.reduce((t, x) => t + x * x, 0), 0));
        return { loss, grads, norm };
      };
      const first = gradientNow();
      // Active: a limit of 0.3× the first norm (it stays below every later norm too, checked below).
      // Above the norm: enabled, but no step's norm reaches it (checked below), so nothing may be rescaled.
      const clipNorm = clip === "active" ? 0.3 * first.norm : clip === "above the norm" ? 3 * first.norm : 0;
      const opts = options({ clipNorm, learningRate: 1e-2, warmupSteps: 2, totalSteps: 5, weightDecay: 0.1 });
      const trainer = new GptTrainer(model, window, window, opts);
      const decaying = new Set(DECAYING(2));
      const refs = params.map((p) => new AdamWReference(p.value.size));
      let before = 0;
      for (let step = 1; step <= 4; step++) {
        const { loss, grads, norm } = gradientNow();
        const factor = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1;
        if (clip === "active") expect(factor, `step ${step} must clip`).toBeLessThan(1);
        if (clip === "above the norm") expect(norm, `step ${step} must not clip`).toBeLessThan(clipNorm);
        const lr = scheduleRef(step, 1e-2, 1e-3, 2, 5);
        const expected = params.map((p, k) => {
          const w = Float64Array.from(p.value.toFloat32Array());
          refs[k]!.step(w, grads[k]!.map((g) => g * factor), { lr, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 }, decaying.has(p.name));
          return w;
        });
        const stats = trainer.trainStep();
        if (step === 1) before = memory().numTensors; // optimizer state is created by the first step
        expect(stats.step).toBe(step);
        expect(stats.tokens).toBe(B * 6);
        expect(stats.learningRate).toBeCloseTo(lr, 15);
        expect(stats.loss).toBe(loss);
        expect(Math.abs(stats.gradNorm - norm) / norm, "gradNorm").toBeLessThan(1e-6);
        params.forEach((p, k) => {
          const got = worstExcess(p.value.toFloat32Array(), expected[k]!, RTOL, ATOL_PER_LR * lr);
          expect(got.ratio, `step ${step}: ${p.name}[${got.index}] = ${p.value.toFloat32Array()[got.index]}, float64 AdamW ${expected[k]![got.index]}`).toBeLessThanOrEqual(1);
        });
      }
      expect(memory().numTensors).toBe(before);
      trainer.dispose();
      model.dispose();
      expect(memory().numTensors, "the optimizer's moments are freed").toBe(start);
    });
  }
});

describe("GptTrainer evaluation, resume and refusals", () => {
  it("evaluate() is the mean loss over evalSequences windows evenly spaced over the held-out text", () => {
    const model = new GPT(tinyConfig);
    const validation = Int32Array.from({ length: 40 }, (_, i) => (i * 5 + 3) % 7);
    // 5 windows in batches of 2 (the last batch is partial): starts ⌊span·i/4⌋, span = 40 − 6 − 1.
    const trainer = new GptTrainer(model, window, validation, options({ evalSequences: 5, batchSize: 2 }));
    const span = validation.length - 6 - 1;
    let sum = 0;
    for (let i = 0; i < 5; i++) {
      const start = Math.floor((span * i) / 4);
      sum += model.loss(validation.slice(start, start + 6), validation.slice(start + 1, start + 7), 1);
    }
    // Float32 losses of the same windows batched differently: a few roundings apart.
    expect(Math.abs(trainer.evaluate() - sum / 5) / (sum / 5)).toBeLessThan(1e-6);
    trainer.dispose();
    model.dispose();
  });

  it("resuming at step s makes the next step s + 1, with that step's rate and bias corrections", () => {
    const run = (resumeAt: number) => {
      const model = new GPT(tinyConfig);
      const trainer = new GptTrainer(model, window, window, options({ learningRate: 1e-2, warmupSteps: 2, totalSteps: 6 }));
      trainer.step = resumeAt;
      const stats = trainer.trainStep();
      const weights = model.parameters().map((p) => p.value.toFloat32Array());
      trainer.dispose();
      model.dispose();
      return { stats, weights };
    };
    const resumed = run(3);
    expect(resumed.stats.step).toBe(4);
    expect(resumed.stats.learningRate).toBeCloseTo(scheduleRef(4, 1e-2, 1e-3, 2, 6), 15);
    // From zero moments, step t moves each weight by lr·sign(g)·(1 − β1)/(1 − β1^t)·√((1 − β2^t)/(1 − β2)):
    // a step that ignored the resumed count (t = 1) would give different weights.
    expect(resumed.weights).not.toEqual(run(0).weights);
  });

  it("refuses a sequence longer than the context and texts shorter than one sequence", () => {
    const model = new GPT(tinyConfig);
    expect(() => new GptTrainer(model, window, window, options({ seqLen: 7 }))).toThrow(/seqLen 7 exceeds the context length 6/);
    expect(() => new GptTrainer(model, window.subarray(0, 6), window, options({}))).toThrow(/the training text has 6 tokens, fewer than one sequence of 7/);
    expect(() => new GptTrainer(model, window, window.subarray(0, 5), options({}))).toThrow(ArgumentError);
    expect(() => new GptTrainer(model, window, window.subarray(0, 5), options({}))).toThrow(/the validation text has 5 tokens/);
    model.dispose();
  });

  it("a non-finite loss raises DivergenceError naming the step and leaves every weight as it was", () => {
    const model = new GPT(tinyConfig);
    const trainer = new GptTrainer(model, window, window, options({}));
    trainer.trainStep();
    model.parameters()[0]!.value.view().fill(Number.NaN); // W_E: every embedded token is NaN
    const before = model.parameters().map((p) => p.value.toFloat32Array());
    expect(() => trainer.trainStep()).toThrow(DivergenceError);
    expect(() => trainer.trainStep()).toThrow(/loss is NaN at step 2/);
    expect(model.parameters().map((p) => p.value.toFloat32Array())).toEqual(before);
    trainer.dispose();
    model.dispose();
  });
});

describe("GptTrainer batches", () => {
  it("different seeds draw different batches; the same seed the same ones", () => {
    const text = Int32Array.from({ length: 200 }, (_, i) => (i * i + 3 * i) % 7);
    const losses = (seed: number) => {
      const model = new GPT(tinyConfig);
      const trainer = new GptTrainer(model, text, text, options({ seed }));
      const out = [trainer.trainStep().loss, trainer.trainStep().loss];
      trainer.dispose();
      model.dispose();
      return out;
    };
    const one = losses(1);
    expect(losses(1)).toEqual(one);
    expect(losses(2)[0]).not.toBe(one[0]); // same initial weights: only the batch differs
  });
});
