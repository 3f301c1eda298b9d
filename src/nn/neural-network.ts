// NeuralNetwork: the tutorial's class, with its vocabulary — layerSizes, forward, train, predict,
// mseLoss — on the SIMD kernels, plus the options a real user wants.
//
//   const net = NeuralNetwork.tutorial([784, 128, 64, 10], { seed: 1 });   // exactly the tutorial
//   const net = new NeuralNetwork([784, 128, 64, 10]);                      // better defaults
//   net.train(X, Y, { epochs: 10, learningRate: 0.1, batchSize: 32 });
//
// The tutorial's setup: ReLU on every layer including the output, weights N(0,1)·0.01, zero
// biases, MSE reported / 2(a − y)/batch stepped ("mse-tutorial", see losses.ts), plain SGD, no
// shuffling, and its backward rule: each layer updates its weights, then propagates the gradient
// through the updated weights (propagate: "updated", see propagate.ts and docs/MLP.md).
// The defaults: ReLU hidden layers with He init, a linear output, softmax cross-entropy, Adam, a
// reshuffle every epoch, standard backprop (propagate: "pre").

import { getBackend } from "../runtime/engine.js";
import type { Backend } from "../runtime/backend.js";
import { empty, tensorOn, type TensorData } from "../runtime/creation.js";
import { ArgumentError, FormatError, ShapeError, formatShape } from "../runtime/errors.js";
import { Random } from "../runtime/random.js";
import { Tensor } from "../runtime/tensor.js";
import { tidy, untracked } from "../runtime/tidy.js";
import { disposeOnThrow, requireRoomFor } from "../runtime/dispose-on-throw.js";
import { mse } from "../ops/loss.js";
import { scale, sub } from "../ops/elementwise.js";
import { checkActivation, type Activation } from "../ops/dense.js";
import { Dense } from "./dense.js";
import type { InitScheme } from "./init.js";
import { createLoss, type Loss, type LossName } from "./losses.js";
import type { Parameter } from "./module.js";
import { OPTIMIZER_NAMES, createOptimizer, type Optimizer, type OptimizerName } from "./optimizers.js";
import { checkPropagation, type Propagation } from "./propagate.js";
import { Sequential } from "./sequential.js";
import { parametersToSafetensors, readNetworkFile, type NetworkFileOptions } from "./serialize.js";
import { Trainer, checkDataset, type EpochStats, type EvalResult, type FitOptions } from "./train.js";

export interface NeuralNetworkOptions {
  hiddenActivation?: Activation;
  outputActivation?: Activation;
  init?: InitScheme;
  loss?: LossName;
  optimizer?: OptimizerName;
  /** Reshuffle samples each epoch. */
  shuffle?: boolean;
  /** Fixes the initial weights and the shuffling order. */
  seed?: number;
  /**
   * Which weights dL/dx goes through (propagate.ts): "pre", standard backprop (the default), or "updated",
   * the tutorial's Neuron.backward, which updates its weights first and propagates through the new ones.
   */
  propagate?: Propagation;
}

export interface TrainOptions extends Omit<FitOptions, "validation" | "epochs"> {
  epochs: number;
  learningRate?: number;
  validation?: { x: Tensor | TensorData; y: Tensor | TensorData };
  /** Print "Epoch 1/10, Loss: …" per epoch as the tutorial does (default false). */
  verbose?: boolean | ((line: string) => void);
}

const TUTORIAL: Required<Omit<NeuralNetworkOptions, "seed">> = {
  hiddenActivation: "relu",
  outputActivation: "relu",
  init: "tutorial",
  loss: "mse-tutorial",
  optimizer: "sgd",
  shuffle: false,
  propagate: "updated",
};

const DEFAULTS: Required<Omit<NeuralNetworkOptions, "seed">> = {
  hiddenActivation: "relu",
  outputActivation: "linear",
  init: "he",
  loss: "cross-entropy",
  optimizer: "adam",
  shuffle: true,
  propagate: "pre",
};

