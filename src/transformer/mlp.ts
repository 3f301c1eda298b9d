// The transformer's position-wise feed-forward network: Linear(d → 4d) → GELU → Linear(4d → d),
// applied to every token's vector independently. GELU is the first Dense layer's activation, so it runs
// in that GEMM's epilogue on each finished tile (no separate pass over the [rows, 4d] hidden activations);
// the epilogue also keeps the pre-activation, which GELU's backward needs.

import { disposeOnThrow } from "../runtime/dispose-on-throw.js";
import { Random } from "../runtime/random.js";
import type { Tensor } from "../runtime/tensor.js";
import { Dense } from "../nn/dense.js";
import type { InitScheme } from "../nn/init.js";
import type { Layer, Parameter } from "../nn/module.js";

export class FeedForward implements Layer {
  readonly kind = "FeedForward";
  readonly fc: Dense;
  readonly proj: Dense;

  constructor(readonly dModel: number, options: { hidden?: number; init?: InitScheme; rng?: Random; seed?: number; name?: string } = {}) {
    const rng = options.rng ?? new Random(options.seed ?? 0);
    const name = options.name ?? "mlp";
    const hidden = options.hidden ?? 4 * dModel;
    const init = options.init ?? "xavier";
    [this.fc, this.proj] = disposeOnThrow(() => [
      new Dense(dModel, hidden, { activation: "gelu", init, rng, name: `${name}.fc` }),
      new Dense(hidden, dModel, { init, rng, name: `${name}.proj` }),
    ]);
  }

  forward(x: Tensor): Tensor {
    return this.proj.forward(this.fc.forward(x));
  }

  backward(dy: Tensor, needInputGrad = true): Tensor | undefined {
    this.proj.backwardParameters(dy);
    const geluGrad = this.fc.activationGradient;
    // dL/dz of fc straight out of proj's dx GEMM (its epilogue multiplies by gelu'), not a GEMM and then a mul.
    const dz = this.proj.backwardInput(geluGrad);
    this.fc.backwardParameters(dz, geluGrad !== undefined);
    return needInputGrad ? this.fc.backwardInput() : undefined;
  }

  parameters(): Parameter[] {
    return [...this.fc.parameters(), ...this.proj.parameters()];
  }

  dispose(): void {
    this.fc.dispose();
    this.proj.dispose();
  }
}
