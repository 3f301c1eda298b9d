// The training loop: minibatch gradient descent, as the tutorial's NeuralNetwork.train does —
// forward, loss, backward (chain rule, last layer to first), update — plus shuffling, validation,
// callbacks, early stop and divergence detection (the guarded step in step.ts, shared with GptTrainer). After the first batch of each batch size the
// loop allocates nothing: batch buffers and every layer buffer are reused.

import type { Backend } from "../runtime/backend.js";
import { ArgumentError, DivergenceError, ShapeError, formatShape } from "../runtime/errors.js";
import { Random } from "../runtime/random.js";
import type { Tensor } from "../runtime/tensor.js";
import type { HostAbortSignal } from "../runtime/host-types.js";
import { argmaxRows } from "../ops/reduce.js";
import { allFinite } from "../ops/optim.js";
import { BufferCache } from "./buffers.js";
import { gatherRows } from "./gather-rows.js";
import type { Loss } from "./losses.js";
import type { Layer, Parameter } from "./module.js";
import type { Optimizer } from "./optimizers.js";
import { UpdateThenPropagate, checkPropagation, type Propagation } from "./propagate.js";
import { GuardedStep } from "./step.js";

export interface EpochStats {
  epoch: number;
  epochs: number;
  /** Mean training loss over the epoch's samples (as the tutorial prints it). */
  loss: number;
  valLoss?: number;
  valAccuracy?: number;
  seconds: number;
  samplesPerSecond: number;
}

export interface BatchStats {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  samplesDone: number;
}

export interface FitOptions {
  epochs: number;
  batchSize?: number;
  /** Reshuffle the sample order each epoch (seeded). */
  shuffle?: boolean;
  /**
   * Seed of the loop's Random (default 0), one per fit call: before each epoch the previous epoch's
   * order (0…n−1 at first) is shuffled in place as Random.shuffle does (Fisher–Yates, i from n−1 down
   * to 1, j = rng.int(i + 1)). `augment` draws from the same generator, so it changes later orders.
   */
  seed?: number;
  validation?: { x: Tensor; y: Tensor };
  /** Return false to stop after this epoch. */
  onEpoch?: (stats: EpochStats) => void | boolean;
  /** Return false to stop after this batch. */
  onBatch?: (stats: BatchStats) => void | boolean;
  /** Abort between batches. */
  signal?: HostAbortSignal;
  /**
   * Called on each training batch's inputs (a reusable buffer, [rows, inputs]) before the forward
   * pass, to augment them in place — e.g. random shifts of images. Draws from the loop's seeded rng.
   */
  augment?: (x: Tensor, rng: Random) => void;
  /** Learning rate per epoch (1-based), e.g. a decay; overrides the optimizer's rate. */
  learningRateAt?: (epoch: number) => number;
}

export interface EvalResult {
  loss: number;
  /** Fraction of rows whose argmax matches the target's argmax (classification). */
  accuracy: number;
}

/** Copies sample rows into reusable batch tensors (in Wasm memory: one memmove per row or run). */
class Batcher {
  private readonly buffers = new BufferCache();

  constructor(private readonly backend: Backend) {}

  gather(src: Tensor, name: string, order: Int32Array, start: number, count: number): Tensor {
    const cols = src.shape[1]!;
    const dst = this.buffers.get(this.backend, name, [count, cols]);
    gatherRows(this.backend.f32, src.ptr >>> 2, dst.ptr >>> 2, cols, order, start, count);
    return dst;
  }

  dispose(): void {
    this.buffers.dispose();
  }
}

export function checkDataset(op: string, x: Tensor, y: Tensor, inputs: number, outputs: number): void {
  if (x.rank !== 2 || x.shape[1] !== inputs) throw new ShapeError(`${op}: inputs ${formatShape(x.shape)} must be [samples,${inputs}]`);
  if (y.rank !== 2 || y.shape[1] !== outputs) throw new ShapeError(`${op}: targets ${formatShape(y.shape)} must be [samples,${outputs}]`);
  if (x.shape[0] !== y.shape[0]) throw new ShapeError(`${op}: ${x.shape[0]} input rows but ${y.shape[0]} target rows`);
}

export class Trainer {
  private readonly batcher: Batcher;
  private readonly params: Parameter[];
  private readonly guarded: GuardedStep;
  private epochsDone = 0;

  /** Set for propagate "updated" (the tutorial's rule, see propagate.ts): it runs backward and the updates. */
  private readonly updateThenPropagate: UpdateThenPropagate | undefined;

  constructor(
    readonly model: Layer,
    readonly loss: Loss,
    readonly optimizer: Optimizer,
    private readonly backend: Backend,
    options: { propagate?: Propagation } = {},
  ) {
    const { propagate = "pre" } = options;
    checkPropagation("Trainer", propagate);
    this.batcher = new Batcher(backend);
    this.params = model.parameters();
    this.guarded = new GuardedStep(this.params, optimizer);
    if (propagate === "updated") this.updateThenPropagate = new UpdateThenPropagate(model, optimizer, backend);
  }

