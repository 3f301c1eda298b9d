// The guarded step shared by Trainer and GptTrainer (issue 9 finding 12, issue 10 item 3). When a
// step is not healthy (see src/nn/step.ts) the DivergenceError leaves the parameters AND the
// optimizer state (velocities, moments, step count) exactly as the last healthy step left them: the
// error is checked against copies taken after that step, and a run that hits the error and then
// continues must give the bits of a run that never took the failing step.

import { describe, expect, it } from "vitest";
import {
  Adam, Dense, DivergenceError, GPT, GptTrainer, NeuralNetwork, SGD, Sequential, Tanh, Trainer, createLoss, getBackend, tensor,
  warmupCosine, cosineDecay, type Optimizer, type Parameter, type GptTrainOptions,
} from "../src/index.js";
import { decaysWeight } from "../src/transformer/train.js";
import { useBuild } from "./helpers/backends.js";
import { randomFloats } from "./helpers/compare.js";

interface Snapshot {
  params: Float32Array[];
  state: Float32Array[];
  stepCount: number | undefined;
}

function snapshot(params: readonly Parameter[], optimizer: Optimizer): Snapshot {
  return {
    params: params.map((p) => p.value.toFloat32Array()),
    state: (optimizer.stateTensors?.(params) ?? []).map((t) => t.toFloat32Array()),
    stepCount: optimizer.stepCount,
  };
}

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a DivergenceError");
}

/** A small regression net, a batch with large targets (large gradients), and its Trainer. */
function mlpRun(makeOptimizer: () => Optimizer) {
  const model = new Sequential([new Dense(3, 5, { seed: 1, activation: "tanh" }), new Tanh(), new Dense(5, 2, { seed: 2 })]);
  const optimizer = makeOptimizer();
  const trainer = new Trainer(model, createLoss("mse"), optimizer, getBackend());
  const x = tensor(randomFloats(8 * 3, 7), [8, 3]);
  const y = tensor(randomFloats(8 * 2, 8).map((v) => 40 * v), [8, 2]);
  const params = model.parameters();
  return { model, optimizer, trainer, x, y, params };
}

const OPTIMIZERS: [string, () => Optimizer, (o: Optimizer) => void][] = [
  // How each is pushed into an update that overflows, while loss and gradients stay finite.
  ["sgd", () => new SGD(1e-3), (o) => void (o.learningRate = 3e38)],
  ["momentum", () => new SGD(1e-3, { momentum: 0.9 }), (o) => void (o.learningRate = 3e38)],
  // AdamW: p −= lr·(wd·p + m̂/(√v̂ + ε)); lr·wd·p overflows when lr jumps from 1e-35 to 1e10.
  ["adam", () => new Adam(1e-35, { weightDecay: 1e30 }), (o) => void (o.learningRate = 1e10)],
];

describe.each(OPTIMIZERS)("Trainer with %s", (_name, makeOptimizer, overflow) => {
  it("an update that makes a parameter non-finite is undone: parameters and optimizer state equal the last healthy step's, bit for bit", async () => {
    await useBuild("simd");
    const run = mlpRun(makeOptimizer);
    for (let i = 0; i < 3; i++) run.trainer.step(run.x, run.y);
    const healthy = snapshot(run.params, run.optimizer);
    const rate = run.optimizer.learningRate;
    overflow(run.optimizer);
    const error = caught(() => run.trainer.step(run.x, run.y, 2, 4, 8));
    expect(error).toBeInstanceOf(DivergenceError);
    expect(error.message).toMatch(/training diverged: the update made layers?.* non-finite|the update made .* non-finite/);
    expect(error.message).toMatch(/at epoch 2, batch 4\/8; the parameters and optimizer state from before this step are restored/);
    expect((error as DivergenceError).epoch).toBe(2);
    expect(snapshot(run.params, run.optimizer)).toEqual(healthy);
    expect(run.trainer.parametersFinite()).toBe(true);

    // Carrying on gives the bits of a run that never took the failing step.
    run.optimizer.learningRate = rate;
    for (let i = 0; i < 2; i++) run.trainer.step(run.x, run.y);
    const twin = mlpRun(makeOptimizer);
    for (let i = 0; i < 5; i++) twin.trainer.step(twin.x, twin.y);
    expect(snapshot(run.params, run.optimizer)).toEqual(snapshot(twin.params, twin.optimizer));
  });

  it("a non-finite loss or gradient is refused before anything is written", async () => {
    await useBuild("simd");
    const run = mlpRun(makeOptimizer);
    for (let i = 0; i < 2; i++) run.trainer.step(run.x, run.y);
    const healthy = snapshot(run.params, run.optimizer);
    const poisoned = tensor(new Float32Array(16).fill(Number.NaN), [8, 2]);
    expect(caught(() => run.trainer.step(run.x, poisoned)).message).toMatch(/training diverged: loss is NaN at epoch/);
    expect(snapshot(run.params, run.optimizer)).toEqual(healthy);
  });
});

