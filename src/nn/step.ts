// One guarded training step, shared by Trainer (MLPs) and GptTrainer:
//
//   finite loss → backward → gradient norm (finite) → clipping → update → parameters still finite
//
// A step is HEALTHY when its loss is finite, the global gradient norm √(Σ g²) is finite (so no
// gradient is NaN or ±∞, nor so large that its square overflows), and after the update every
// parameter and every optimizer state value (velocities, Adam moments) is finite. The state after
// the last healthy step is what a DivergenceError leaves behind, bit for bit:
//   - a non-finite loss or gradient norm is found before anything is written;
//   - an update that makes a parameter or a state value non-finite is undone: the parameters, the
//     optimizer state tensors and the optimizer's step count are restored from a copy taken just
//     before the update.
// The copy costs one memmove of the parameters and the state per step (no allocation after the
// first step: the backup tensors are made once and reused). An update that leaves the weights
// finite but huge is healthy by this definition; the next step's loss or gradient check stops it.

import type { Backend } from "../runtime/backend.js";
import { tensorOn } from "../runtime/creation.js";
import { ArgumentError, DivergenceError } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { untracked } from "../runtime/tidy.js";
import { scale } from "../ops/elementwise.js";
import { allFinite, sumSquares } from "../ops/optim.js";
import type { Parameter } from "./module.js";
import type { Optimizer } from "./optimizers.js";

/** The work of one step that differs between models. */
export interface StepWork {
  /** Forward pass and loss on the current batch. */
  forward(): number;
  /** Backward pass: writes every parameter's gradient. */
  backward(): void;
}

export interface StepOptions {
  /** Scale the gradients down so their global norm is at most this (0 or undefined: no clipping). */
  clipNorm?: number;
  /** Set the optimizer's learning rate for this update (default: leave it). */
  learningRate?: number;
  /** Where the step is, for the error message: "epoch 3, batch 2/8" or "step 120". */
  where: string;
  /** Carried by DivergenceError. */
  epoch: number;
  batch: number;
}

export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/** Copies of tensors in the same backend memory, made once per tensor and overwritten each save. */
class Backups {
  private readonly copies = new Map<Tensor, Tensor>();

  save(tensors: readonly Tensor[]): void {
    for (const t of tensors) {
      let copy = this.copies.get(t);
      if (!copy || copy.isDisposed) {
        const source = t;
        copy = untracked(() => tensorOn(source.backend, new Float32Array(source.size), source.shape));
        this.copies.set(t, copy);
      }
      move(t.backend, t, copy);
    }
  }

  restore(tensors: readonly Tensor[]): void {
    for (const t of tensors) move(t.backend, this.copies.get(t)!, t);
  }

  dispose(): void {
    for (const t of this.copies.values()) t.dispose();
    this.copies.clear();
  }
}

function move(backend: Backend, from: Tensor, to: Tensor): void {
  const src = from.ptr >>> 2;
  backend.f32.copyWithin(to.ptr >>> 2, src, src + from.size);
}

export class GuardedStep {
  private readonly backups = new Backups();

  constructor(
    private readonly params: readonly Parameter[],
    private readonly optimizer: Optimizer,
  ) {}

  run(work: StepWork, options: StepOptions): StepResult {
    const { clipNorm = 0, where, epoch, batch } = options;
    if (!(Number.isFinite(clipNorm) && clipNorm >= 0)) throw new ArgumentError(`training step: clipNorm must be a finite number >= 0, got ${clipNorm}`);
    const diverged = (what: string, kept: string) =>
      new DivergenceError(`training diverged: ${what} at ${where}; ${kept} (try a smaller learning rate)`, epoch, batch);

    const loss = work.forward();
    if (!Number.isFinite(loss)) throw diverged(`loss is ${loss}`, "the weights from before this step are kept");
    work.backward();
    let sq = 0;
    for (const p of this.params) sq += sumSquares(p.grad);
    const gradNorm = Math.sqrt(sq);
    if (!Number.isFinite(gradNorm)) {
      throw diverged(`the gradient is not finite (norm ${gradNorm}, loss ${loss})`, "the weights from before this step are kept");
    }
    if (clipNorm > 0 && gradNorm > clipNorm) {
      const f = clipNorm / gradNorm;
      for (const p of this.params) scale(p.grad, f, { out: p.grad });
    }
    if (options.learningRate !== undefined) this.optimizer.learningRate = options.learningRate;

    const state = this.optimizer.stateTensors?.(this.params) ?? [];
    const written = [...this.params.map((p) => p.value), ...state];
    const stepCount = this.optimizer.stepCount;
    this.backups.save(written);
    const restore = () => {
      this.backups.restore(written);
      if (stepCount !== undefined) this.optimizer.stepCount = stepCount;
    };
    try {
      this.optimizer.step(this.params);
    } catch (error) {
      restore(); // e.g. an ArgumentError for a NaN learning rate: all or nothing here too
      throw error;
    }
    const bad = written.find((t) => !allFinite(t));
    if (bad !== undefined) {
      restore();
      const name = this.params.find((p) => p.value === bad)?.name ?? "the optimizer state";
      throw diverged(
        `the update made ${name} non-finite (loss ${loss}, gradient norm ${gradNorm})`,
        "the parameters and optimizer state from before this step are restored",
      );
    }
    return { loss, gradNorm };
  }

  dispose(): void {
    this.backups.dispose();
  }
}
