// The train-mlp job: the tutorial's network (or the default recipe) trained on MNIST-style digits,
// with per-epoch held-out evaluation, progress callbacks, checkpoints through an injected sink and
// exact resume. No file system here: the caller supplies the data and receives checkpoint bytes, so
// the same job runs in Node (the CLI) and in a browser Worker.
//
// Exact resume: the sample order of epoch e comes from a generator seeded by (seed, e) and the
// augmentation of step s from one seeded by (seed, s), so a run resumed at any step sees exactly
// the batches the uninterrupted run would have seen; the checkpoint carries the optimizer state.

import { ArgumentError } from "../runtime/errors.js";
import { Random } from "../runtime/random.js";
import type { Tensor } from "../runtime/tensor.js";
import { tensor } from "../runtime/creation.js";
import { untracked } from "../runtime/tidy.js";
import { NeuralNetwork } from "../nn/neural-network.js";
import { cosineDecay } from "../nn/schedules.js";
import type { EpochStats } from "../nn/train.js";
import type { OptimizerName } from "../nn/optimizers.js";
import { oneHot, type Dataset } from "../data/datasets.js";
import { randomShift } from "../data/augment.js";
import { loadMlpCheckpoint, saveMlpCheckpoint, type MlpPosition, type MlpTrainingConfig } from "./mlp-checkpoint.js";
import { eventLoopYielder, plural, type CheckpointSink, type JobHooks } from "./hooks.js";

export interface MlpJobData {
  train: Dataset;
  test: Dataset;
  /** A name for messages and the checkpoint ("mnist", a folder…). */
  name?: string;
}

export interface MlpBatchProgress {
  step: number;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  /** Samples done in this epoch. */
  samplesDone: number;
}

export interface MlpJobOptions extends JobHooks {
  /** A checkpoint (saveMlpCheckpoint bytes, or a NeuralNetwork.save file) to continue from. */
  resume?: Uint8Array;
  /** Save a checkpoint every N steps (0: only at epoch ends and at the end). */
  saveEvery?: number;
  /** Called after every step; return false to stop (a checkpoint is saved first). */
  onBatch?: (progress: MlpBatchProgress) => void | boolean;
  /** Called after every epoch with its statistics (held-out loss and accuracy included). */
  onEpoch?: (stats: EpochStats) => void;
  onCheckpoint?: CheckpointSink;
}

export interface MlpJobResult {
  net: NeuralNetwork;
  /** Epochs finished in this call. */
  history: EpochStats[];
  testAccuracy: number;
  testLoss: number;
  /** Steps done since the start of the run (including those before a resume). */
  step: number;
  /** Steps the run started from (0, or the checkpoint's). */
  startStep: number;
  /** True if a callback or the signal stopped the run before its last epoch. */
  stopped: boolean;
  seconds: number;
}

export const DEFAULT_MLP_TRAINING: Readonly<MlpTrainingConfig> = {
  preset: "default",
  layers: [784, 128, 64, 10],
  epochs: 15,
  batchSize: 32,
  augmentShift: 1,
  cosine: true,
  seed: 0,
};

/** The tutorial's run: its network and training, learning rate 0.1, 10 epochs, nothing added. */
export const TUTORIAL_MLP_TRAINING: Readonly<MlpTrainingConfig> = {
  ...DEFAULT_MLP_TRAINING,
  preset: "tutorial",
  epochs: 10,
  learningRate: 0.1,
  augmentShift: 0,
  cosine: false,
};

const DEFAULT_RATE: Record<OptimizerName, number> = { sgd: 0.1, momentum: 0.01, adam: 1e-3 };
const CLASSES = 10;

/** Seeds derived from the run seed for the shuffle of each epoch and the augmentation of each step. */
const shuffleSeed = (seed: number, epoch: number) => (Math.imul(seed, 0x9e3779b1) ^ Math.imul(epoch, 0x85ebca6b) ^ 0x5bd1e995) >>> 0;
const augmentSeed = (seed: number, step: number) => (Math.imul(seed, 0xc2b2ae35) ^ Math.imul(step, 0x27d4eb2f) ^ 0x165667b1) >>> 0;

/** Only the fields of MlpTrainingConfig (callers may pass a larger object, like the CLI's). */
function trainingFields(c: MlpTrainingConfig): MlpTrainingConfig {
  const { preset, layers, epochs, batchSize, learningRate, loss, optimizer, augmentShift, cosine, seed } = c;
  return { preset, layers, epochs, batchSize, learningRate, loss, optimizer, augmentShift, cosine, seed };
}

