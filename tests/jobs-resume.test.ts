// The library's training jobs (src/jobs) resume exactly: a run stopped after k steps and resumed
// from its checkpoint ends with the same bits — every weight and every optimizer moment — as the
// run that never stopped, for train-gpt and for train-mlp with each optimizer, mid-epoch included.
import { beforeAll, describe, expect, it } from "vitest";
import {
  ArgumentError, DEFAULT_GPT_TRAINING, DEFAULT_MLP_TRAINING, FormatError, NeuralNetwork, TUTORIAL_MLP_TRAINING, init, loadEmbeddedMnist, memory,
  readSafetensors, trainGpt, trainMlp, writeSafetensors, type Dataset, type GptTrainingConfig, type MlpTrainingConfig,
} from "../src/index.js";

const TEXT = "In the beginning God created the heaven and the earth. And the earth was without form, and void. ".repeat(30);
const GPT_CONFIG: GptTrainingConfig = { ...DEFAULT_GPT_TRAINING, layers: 1, dModel: 16, heads: 2, context: 16, batchSize: 4, steps: 6, warmupSteps: 2, evalEvery: 3, evalSequences: 8, seed: 3 };

let train: Dataset;
let test: Dataset;

beforeAll(async () => {
  await init();
  const mnist = await loadEmbeddedMnist({ seed: 0 });
  const take = (d: Dataset, n: number): Dataset => ({ ...d, count: n, images: d.images.slice(0, n * d.rows * d.cols), labels: d.labels.slice(0, n) });
  // 64 samples in batches of 24: three batches per epoch (24, 24, 16), so 6 steps are 2 epochs.
  train = take(mnist.train, 64);
  test = take(mnist.test, 40);
});

/** Every tensor of two checkpoints, compared bit for bit (weights and optimizer state). */
function expectSameTensors(a: Uint8Array, b: Uint8Array): void {
  const fa = readSafetensors(a);
  const fb = readSafetensors(b);
  expect(Object.keys(fa.tensors).sort()).toEqual(Object.keys(fb.tensors).sort());
  expect(Object.keys(fa.tensors).some((k) => k.startsWith("optimizer."))).toBe(true);
  for (const [name, t] of Object.entries(fa.tensors)) {
    const u = fb.tensors[name]!.data;
    const differing = t.data.findIndex((v, i) => !Object.is(v, u[i]));
    expect(differing, `${name}[${differing}]: ${t.data[differing]} vs ${u[differing]}`).toBe(-1);
  }
}

