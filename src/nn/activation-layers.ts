// Activation functions as standalone layers, for Sequential models that keep them separate from
// Dense (Dense({ activation }) fuses them into the bias pass, which is faster).

import { ShapeError } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { relu, sigmoid, tanh } from "../ops/activations.js";
import { activationBackward, type Activation } from "../ops/dense.js";
import { BufferCache } from "./buffers.js";
import type { Layer, Parameter } from "./module.js";

abstract class ActivationLayer implements Layer {
  abstract readonly kind: string;
  protected abstract readonly fn: Exclude<Activation, "linear">;
  private readonly buffers = new BufferCache();
  private output: Tensor | undefined;

  forward(x: Tensor): Tensor {
    const out = this.buffers.get(x.backend, "out", x.shape);
    const apply = this.fn === "relu" ? relu : this.fn === "sigmoid" ? sigmoid : tanh;
    this.output = apply(x, { out });
    return out;
  }

  backward(dy: Tensor, needInputGrad = true): Tensor | undefined {
    if (!this.output) throw new ShapeError(`${this.kind}: backward called before forward`);
    if (!needInputGrad) return undefined;
    const dx = this.buffers.get(dy.backend, "dx", dy.shape);
    return activationBackward(this.fn, this.output, dy, { out: dx });
  }

  parameters(): Parameter[] {
    return [];
  }

  dispose(): void {
    this.buffers.dispose();
    this.output = undefined;
  }
}

export class ReLU extends ActivationLayer {
  readonly kind = "ReLU";
  protected readonly fn = "relu" as const;
}

export class Sigmoid extends ActivationLayer {
  readonly kind = "Sigmoid";
  protected readonly fn = "sigmoid" as const;
}

export class Tanh extends ActivationLayer {
  readonly kind = "Tanh";
  protected readonly fn = "tanh" as const;
}