function createNetwork(config: MlpTrainingConfig): NeuralNetwork {
  const chosen = { ...(config.loss ? { loss: config.loss } : {}), ...(config.optimizer ? { optimizer: config.optimizer } : {}) };
  return config.preset === "tutorial"
    ? new NeuralNetwork(config.layers, { hiddenActivation: "relu", outputActivation: "relu", init: "tutorial", loss: "mse-tutorial", optimizer: "sgd", shuffle: false, seed: config.seed, ...chosen })
    : new NeuralNetwork(config.layers, { seed: config.seed, ...chosen });
}

/** Settings a resume must not change: they decide what the saved numbers mean. */
function checkResumable(saved: MlpTrainingConfig, asked: MlpTrainingConfig): void {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const key of ["preset", "layers", "loss", "optimizer", "batchSize"] as const) {
    if (asked[key] !== undefined && saved[key] !== undefined && !same(saved[key], asked[key])) {
      throw new ArgumentError(`train-mlp: the checkpoint was trained with ${key} ${JSON.stringify(saved[key])}, but ${key} ${JSON.stringify(asked[key])} was asked for; start a new run to change it`);
    }
  }
}

export async function trainMlp(config: MlpTrainingConfig, data: MlpJobData, options: MlpJobOptions = {}): Promise<MlpJobResult> {
  const log = options.log ?? (() => {});
  const { train, test } = data;
  const pixels = train.rows * train.cols;
  if (test.rows !== train.rows || test.cols !== train.cols) throw new ArgumentError(`train-mlp: test images are ${test.rows}×${test.cols}, training images ${train.rows}×${train.cols}`);
  if (config.layers[0] !== pixels) throw new ArgumentError(`train-mlp: the first layer must have ${pixels} inputs for ${train.rows}×${train.cols} images, got ${config.layers[0]}`);
  if (config.layers.at(-1) !== CLASSES) throw new ArgumentError(`train-mlp: the last layer must have ${CLASSES} outputs (digits), got ${config.layers.at(-1)}`);
  if (!Number.isInteger(config.batchSize) || config.batchSize < 1) throw new ArgumentError(`train-mlp: batchSize must be an integer >= 1, got ${config.batchSize}`);
  if (!Number.isInteger(config.epochs) || config.epochs < 0) throw new ArgumentError(`train-mlp: epochs must be an integer >= 0, got ${config.epochs}`);
  if (train.count < 1 || test.count < 1) throw new ArgumentError(`train-mlp: needs at least one training and one test sample, got ${train.count} and ${test.count}`);
  const saveEvery = options.saveEvery ?? 0;
  if (!Number.isInteger(saveEvery) || saveEvery < 0) throw new ArgumentError(`train-mlp: saveEvery must be an integer >= 0, got ${saveEvery}`);
  const dataName = data.name ?? "data";

  let net: NeuralNetwork;
  let position: MlpPosition = { step: 0, epoch: 0, batch: 0, epochLossSum: 0 };
  let restore: ((net: NeuralNetwork) => boolean) | undefined;
  if (options.resume) {
    const loaded = loadMlpCheckpoint(options.resume);
    try {
      if (loaded.hasTrainingState) checkResumable(loaded.config, config);
      else if (loaded.net.layerSizes.some((n, i) => n !== config.layers[i]) || loaded.net.layerSizes.length !== config.layers.length) {
        throw new ArgumentError(`train-mlp: the saved network has layers ${loaded.net.layerSizes.join(",")}, but ${config.layers.join(",")} was asked for`);
      }
    } catch (error) {
      loaded.net.dispose();
      throw error;
    }
    net = loaded.net;
    position = loaded.position;
    restore = (n) => loaded.restoreOptimizer(n.optimizer!);
  } else {
    net = createNetwork(config);
  }

  const n = train.count;
  const batches = Math.ceil(n / config.batchSize);
  const rate = config.learningRate ?? DEFAULT_RATE[net.options.optimizer];
  const rateAt = config.cosine ? cosineDecay(rate, config.epochs) : () => rate;
  const owned: Tensor[] = []; // disposed when the job ends, however it ends
  const own = (data: Float32Array, shape: number[]): Tensor => {
    const t = untracked(() => tensor(data, shape));
    owned.push(t);
    return t;
  };
  const batchTensors = new Map<number, [Tensor, Tensor]>();
  const batchOf = (rows: number): [Tensor, Tensor] => {
    let pair = batchTensors.get(rows);
    if (!pair) {
      pair = [own(new Float32Array(rows * pixels), [rows, pixels]), own(new Float32Array(rows * CLASSES), [rows, CLASSES])];
      batchTensors.set(rows, pair);
    }
    return pair;
  };

  const save = async (final: boolean): Promise<void> => {
    if (!options.onCheckpoint) return;
    // The effective loss and optimizer (not "the preset's default"), so a resume can compare them.
    const saved = { ...trainingFields(config), loss: net.options.loss, optimizer: net.options.optimizer };
    const bytes = saveMlpCheckpoint(net, { config: saved, position: { ...position }, data: dataName });
    await options.onCheckpoint(bytes, { step: position.step, final });
  };

  const history: EpochStats[] = [];
  const startStep = position.step;
  let stopped = false;
  const t0 = performance.now();
  const yieldNow = eventLoopYielder();
  try {
    if (position.batch >= batches) {
      throw new ArgumentError(`train-mlp: the checkpoint stopped at batch ${position.batch} of an epoch, but ${n} samples in batches of ${config.batchSize} make ${batches}`);
    }
    const xTest = own(test.images, [test.count, pixels]);
    const yTest = own(oneHot(test.labels), [test.count, CLASSES]);
    // The optimizer exists once the network has trained or evaluated; a resume restores its state
    // before the first step (evaluating one row creates it without touching the weights).
    net.evaluate(own(test.images.slice(0, pixels), [1, pixels]), own(oneHot(test.labels.slice(0, 1)), [1, CLASSES]));
    if (restore && !restore(net)) log("  (the checkpoint holds no optimizer state: the optimizer starts afresh, so this is not an exact continuation)");
    log(`  loss ${net.options.loss}, optimizer ${net.options.optimizer} lr ${rate}${config.cosine ? " (cosine decay)" : ""}, batch ${config.batchSize}, ${plural(config.epochs, "epoch")}${config.augmentShift ? `, random shifts ±${config.augmentShift}px` : ""}${startStep > 0 ? `; resuming at epoch ${position.epoch + 1}, step ${startStep}` : ""}`);
    const order = new Int32Array(n);
    outer: while (position.epoch < config.epochs) {
      const epoch = position.epoch + 1;
      for (let i = 0; i < n; i++) order[i] = i;
      if (net.options.shuffle) new Random(shuffleSeed(config.seed, epoch)).shuffle(order);
      const lr = rateAt(epoch);
      const epochStart = performance.now();
      const firstBatch = position.batch;
      for (let b = position.batch; b < batches; b++) {
        await yieldNow();
        if (options.signal?.aborted) {
          stopped = true;
          break outer;
        }
        const start = b * config.batchSize;
        const rows = Math.min(config.batchSize, n - start);
        const [xb, yb] = batchOf(rows);
        fillBatch(xb, yb, train, order, start, rows, pixels);
        if (config.augmentShift > 0) randomShift(xb.view(), rows, train.rows, train.cols, config.augmentShift, new Random(augmentSeed(config.seed, position.step + 1)));
        const loss = net.trainBatch(xb, yb, lr);
        position = { step: position.step + 1, epoch: position.epoch, batch: b + 1, epochLossSum: position.epochLossSum + loss * rows };
        const more = options.onBatch?.({ step: position.step, epoch, epochs: config.epochs, batch: b + 1, batches, loss, samplesDone: start + rows });
        const epochDone = b + 1 === batches;
        if (epochDone) {
          const seconds = (performance.now() - epochStart) / 1000;
          const v = net.evaluate(xTest, yTest);
          const stats: EpochStats = { epoch, epochs: config.epochs, loss: n > 0 ? position.epochLossSum / n : 0, valLoss: v.loss, valAccuracy: v.accuracy, seconds, samplesPerSecond: ((batches - firstBatch) * config.batchSize) / Math.max(seconds, 1e-9) };
          position = { step: position.step, epoch, batch: 0, epochLossSum: 0 };
          history.push(stats);
          options.onEpoch?.(stats);
        }
        if (more === false) {
          stopped = position.epoch < config.epochs;
          break outer;
        }
        if (epochDone ? position.epoch < config.epochs : saveEvery > 0 && position.step % saveEvery === 0) await save(false);
      }
    }
    const final = net.evaluate(xTest, yTest);
    await save(!stopped);
    return { net, history, testAccuracy: final.accuracy, testLoss: final.loss, step: position.step, startStep, stopped, seconds: (performance.now() - t0) / 1000 };
  } catch (error) {
    net.dispose();
    throw error;
  } finally {
    for (const t of owned) t.dispose();
  }
}

/** Copy the samples order[start .. start+rows) into the batch tensors (one-hot targets). */
function fillBatch(xb: Tensor, yb: Tensor, data: Dataset, order: Int32Array, start: number, rows: number, pixels: number): void {
  const x = xb.view();
  const y = yb.view();
  y.fill(0);
  for (let r = 0; r < rows; r++) {
    const i = order[start + r]!;
    x.set(data.images.subarray(i * pixels, (i + 1) * pixels), r * pixels);
    y[r * CLASSES + data.labels[i]!] = 1;
  }
}