describe("train-gpt job", () => {
  it("3 + 3 steps through a checkpoint = 6 straight steps, bit for bit", async () => {
    const before = memory().numTensors;
    let straightBytes: Uint8Array | undefined;
    const straight = await trainGpt(GPT_CONFIG, { text: TEXT, onCheckpoint: (bytes, info) => void (info.final && (straightBytes = bytes)) });
    let firstBytes: Uint8Array | undefined;
    const first = await trainGpt(GPT_CONFIG, { text: TEXT, onStep: (s) => s.step < 3, onCheckpoint: (bytes) => void (firstBytes = bytes) });
    expect(first.stopped).toBe(true);
    expect(first.step).toBe(3);
    let resumedBytes: Uint8Array | undefined;
    const resumed = await trainGpt(GPT_CONFIG, { text: TEXT, resume: firstBytes, onCheckpoint: (bytes, info) => void (info.final && (resumedBytes = bytes)) });
    expect(resumed.startStep).toBe(3);
    expect(resumed.history.map((h) => h.loss)).toEqual(straight.history.slice(3).map((h) => h.loss));
    expectSameTensors(resumedBytes!, straightBytes!);
    for (const r of [straight, first, resumed]) r.model.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it("saves every N steps and at the end; an aborted run saves where it stopped", async () => {
    const saves: [number, boolean][] = [];
    const r = await trainGpt(GPT_CONFIG, { text: TEXT, saveEvery: 2, onCheckpoint: (_, info) => void saves.push([info.step, info.final]) });
    expect(saves).toEqual([[2, false], [4, false], [6, true]]);
    r.model.dispose();
    const controller = new AbortController();
    const stops: number[] = [];
    const a = await trainGpt(GPT_CONFIG, { text: TEXT, signal: controller.signal, onStep: (s) => void (s.step === 4 && controller.abort()), onCheckpoint: (_, info) => void stops.push(info.step) });
    expect(a.stopped).toBe(true);
    expect(stops).toEqual([4]);
    a.model.dispose();
  });

  it("refuses a resume that changes the model, leaving no tensors behind", async () => {
    let bytes: Uint8Array | undefined;
    const r = await trainGpt({ ...GPT_CONFIG, steps: 2 }, { text: TEXT, onCheckpoint: (b) => void (bytes = b) });
    r.model.dispose();
    const before = memory().numTensors;
    await expect(trainGpt({ ...GPT_CONFIG, layers: 2 }, { text: TEXT, resume: bytes })).rejects.toThrow("the checkpoint's model has layers 1, but layers 2 was asked for");
    await expect(trainGpt({ ...GPT_CONFIG, tokenizer: "words" }, { text: TEXT, resume: bytes })).rejects.toThrow(ArgumentError);
    expect(memory().numTensors).toBe(before);
  });

  it("samples from a prompt taken from the user's text, or refuses a prompt outside its vocabulary before training", async () => {
    const r = await trainGpt({ ...GPT_CONFIG, steps: 1 }, { text: TEXT, sampleTokens: 5 });
    expect(TEXT).toContain(r.prompt);
    expect(r.prompt.length).toBeGreaterThan(0);
    expect(r.sample.startsWith(r.prompt)).toBe(true);
    r.model.dispose();
    const before = memory().numTensors;
    let steps = 0;
    await expect(trainGpt(GPT_CONFIG, { text: TEXT, sampleTokens: 5, prompt: "Zebra", onStep: () => void steps++ })).rejects.toThrow(/sample prompt "Zebra"/);
    expect(steps).toBe(0);
    expect(memory().numTensors).toBe(before);
  });
});

describe("train-mlp job", () => {
  const configs: [string, MlpTrainingConfig][] = [
    ["default (Adam, shuffling, shifts, cosine)", { ...DEFAULT_MLP_TRAINING, layers: [784, 12, 10], epochs: 2, batchSize: 24, seed: 5 }],
    ["momentum", { ...DEFAULT_MLP_TRAINING, layers: [784, 12, 10], epochs: 2, batchSize: 24, optimizer: "momentum", seed: 6 }],
    ["tutorial (plain SGD)", { ...TUTORIAL_MLP_TRAINING, layers: [784, 12, 10], epochs: 2, batchSize: 24, seed: 2 }],
  ];
  for (const [name, config] of configs) {
    for (const split of [3, 4]) {
      it(`${name}: ${split} + ${6 - split} steps through a checkpoint = 6 straight steps, bit for bit`, async () => {
        const before = memory().numTensors;
        let straightBytes: Uint8Array | undefined;
        const straight = await trainMlp(config, { train, test }, { onCheckpoint: (b, info) => void (info.final && (straightBytes = b)) });
        expect(straight.step).toBe(6);
        let firstBytes: Uint8Array | undefined;
        const first = await trainMlp(config, { train, test }, { onBatch: (p) => p.step < split, onCheckpoint: (b) => void (firstBytes = b) });
        expect(first.step).toBe(split);
        let resumedBytes: Uint8Array | undefined;
        const resumed = await trainMlp(config, { train, test }, { resume: firstBytes, onCheckpoint: (b, info) => void (info.final && (resumedBytes = b)) });
        expect(resumed.startStep).toBe(split);
        // The epoch the stop fell in reports the same mean loss as in the straight run.
        expect(resumed.history.at(-1)).toMatchObject({ epoch: 2, loss: straight.history[1]!.loss, valLoss: straight.history[1]!.valLoss });
        if (config.optimizer === undefined && config.preset === "tutorial") {
          // Plain SGD has no state: only the weights must match.
          expect(Object.keys(readSafetensors(resumedBytes!).tensors).some((k) => k.startsWith("optimizer."))).toBe(false);
          expect(readSafetensors(resumedBytes!).tensors).toEqual(readSafetensors(straightBytes!).tensors);
        } else {
          expectSameTensors(resumedBytes!, straightBytes!);
        }
        for (const r of [straight, first, resumed]) r.net.dispose();
        expect(memory().numTensors).toBe(before);
      });
    }
  }

  it("its checkpoints load with NeuralNetwork.load (the optimizer state is skipped)", async () => {
    let bytes: Uint8Array | undefined;
    const r = await trainMlp({ ...DEFAULT_MLP_TRAINING, layers: [784, 12, 10], epochs: 1, batchSize: 24 }, { train, test }, { onCheckpoint: (b) => void (bytes = b) });
    const net = NeuralNetwork.load(bytes!);
    expect(net.layers[0]!.weights.toFloat32Array()).toEqual(r.net.layers[0]!.weights.toFloat32Array());
    net.dispose();
    r.net.dispose();
  });

  it("refuses checkpoints whose training state is damaged or contradicts the run, with typed errors and no leaks", async () => {
    const config: MlpTrainingConfig = { ...DEFAULT_MLP_TRAINING, layers: [784, 12, 10], epochs: 2, batchSize: 24 };
    let bytes: Uint8Array | undefined;
    const r = await trainMlp(config, { train, test }, { onBatch: (p) => p.step < 2, onCheckpoint: (b) => void (bytes = b) });
    r.net.dispose();
    const file = readSafetensors(bytes!);
    const edit = (fn: (t: Record<string, { shape: number[]; data: Float32Array }>, m: Record<string, string>) => void) => {
      const tensors = Object.fromEntries(Object.entries(file.tensors).map(([k, v]) => [k, { shape: v.shape.slice(), data: v.data.slice() }]));
      const metadata = { ...file.metadata };
      fn(tensors, metadata);
      return writeSafetensors(tensors, metadata);
    };
    const training = JSON.parse(file.metadata.training!);
    const before = memory().numTensors;
    const cases: [Uint8Array, MlpTrainingConfig, RegExp | typeof ArgumentError][] = [
      [edit((t) => delete t["optimizer.m.layers.0.weights"]), config, /optimizer state "optimizer.m.layers.0.weights" is missing/],
      [edit((t) => (t["optimizer.v.layers.1.bias"] = { shape: [1, 11], data: new Float32Array(11) })), config, /"optimizer.v.layers.1.bias" has shape \[1,11\]/],
      [edit((t) => (t["optimizer.z.layers.0.bias"] = { shape: [1, 12], data: new Float32Array(12) })), config, /unexpected optimizer state optimizer.z/],
      [edit((_, m) => (m.training = "{")), config, /__metadata__.training is not JSON/],
      [edit((_, m) => (m.training = JSON.stringify({ ...training, position: { ...training.position, step: -5 } }))), config, /position.step" must be a non-negative integer/],
      [edit((_, m) => (m.training = JSON.stringify({ ...training, position: { ...training.position, batch: 9 } }))), config, /stopped at batch 9 of an epoch/],
      [bytes!, { ...config, layers: [784, 16, 10] }, /trained with layers \[784,12,10\], but layers \[784,16,10\]/],
      [bytes!, { ...config, optimizer: "sgd" }, /trained with optimizer "adam", but optimizer "sgd"/],
    ];
    for (const [b, c, want] of cases) {
      const error = await trainMlp(c, { train, test }, { resume: b }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error instanceof FormatError || error instanceof ArgumentError, String(error)).toBe(true);
      expect(String((error as Error).message)).toMatch(want as RegExp);
      expect(memory().numTensors).toBe(before);
    }
  });
});