const DEFAULT_RATES: Record<OptimizerName, number> = { sgd: 0.1, momentum: 0.01, adam: 1e-3 };

export class NeuralNetwork {
  readonly layerSizes: readonly number[];
  readonly layers: Dense[];
  readonly options: Readonly<Required<NeuralNetworkOptions>>;
  readonly lossFunction: Loss;
  private readonly model: Sequential;
  private readonly backend: Backend;
  private optimizerState: Optimizer | undefined;
  private trainer: Trainer | undefined;

  constructor(layerSizes: readonly number[], options: NeuralNetworkOptions = {}) {
    if (!Array.isArray(layerSizes) || layerSizes.length < 2 || layerSizes.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new ShapeError(`NeuralNetwork: layerSizes must list at least two positive integers (inputs, …, outputs), got ${formatShape(layerSizes ?? [])}`);
    }
    this.options = { ...DEFAULTS, seed: 0, ...options };
    // Everything that can be refused is checked before the first tensor exists.
    checkActivation("NeuralNetwork", this.options.hiddenActivation);
    checkActivation("NeuralNetwork", this.options.outputActivation);
    if (!OPTIMIZER_NAMES.includes(this.options.optimizer)) {
      throw new ArgumentError(`NeuralNetwork: unknown optimizer "${String(this.options.optimizer)}" (choose ${OPTIMIZER_NAMES.join(", ")})`);
    }
    checkPropagation("NeuralNetwork", this.options.propagate);
    this.lossFunction = createLoss(this.options.loss);
    this.layerSizes = Object.freeze(layerSizes.slice());
    this.backend = getBackend();
    // Weights, biases and their gradients: twice (inputs + 1)·outputs per layer.
    const parameterValues = layerSizes.slice(1).reduce((n, out, i) => n + 2 * (layerSizes[i]! + 1) * out, 0);
    requireRoomFor(`NeuralNetwork ${formatShape(layerSizes)}`, parameterValues, this.backend.allocator.maxBytes);
    const rng = new Random(this.options.seed);
    // All or nothing: an OutOfMemoryError (or an unknown init scheme) in layer i frees layers 0..i−1.
    this.layers = disposeOnThrow(() =>
      layerSizes.slice(1).map((outputs, i) =>
        new Dense(layerSizes[i]!, outputs, {
          activation: i === layerSizes.length - 2 ? this.options.outputActivation : this.options.hiddenActivation,
          init: this.options.init,
          rng,
          name: `layers.${i}`,
        })),
    );
    this.model = new Sequential(this.layers);
  }

  /** The tutorial's network, exactly: see the comment at the top of this file. `propagate: "pre"` keeps the rest of it with standard backprop. */
  static tutorial(layerSizes: readonly number[], options: Pick<NeuralNetworkOptions, "seed" | "propagate"> = {}): NeuralNetwork {
    return new NeuralNetwork(layerSizes, { ...TUTORIAL, ...options });
  }

  get inputs(): number {
    return this.layerSizes[0]!;
  }

  get outputs(): number {
    return this.layerSizes[this.layerSizes.length - 1]!;
  }

  parameters(): Parameter[] {
    return this.model.parameters();
  }

  /** The layers and loss, for gradCheck(net, X, Y). */
  get checkable(): { layer: Sequential; loss: Loss } {
    return { layer: this.model, loss: this.lossFunction };
  }

  /** The optimizer (created on the first train() call with its learning rate). */
  get optimizer(): Optimizer | undefined {
    return this.optimizerState;
  }

  /** Forward propagation: the output layer's activations for X [rows, inputs], as a new tensor. */
  forward(x: Tensor | TensorData): Tensor {
    return this.withInput(x, "forward", (xt) => copyOf(this.model.forward(xt)));
  }

  /** What the network predicts: forward(), then softmax when trained with cross-entropy. */
  predict(x: Tensor | TensorData): Tensor {
    return this.withInput(x, "predict", (xt) => {
      const out = this.model.forward(xt);
      return this.lossFunction.outputTransform ? this.lossFunction.outputTransform(out) : copyOf(out);
    });
  }

