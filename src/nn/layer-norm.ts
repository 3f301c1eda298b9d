// LayerNorm over the last axis: y = γ ⊙ (x − mean)/√(var + ε) + β, per row. Saves each row's mean
// and 1/σ for the backward pass (which then needs no second pass over x for the statistics).

import { getBackend } from "../runtime/engine.js";
import type { Backend } from "../runtime/backend.js";
import { tensor } from "../runtime/creation.js";
import { ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { untracked } from "../runtime/tidy.js";
import { disposeOnThrow } from "../runtime/dispose-on-throw.js";
import { layerNorm, layerNormBackward } from "../ops/norm.js";
import { BufferCache } from "./buffers.js";
import type { Layer, Parameter } from "./module.js";

export class LayerNorm implements Layer {
  readonly kind = "LayerNorm";
  private readonly backend: Backend;
  readonly gamma: Tensor;
  readonly beta: Tensor;
  private readonly dgamma: Tensor;
  private readonly dbeta: Tensor;
  private readonly buffers = new BufferCache();
  private input: Tensor | undefined;
  private stats: { mean: Tensor; rstd: Tensor } | undefined;

  constructor(readonly features: number, readonly options: { eps?: number; name?: string } = {}) {
    if (!Number.isInteger(features) || features < 1) throw new ShapeError(`LayerNorm: features must be a positive integer, got ${features}`);
    this.backend = getBackend();
    [this.gamma, this.beta, this.dgamma, this.dbeta] = disposeOnThrow(() => untracked(() => [
      tensor(new Float32Array(features).fill(1), [features]),
      tensor(new Float32Array(features), [features]),
      tensor(new Float32Array(features), [features]),
      tensor(new Float32Array(features), [features]),
    ]));
  }

  get name(): string {
    return this.options.name ?? "ln";
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.features) {
      throw new ShapeError(`${this.name}: input ${formatShape(x.shape)} does not end in ${this.features} features`);
    }
    const rows = x.size / this.features;
    const out = this.buffers.get(this.backend, "out", x.shape);
    this.stats = { mean: this.buffers.get(this.backend, "mean", [rows]), rstd: this.buffers.get(this.backend, "rstd", [rows]) };
    layerNorm(x, this.gamma, this.beta, { eps: this.options.eps ?? 1e-5, out, stats: this.stats });
    this.input = x;
    return out;
  }

  backward(dy: Tensor, needInputGrad = true): Tensor | undefined {
    if (!this.input || !this.stats) throw new ShapeError(`${this.name}: backward called before forward`);
    const dx = this.buffers.get(this.backend, "dx", this.input.shape);
    layerNormBackward(dy, this.input, this.gamma, this.stats, { dx, dgamma: this.dgamma, dbeta: this.dbeta });
    return needInputGrad ? dx : undefined;
  }

  parameters(): Parameter[] {
    return [
      { name: `${this.name}.gamma`, value: this.gamma, grad: this.dgamma },
      { name: `${this.name}.beta`, value: this.beta, grad: this.dbeta },
    ];
  }

  dispose(): void {
    for (const t of [this.gamma, this.beta, this.dgamma, this.dbeta]) t.dispose();
    this.buffers.dispose();
  }
}