describe("GptTrainer", () => {
  const options: GptTrainOptions = {
    batchSize: 2, learningRate: 1e-2, warmupSteps: 2, totalSteps: 20, weightDecay: 0.1, clipNorm: 1, evalSequences: 2, seed: 1,
  };
  const tokens = Int32Array.from(randomFloats(300, 3), (v) => Math.floor((v + 1) * 5.5));

  function gptRun() {
    const model = new GPT({ vocabSize: 11, contextLength: 8, dModel: 16, heads: 2, layers: 1, seed: 1 });
    // One decayed weight of 10: with weight decay 1e38, lr·wd·p overflows to −∞.
    const target = model.parameters().find(decaysWeight)!;
    target.value.view()[0] = 10;
    return { model, trainer: new GptTrainer(model, tokens, tokens, options), params: model.parameters() };
  }

  it("rolls back parameters, moments and step count, and the run carries on as if the step never happened", async () => {
    await useBuild("simd");
    const run = gptRun();
    for (let i = 0; i < 3; i++) run.trainer.trainStep();
    const healthy = snapshot(run.params, run.trainer.optimizer);
    const adam = run.trainer.optimizer as unknown as { weightDecay: number };
    adam.weightDecay = 1e38;
    const error = caught(() => run.trainer.trainStep());
    expect(error).toBeInstanceOf(DivergenceError);
    expect(error.message).toMatch(/the update made .* non-finite .* at step 4; the parameters and optimizer state from before this step are restored/);
    expect((error as DivergenceError).batch).toBe(4);
    expect(run.trainer.step).toBe(3);
    expect(snapshot(run.params, run.trainer.optimizer)).toEqual(healthy);
    expect(healthy.stepCount).toBe(3);

    adam.weightDecay = options.weightDecay;
    const after = [run.trainer.trainStep().loss, run.trainer.trainStep().loss];
    const twin = gptRun();
    const losses = Array.from({ length: 5 }, () => twin.trainer.trainStep().loss);
    expect(after).toEqual(losses.slice(3));
    expect(snapshot(run.params, run.trainer.optimizer)).toEqual(snapshot(twin.params, twin.trainer.optimizer));
  });

  it("learningRateAt is the warm-up + cosine of nn/schedules.ts, with the same formulas", async () => {
    await useBuild("simd");
    const { trainer } = gptRun();
    const schedule = warmupCosine({ max: 1e-2, min: 1e-3, warmupSteps: 2, totalSteps: 20 });
    for (let step = 1; step <= 25; step++) {
      // Written out as GptTrainer defined it before the schedule moved (bit-exact).
      const expected = step <= 2 ? (1e-2 * step) / 2 : 1e-3 + (1e-2 - 1e-3) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, (step - 2) / 18)));
      expect(trainer.learningRateAt(step)).toBe(expected);
      expect(schedule(step)).toBe(expected);
    }
    expect(trainer.learningRateAt(1)).toBe(5e-3);
    expect(trainer.learningRateAt(2)).toBe(1e-2);
    expect(trainer.learningRateAt(20)).toBe(1e-3);
  });

  it("cosineDecay keeps its formula", () => {
    const f = cosineDecay(0.1, 10, 0.001);
    for (let epoch = 1; epoch <= 11; epoch++) {
      expect(f(epoch)).toBe(0.001 + (0.1 - 0.001) * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / 10)));
    }
  });
});

describe.each([
  ["sgd", 1e6],
  ["momentum", 1e6],
  ["adam", 1e30],
] as const)("NeuralNetwork.train with %s and a learning rate that blows up", (optimizer, learningRate) => {
  it("stops with DivergenceError, parameters and optimizer state as after the last batch that succeeded", async () => {
    await useBuild("simd");
    const x = tensor(randomFloats(64 * 4, 21).map((v) => 3 * v), [64, 4]);
    const y = tensor(randomFloats(64 * 2, 22).map((v) => 5 * v), [64, 2]);
    const net = new NeuralNetwork([4, 16, 2], { seed: 3, loss: "mse", hiddenActivation: "tanh", optimizer, shuffle: false });
    let lastGood: Snapshot | undefined;
    const error = caught(() =>
      net.train(x, y, { epochs: 50, learningRate, batchSize: 8, onBatch: () => void (lastGood = snapshot(net.parameters(), net.optimizer!)) }),
    );
    expect(error).toBeInstanceOf(DivergenceError);
    expect(lastGood).toBeDefined();
    const now = snapshot(net.parameters(), net.optimizer!);
    expect(now).toEqual(lastGood);
    expect(now.params.every((w) => w.every(Number.isFinite))).toBe(true);
    expect(now.state.every((s) => s.every(Number.isFinite))).toBe(true);
    net.dispose();
  });
});