  /** The tutorial's mse_loss(y, activations): mean((activations − y)²) over all elements. */
  mseLoss(y: Tensor, activations: Tensor): number {
    return mse(activations, y);
  }

  /** The tutorial's derivative_mse_loss(y, activations): 2(activations − y)/rows. */
  derivativeMseLoss(y: Tensor, activations: Tensor): Tensor {
    return tidy(() => scale(sub(activations, y), 2 / activations.shape[0]!));
  }

  /** Minibatch gradient descent; returns the per-epoch statistics. */
  train(x: Tensor | TensorData, y: Tensor | TensorData, options: TrainOptions): EpochStats[] {
    const trainer = this.trainerFor(options.learningRate);
    const log = options.verbose === true ? (line: string) => console.log(line) : options.verbose || undefined;
    const owned: Tensor[] = [];
    const own = (v: Tensor | TensorData, what: string, cols: number): Tensor => {
      if (v instanceof Tensor) return v;
      const t = untracked(() => toMatrix(this.backend, v, cols, what));
      owned.push(t);
      return t;
    };
    try {
      const xt = own(x, "inputs", this.inputs);
      const yt = own(y, "targets", this.outputs);
      checkDataset("train", xt, yt, this.inputs, this.outputs);
      let validation: FitOptions["validation"];
      if (options.validation) {
        validation = { x: own(options.validation.x, "validation inputs", this.inputs), y: own(options.validation.y, "validation targets", this.outputs) };
        checkDataset("train (validation)", validation.x, validation.y, this.inputs, this.outputs);
      }
      return trainer.fit(xt, yt, {
        ...options,
        shuffle: options.shuffle ?? this.options.shuffle,
        seed: options.seed ?? this.options.seed,
        validation,
        onEpoch: (stats) => {
          log?.(`Epoch ${stats.epoch}/${stats.epochs}, Loss: ${stats.loss}`);
          return options.onEpoch?.(stats);
        },
      });
    } finally {
      for (const t of owned) t.dispose();
    }
  }

  /**
   * One gradient-descent step on one batch (forward, loss, backward, update); returns its loss.
   * For custom loops and benchmarks; train() is this in a loop with shuffling and statistics.
   */
  trainBatch(x: Tensor, y: Tensor, learningRate?: number): number {
    checkDataset("trainBatch", x, y, this.inputs, this.outputs);
    return this.trainerFor(learningRate).step(x, y);
  }

  /**
   * For each layer, how many of its units output 0 for every row of x — dead ReLUs, which get
   * no gradient and never recover. With the tutorial's setup (ReLU output, N(0,1)·0.01 weights,
   * zero biases) some output units can start dead, and the digits they stand for are never
   * predicted: a known weakness of a ReLU output layer, not a bug (see docs/MLP.md).
   */
  deadUnits(x: Tensor | TensorData): number[] {
    return this.withInput(x, "deadUnits", (xt) => {
      const dead: number[] = [];
      let a = xt;
      for (const layer of this.layers) {
        a = layer.forward(a);
        const v = a.view();
        const [rows, cols] = a.shape as [number, number];
        let count = 0;
        for (let j = 0; j < cols; j++) {
          let alive = false;
          for (let r = 0; r < rows && !alive; r++) alive = v[r * cols + j]! !== 0;
          if (!alive) count++;
        }
        dead.push(count);
      }
      return dead;
    });
  }

  /** Mean loss and argmax accuracy on a data set. */
  evaluate(x: Tensor | TensorData, y: Tensor | TensorData): EvalResult {
    const trainer = this.trainerFor(undefined);
    const xt = x instanceof Tensor ? x : untracked(() => toMatrix(this.backend, x, this.inputs, "inputs"));
    const yt = y instanceof Tensor ? y : untracked(() => toMatrix(this.backend, y, this.outputs, "targets"));
    try {
      checkDataset("evaluate", xt, yt, this.inputs, this.outputs);
      return trainer.evaluate(xt, yt);
    } finally {
      if (xt !== x) xt.dispose();
      if (yt !== y) yt.dispose();
    }
  }

