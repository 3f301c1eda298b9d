// Which weights the backward pass propagates through: a choice between standard backprop and the tutorial.
//
// "pre" (standard backprop): every gradient is computed first, with the weights of the forward pass, and
// the optimizer updates all parameters afterwards. dx = dz·Wᵀ uses W from before the update.
//
// "updated" (the tutorial's code as written): Neuron.backward computes its gradients, updates its own
// weights, and only then returns dC_dz @ self.weights.T — so the gradient handed to the layer below has
// gone through the UPDATED weights. Layer.backward sums those per-neuron returns, which is dz·W_newᵀ for the
// whole layer (neuron j's update touches column j of W only). UpdateThenPropagate runs that rule with any
// optimizer on a Sequential (or single layer) whose parameterised layers can split their backward pass.
//
// A divergence mid-pass (a non-finite gradient in a lower layer, after upper layers were already updated)
// restores every parameter from a copy taken at the start of the step, so the weights from before the step
// are kept as with "pre"; optimizer state (momentum, Adam moments) of the layers already updated is not
// restored.

import type { Backend } from "../runtime/backend.js";
import { ArgumentError, DivergenceError } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { sumSquares } from "../ops/optim.js";
import { BufferCache } from "./buffers.js";
import type { Layer, Parameter } from "./module.js";
import { Adam, type Optimizer } from "./optimizers.js";
import { Sequential } from "./sequential.js";

export type Propagation = "pre" | "updated";
export const PROPAGATIONS: readonly Propagation[] = ["pre", "updated"];

export function checkPropagation(op: string, value: unknown): asserts value is Propagation {
  if (!PROPAGATIONS.includes(value as Propagation)) {
    throw new ArgumentError(`${op}: propagate must be one of ${PROPAGATIONS.join(", ")}, got ${JSON.stringify(value)}`);
  }
}

/** A layer whose backward pass has two halves, so that an update can run between them. */
export interface SplitBackward extends Layer {
  /** Writes the parameter gradients from dL/dy. */
  backwardParameters(dy: Tensor): void;
  /** Returns dL/dx through the parameters as they are now. */
  backwardInput(): Tensor;
}

function splits(layer: Layer): layer is SplitBackward {
  const l = layer as Partial<SplitBackward>;
  return typeof l.backwardParameters === "function" && typeof l.backwardInput === "function";
}

export class UpdateThenPropagate {
  private readonly layers: Layer[];
  private readonly saved = new BufferCache();

  constructor(model: Layer, private readonly optimizer: Optimizer, private readonly backend: Backend) {
    this.layers = model instanceof Sequential ? model.layers : [model];
    for (const layer of this.layers) {
      if (layer.parameters().length > 0 && !splits(layer)) {
        throw new ArgumentError(`propagate "updated": layer ${layer.kind} has parameters but cannot update between its gradient and its backward pass (only layers with backwardParameters/backwardInput, such as Dense, can)`);
      }
    }
  }

  /**
   * Backward from dL/d(output), last layer first: each layer's gradients, a finite check, its update, then
   * its input gradient through the updated parameters. `where` labels a DivergenceError.
   */
  run(dy: Tensor, where: { epoch: number; batch: number; batches: number; loss: number }): void {
    this.snapshot();
    const stepsBefore = this.optimizer instanceof Adam ? this.optimizer.stepCount : 0;
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i]!;
      const needInput = i > 0;
      if (!splits(layer)) {
        if (needInput) g = layer.backward(g, true)!;
        continue;
      }
      layer.backwardParameters(g);
      const params = layer.parameters();
      let sq = 0;
      for (const p of params) sq += sumSquares(p.grad);
      if (!Number.isFinite(sq)) {
        this.restore();
        throw new DivergenceError(
          `training diverged: the gradient of ${layer.kind} layer ${i} is not finite at epoch ${where.epoch}, batch ${where.batch}/${where.batches} (loss ${where.loss}); the weights from before this step are restored`,
          where.epoch, where.batch,
        );
      }
      // Adam counts calls to correct its moments' bias; one training step is one count, however many layers.
      if (this.optimizer instanceof Adam) this.optimizer.stepCount = stepsBefore;
      this.optimizer.step(params);
      if (needInput) g = layer.backwardInput();
    }
  }

  dispose(): void {
    this.saved.dispose();
  }

  /** The parameters and, index for index, their copies (allocated before any view is taken: allocation may grow memory). */
  private withCopies(): { params: Parameter[]; copies: Tensor[] } {
    const params = this.layers.flatMap((l) => l.parameters());
    return { params, copies: params.map((p, i) => this.saved.get(this.backend, `p${i}`, p.value.shape)) };
  }

  private snapshot(): void {
    const { params, copies } = this.withCopies();
    const f32 = this.backend.f32;
    params.forEach((p, i) => f32.copyWithin(copies[i]!.ptr >>> 2, p.value.ptr >>> 2, (p.value.ptr >>> 2) + p.value.size));
  }

  private restore(): void {
    const { params, copies } = this.withCopies();
    const f32 = this.backend.f32;
    params.forEach((p, i) => f32.copyWithin(p.value.ptr >>> 2, copies[i]!.ptr >>> 2, (copies[i]!.ptr >>> 2) + p.value.size));
  }
}