  fit(x: Tensor, y: Tensor, options: FitOptions): EpochStats[] {
    const { epochs, batchSize = 32, shuffle = false } = options;
    if (!Number.isInteger(epochs) || epochs < 0) throw new ArgumentError(`train: epochs must be a non-negative integer, got ${epochs}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError(`train: batchSize must be a positive integer, got ${batchSize}`);
    if (x.shape[0] !== y.shape[0]) throw new ShapeError(`train: ${x.shape[0]} input rows but ${y.shape[0]} target rows`);
    const n = x.shape[0]!;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const rng = new Random(options.seed ?? 0);
    const history: EpochStats[] = [];
    const batches = Math.ceil(n / batchSize);
    const lastEpoch = this.epochsDone + epochs;
    for (let e = 0; e < epochs; e++) {
      const epoch = ++this.epochsDone;
      if (shuffle) rng.shuffle(order);
      if (options.learningRateAt) this.optimizer.learningRate = options.learningRateAt(epoch);
      const t0 = performance.now();
      let total = 0;
      let stop = false;
      for (let b = 0; b < batches && !stop; b++) {
        if (options.signal?.aborted) {
          stop = true;
          break;
        }
        const start = b * batchSize;
        const count = Math.min(batchSize, n - start);
        const xb = this.batcher.gather(x, "x", order, start, count);
        const yb = this.batcher.gather(y, "y", order, start, count);
        options.augment?.(xb, rng);
        const loss = this.step(xb, yb, epoch, b + 1, batches);
        total += loss * count;
        if (options.onBatch?.({ epoch, batch: b + 1, batches, loss, samplesDone: start + count }) === false) stop = true;
      }
      const seconds = (performance.now() - t0) / 1000;
      const stats: EpochStats = { epoch, epochs: lastEpoch, loss: n > 0 ? total / n : 0, seconds, samplesPerSecond: n / Math.max(seconds, 1e-9) };
      if (options.validation) {
        const v = this.evaluate(options.validation.x, options.validation.y);
        stats.valLoss = v.loss;
        stats.valAccuracy = v.accuracy;
      }
      history.push(stats);
      if (options.onEpoch?.(stats) === false || stop) break;
    }
    return history;
  }

  /**
   * One step of gradient descent on one batch: forward, loss, backward, update, guarded (see
   * step.ts). Returns the batch loss. Throws DivergenceError if the step is not healthy, leaving the
   * parameters and optimizer state as the last healthy step left them; `epoch`/`batch` only label
   * that error.
   */
  step(xb: Tensor, yb: Tensor, epoch = this.epochsDone, batch = 1, batches = 1): number {
    if (this.updateThenPropagate) {
      // The tutorial's rule updates layer by layer during backward, so the guarded step (which updates
      // after a complete backward) does not apply; UpdateThenPropagate restores the weights itself.
      const loss = this.loss.forward(this.model.forward(xb), yb);
      if (!Number.isFinite(loss)) {
        throw new DivergenceError(`training diverged: loss is ${loss} at epoch ${epoch}, batch ${batch}/${batches}; the weights from before this step are kept (try a smaller learning rate)`, epoch, batch);
      }
      this.updateThenPropagate.run(this.loss.backward(), { epoch, batch, batches, loss });
      return loss;
    }
    const work = {
      forward: () => this.loss.forward(this.model.forward(xb), yb),
      backward: () => void this.model.backward(this.loss.backward()),
    };
    return this.guarded.run(work, { where: `epoch ${epoch}, batch ${batch}/${batches}`, epoch, batch }).loss;
  }

  /** Loss and argmax accuracy over a data set, in batches (no parameter changes). */
  evaluate(x: Tensor, y: Tensor, batchSize = 500): EvalResult {
    if (x.shape[0] !== y.shape[0]) throw new ShapeError(`evaluate: ${x.shape[0]} input rows but ${y.shape[0]} target rows`);
    const n = x.shape[0]!;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    let total = 0;
    let correct = 0;
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(batchSize, n - start);
      const xb = this.batcher.gather(x, "eval-x", order, start, count);
      const yb = this.batcher.gather(y, "eval-y", order, start, count);
      const out = this.model.forward(xb);
      total += this.loss.forward(out, yb) * count;
      const predicted = argmaxRows(out);
      const wanted = argmaxRows(yb);
      for (let i = 0; i < count; i++) if (predicted[i] === wanted[i]) correct++;
    }
    return { loss: n > 0 ? total / n : 0, accuracy: n > 0 ? correct / n : 0 };
  }

  /** True if every parameter is finite (used by tests and after a DivergenceError). */
  parametersFinite(): boolean {
    return this.model.parameters().every((p) => allFinite(p.value));
  }

  dispose(): void {
    this.batcher.dispose();
    this.guarded.dispose();
    this.updateThenPropagate?.dispose();
  }
}
