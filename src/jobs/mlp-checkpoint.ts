// train-mlp checkpoints: a NeuralNetwork file (the layout NeuralNetwork.save writes, loadable by
// NeuralNetwork.load) plus what an exact resume needs: the optimizer's state tensors
// ("optimizer.*") and, in __metadata__.training, the run's configuration and its position (steps
// done, epoch, batch within the epoch, the epoch's running loss).

import { FormatError } from "../runtime/errors.js";
import { readSafetensors, writeSafetensors, type SafetensorsInput } from "../io/safetensors.js";
import { NeuralNetwork } from "../nn/neural-network.js";
import { MLP_FORMAT } from "../nn/serialize.js";
import { OPTIMIZER_PREFIX, optimizerStateTensors, optimizerStepCount, restoreOptimizerState } from "./optimizer-state.js";
import type { Optimizer } from "../nn/optimizers.js";
import type { LossName } from "../nn/losses.js";
import type { OptimizerName } from "../nn/optimizers.js";

/** What a train-mlp run is: everything that decides its arithmetic. */
export interface MlpTrainingConfig {
  /** "default" (He init, linear output, cross-entropy, Adam, shuffling) or "tutorial" (see NeuralNetwork.tutorial). */
  preset: "default" | "tutorial";
  layers: number[];
  /** Total epochs of the run (a resumed run continues up to this many). */
  epochs: number;
  batchSize: number;
  /** Undefined: the optimizer's default rate. */
  learningRate?: number;
  loss?: LossName;
  optimizer?: OptimizerName;
  /** Random image shift of up to this many pixels (0: off). */
  augmentShift: number;
  /** Cosine learning-rate decay over the epochs. */
  cosine: boolean;
  seed: number;
}

/** Where a run stands: enough to continue it exactly. */
export interface MlpPosition {
  /** Optimisation steps (batches) done since the start of the run. */
  step: number;
  /** Whole epochs done. */
  epoch: number;
  /** Batches done in the epoch under way (0 at an epoch boundary). */
  batch: number;
  /** Sum of batch loss × batch rows in the epoch under way (for its mean loss). */
  epochLossSum: number;
}

export interface MlpCheckpointState {
  config: MlpTrainingConfig;
  position: MlpPosition;
  /** What the run trained on ("mnist", a folder…), for messages. */
  data: string;
}

const TRAINING_KEY = "training";

export function saveMlpCheckpoint(net: NeuralNetwork, state: MlpCheckpointState): Uint8Array {
  const file = readSafetensors(net.save());
  const tensors: Record<string, SafetensorsInput> = { ...file.tensors };
  const optimizer = net.optimizer;
  let optimizerSteps = 0;
  if (optimizer) {
    for (const [name, t] of optimizerStateTensors(optimizer, net.parameters())) tensors[name] = { shape: t.shape, data: t.toFloat32Array() };
    optimizerSteps = optimizerStepCount(optimizer);
  }
  const training = { ...state, optimizerSteps, optimizerState: optimizer ? optimizer.name : "none" };
  return writeSafetensors(tensors, { ...file.metadata, [TRAINING_KEY]: JSON.stringify(training) });
}

export interface LoadedMlpCheckpoint extends MlpCheckpointState {
  net: NeuralNetwork;
  /**
   * Copy the saved optimizer state into `optimizer` (the network's, created for the resumed run).
   * False when the file carries none (a model saved by NeuralNetwork.save): training then continues
   * from fresh optimizer state, which is not an exact continuation.
   */
  restoreOptimizer(optimizer: Optimizer): boolean;
}

const bad = (what: string): never => {
  throw new FormatError(`train-mlp checkpoint: __metadata__.training ${what}`, 8);
};