  /**
   * The network as safetensors bytes: weights [inputs, outputs] and biases [1, outputs] as F32,
   * the architecture in the metadata. Readable by Python's safetensors; NeuralNetwork.load reads it.
   */
  save(): Uint8Array {
    const { seed, ...rest } = this.options;
    const metadata: Record<string, string> = { layerSizes: JSON.stringify(this.layerSizes), seed: String(seed) };
    for (const [k, v] of Object.entries(rest)) metadata[k] = String(v);
    return parametersToSafetensors(this.parameters(), metadata);
  }

  /**
   * Rebuild a network saved by save(). readNetworkFile checks the whole file first (metadata fields,
   * every tensor's shape, `maxBytes`, default 2 GiB), so a bad file is a FormatError naming the field
   * or tensor and costs about its own size; only then is the network built.
   */
  static load(bytes: Uint8Array, options: NetworkFileOptions = {}): NeuralNetwork {
    const file = readNetworkFile(bytes, options);
    const net = new NeuralNetwork(file.layerSizes, file.options);
    try {
      for (const p of net.parameters()) {
        const t = file.tensors.get(p.name);
        // readNetworkFile matched every tensor to the layer sizes; this guards a drift between the two.
        if (!t || t.data.length !== p.value.size) throw new FormatError(`NeuralNetwork.load: tensor "${p.name}" does not fit the network`, 8);
        p.value.view().set(t.data);
      }
    } catch (error) {
      net.dispose();
      throw error;
    }
    return net;
  }

  dispose(): void {
    this.model.dispose();
    this.lossFunction.dispose();
    this.optimizerState?.dispose();
    this.trainer?.dispose();
  }

  /** The optimizer (created with the first learning rate given, or the optimizer's default) and trainer. */
  private trainerFor(learningRate: number | undefined): Trainer {
    if (learningRate !== undefined && !(learningRate > 0 && Number.isFinite(learningRate))) {
      throw new ArgumentError(`train: learningRate must be a finite number > 0, got ${learningRate}`);
    }
    if (!this.optimizerState) {
      this.optimizerState = createOptimizer(this.options.optimizer, learningRate ?? DEFAULT_RATES[this.options.optimizer]);
    } else if (learningRate !== undefined) {
      this.optimizerState.learningRate = learningRate;
    }
    this.trainer ??= new Trainer(this.model, this.lossFunction, this.optimizerState, this.backend, { propagate: this.options.propagate });
    return this.trainer;
  }

  private withInput<T>(x: Tensor | TensorData, op: string, fn: (x: Tensor) => T): T {
    const xt = x instanceof Tensor ? x : untracked(() => toMatrix(this.backend, x, this.inputs, "inputs"));
    try {
      if (xt.rank !== 2 || xt.shape[1] !== this.inputs) {
        throw new ShapeError(`NeuralNetwork.${op}: inputs ${formatShape(xt.shape)} must be [rows,${this.inputs}]`);
      }
      return fn(xt);
    } finally {
      if (xt !== x) xt.dispose();
    }
  }
}

/** A user-owned copy of a layer buffer (layer buffers are reused by the next call). */
function copyOf(t: Tensor): Tensor {
  const out = empty(t.shape, t.backend, "copy");
  out.view().set(t.view()); // both views taken after the allocation, which may grow memory
  return out;
}

/** Nested rows or flat data with `cols` columns → a [rows, cols] tensor. */
function toMatrix(backend: Backend, data: TensorData, cols: number, what: string): Tensor {
  const flat = typeof data === "number" ? [data] : Array.isArray(data) && data.some(Array.isArray) ? (data as number[][]).flat() : (data as ArrayLike<number>);
  if (flat.length % cols !== 0) throw new ShapeError(`NeuralNetwork: ${flat.length} ${what} values do not form rows of ${cols}`);
  return tensorOn(backend, flat, [flat.length / cols, cols]);
}
