// Losses: a value to report and the gradient that starts backpropagation.
//
// The tutorial prints mse = mean((a − y)²) over all elements, but steps with
// derivative_mse_loss = 2(a − y)/batch, which is the gradient of the squared error summed over the
// outputs and averaged over the batch — `outputs` times the gradient of what it prints. Both are
// here, named for what they are: "mse" (gradient of the reported loss, 2(a − y)/(batch·outputs))
// and "mse-tutorial" (the tutorial's step, for reproducing its runs exactly). gradCheck tells them
// apart: only "mse" agrees with finite differences of the reported value.

import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { mse, mseBackward, softmaxCrossEntropy } from "../ops/loss.js";
import { softmax } from "../ops/softmax.js";
import { BufferCache } from "./buffers.js";

export type LossName = "mse" | "mse-tutorial" | "cross-entropy";
export const LOSS_NAMES: readonly LossName[] = ["mse", "mse-tutorial", "cross-entropy"];

export interface Loss {
  readonly name: LossName;
  /** The loss value for predictions (or logits) against targets, both [rows, outputs]. */
  forward(pred: Tensor, target: Tensor): number;
  /** d(loss)/d(pred) for the last forward (the tutorial's variant: its own step, see above). */
  backward(): Tensor;
  /** What predict() shows: identity for MSE, softmax probabilities for cross-entropy. */
  readonly outputTransform?: (pred: Tensor) => Tensor;
  dispose(): void;
}

function checkPair(name: string, pred: Tensor, target: Tensor): void {
  if (pred.rank !== 2 || pred.shape[0] !== target.shape[0] || pred.shape[1] !== target.shape[1]) {
    throw new ShapeError(`${name} loss: predictions ${formatShape(pred.shape)} and targets ${formatShape(target.shape)} differ in shape`);
  }
}

class MseLoss implements Loss {
  private readonly buffers = new BufferCache();
  private last: [Tensor, Tensor] | undefined;

  constructor(readonly name: "mse" | "mse-tutorial") {}

  forward(pred: Tensor, target: Tensor): number {
    checkPair(this.name, pred, target);
    this.last = [pred, target];
    return mse(pred, target);
  }

  backward(): Tensor {
    if (!this.last) throw new ShapeError(`${this.name} loss: backward called before forward`);
    const [pred, target] = this.last;
    const rows = pred.shape[0]!;
    const scale = this.name === "mse" ? 2 / pred.size : 2 / rows;
    return mseBackward(pred, target, scale, { out: this.buffers.get(pred.backend, "grad", pred.shape) });
  }

  dispose(): void {
    this.buffers.dispose();
  }
}

class CrossEntropyLoss implements Loss {
  readonly name = "cross-entropy";
  private readonly buffers = new BufferCache();
  private grad: Tensor | undefined;
  readonly outputTransform = (pred: Tensor): Tensor => softmax(pred);

  forward(logits: Tensor, target: Tensor): number {
    checkPair(this.name, logits, target);
    this.grad = this.buffers.get(logits.backend, "grad", logits.shape);
    return softmaxCrossEntropy(logits, target, { grad: this.grad });
  }

  backward(): Tensor {
    if (!this.grad) throw new ShapeError("cross-entropy loss: backward called before forward");
    return this.grad;
  }

  dispose(): void {
    this.buffers.dispose();
  }
}

export function createLoss(name: LossName): Loss {
  switch (name) {
    case "mse":
    case "mse-tutorial":
      return new MseLoss(name);
    case "cross-entropy":
      return new CrossEntropyLoss();
    default:
      throw new ArgumentError(`unknown loss "${String(name)}" (choose ${LOSS_NAMES.join(", ")})`);
  }
}