function nonNegativeInteger(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) bad(`field "${name}" must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v as number;
}

function parseTraining(text: string | undefined): (MlpCheckpointState & { optimizerSteps: number; optimizerState: string }) | undefined {
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    bad("is not JSON");
  }
  if (raw === null || typeof raw !== "object") bad("is not an object");
  const r = raw as Record<string, unknown>;
  const c = r.config as Record<string, unknown> | undefined;
  const p = r.position as Record<string, unknown> | undefined;
  if (!c || typeof c !== "object") bad('has no "config" object');
  if (!p || typeof p !== "object") bad('has no "position" object');
  if (c!.preset !== "default" && c!.preset !== "tutorial") bad(`config.preset must be "default" or "tutorial", got ${JSON.stringify(c!.preset)}`);
  if (!Array.isArray(c!.layers) || !c!.layers.every((n) => Number.isInteger(n) && n >= 1)) bad("config.layers must be a list of positive integers");
  const epochs = nonNegativeInteger(c!.epochs, "config.epochs");
  const batchSize = nonNegativeInteger(c!.batchSize, "config.batchSize");
  if (batchSize < 1) bad("config.batchSize must be >= 1");
  if (c!.learningRate !== undefined && !(typeof c!.learningRate === "number" && c!.learningRate > 0 && Number.isFinite(c!.learningRate))) bad("config.learningRate must be a number > 0");
  if (typeof c!.cosine !== "boolean") bad("config.cosine must be true or false");
  const epochLossSum = p!.epochLossSum;
  if (typeof epochLossSum !== "number" || !Number.isFinite(epochLossSum) || epochLossSum < 0) bad("position.epochLossSum must be a finite number >= 0");
  return {
    config: {
      preset: c!.preset as "default" | "tutorial",
      layers: (c!.layers as number[]).slice(),
      epochs,
      batchSize,
      learningRate: c!.learningRate as number | undefined,
      loss: c!.loss as LossName | undefined,
      optimizer: c!.optimizer as OptimizerName | undefined,
      augmentShift: nonNegativeInteger(c!.augmentShift, "config.augmentShift"),
      cosine: c!.cosine as boolean,
      seed: nonNegativeInteger(c!.seed, "config.seed"),
    },
    position: {
      step: nonNegativeInteger(p!.step, "position.step"),
      epoch: nonNegativeInteger(p!.epoch, "position.epoch"),
      batch: nonNegativeInteger(p!.batch, "position.batch"),
      epochLossSum: epochLossSum as number,
    },
    data: typeof r.data === "string" ? r.data : "",
    optimizerSteps: nonNegativeInteger(r.optimizerSteps, "optimizerSteps"),
    optimizerState: typeof r.optimizerState === "string" ? r.optimizerState : bad('field "optimizerState" must be a string'),
  };
}

/** The run a checkpoint records (configuration and position), from its header alone; undefined for a plain saved network. */
export function readMlpCheckpointSummary(bytes: Uint8Array): (MlpCheckpointState & { optimizerState: string }) | undefined {
  const { metadata } = readSafetensors(bytes);
  if (metadata.format !== MLP_FORMAT) {
    throw new FormatError(`train-mlp checkpoint: __metadata__.format is ${JSON.stringify(metadata.format)}, expected "${MLP_FORMAT}" (not a network saved by train-mlp)`, 8);
  }
  return parseTraining(metadata[TRAINING_KEY]);
}

/**
 * Read a checkpoint written by saveMlpCheckpoint (or a plain NeuralNetwork.save file, which resumes
 * at step 0 of its own). The network itself goes through NeuralNetwork.load and its checks.
 */
export function loadMlpCheckpoint(bytes: Uint8Array): LoadedMlpCheckpoint & { hasTrainingState: boolean } {
  const file = readSafetensors(bytes);
  if (file.metadata.format !== MLP_FORMAT) {
    throw new FormatError(`train-mlp checkpoint: __metadata__.format is ${JSON.stringify(file.metadata.format)}, expected "${MLP_FORMAT}" (not a network saved by train-mlp)`, 8);
  }
  const training = parseTraining(file.metadata[TRAINING_KEY]);
  const model: Record<string, SafetensorsInput> = {};
  const state = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, t] of Object.entries(file.tensors)) {
    if (name.startsWith(OPTIMIZER_PREFIX)) state.set(name, t);
    else model[name] = t;
  }
  if (!training && state.size > 0) bad("is missing, but the file has optimizer state");
  const { [TRAINING_KEY]: _, ...metadata } = file.metadata;
  const net = NeuralNetwork.load(writeSafetensors(model, metadata));
  const config: MlpTrainingConfig = training?.config ?? {
    preset: "default",
    layers: net.layerSizes.slice(),
    epochs: 0,
    batchSize: 32,
    augmentShift: 0,
    cosine: false,
    seed: net.options.seed,
  };
  if (training && (config.layers.length !== net.layerSizes.length || config.layers.some((n, i) => n !== net.layerSizes[i]))) {
    net.dispose();
    bad(`config.layers [${config.layers.join(",")}] differ from the network's layerSizes [${net.layerSizes.join(",")}]`);
  }
  return {
    net,
    config,
    position: training?.position ?? { step: 0, epoch: 0, batch: 0, epochLossSum: 0 },
    data: training?.data ?? "",
    hasTrainingState: training !== undefined,
    restoreOptimizer(optimizer: Optimizer): boolean {
      if (!training || training.optimizerState === "none") return false;
      if (training.optimizerState !== optimizer.name) {
        throw new FormatError(`train-mlp checkpoint: it holds ${training.optimizerState} state, but the run uses ${optimizer.name}`, 8);
      }
      restoreOptimizerState("train-mlp checkpoint", optimizer, net.parameters(), state, training.optimizerSteps);
      return true;
    },
  };
}
