// The transformer's position-wise feed-forward network: Linear(d → 4d) → GELU → Linear(4d → d),
// applied to every token's vector independently.

import { getBackend } from "../runtime/engine.js";
import type { Backend } from "../runtime/backend.js";
import { ShapeError } from "../runtime/errors.js";
import { Random } from "../runtime/random.js";
import { disposeOnThrow } from "../runtime/dispose-on-throw.js";
import type { Tensor } from "../runtime/tensor.js";
import { gelu, geluBackward } from "../ops/gelu.js";
import { BufferCache } from "../nn/buffers.js";
import { Dense } from "../nn/dense.js";
import type { InitScheme } from "../nn/init.js";
import type { Layer, Parameter } from "../nn/module.js";

export class FeedForward implements Layer {
  readonly kind = "FeedForward";
  private readonly backend: Backend;
  readonly fc: Dense;
  readonly proj: Dense;
  private readonly buffers = new BufferCache();
  private hidden: Tensor | undefined;

  constructor(readonly dModel: number, options: { hidden?: number; init?: InitScheme; rng?: Random; seed?: number; name?: string } = {}) {
    const rng = options.rng ?? new Random(options.seed ?? 0);
    const name = options.name ?? "mlp";
    const hidden = options.hidden ?? 4 * dModel;
    this.backend = getBackend();
    [this.fc, this.proj] = disposeOnThrow(() => [
      new Dense(dModel, hidden, { init: options.init ?? "xavier", rng, name: `${name}.fc` }),
      new Dense(hidden, dModel, { init: options.init ?? "xavier", rng, name: `${name}.proj` }),
    ]);
  }

  forward(x: Tensor): Tensor {
    const z = this.fc.forward(x);
    this.hidden = z;
    const a = gelu(z, { out: this.buffers.get(this.backend, "act", z.shape) });
    return this.proj.forward(a);
  }

  backward(dy: Tensor, needInputGrad = true): Tensor | undefined {
    if (!this.hidden) throw new ShapeError("FeedForward: backward called before forward");
    const da = this.proj.backward(dy)!;
    const dz = geluBackward(this.hidden, da, { out: this.buffers.get(this.backend, "dz", da.shape) });
    return this.fc.backward(dz, needInputGrad);
  }

  parameters(): Parameter[] {
    return [...this.fc.parameters(), ...this.proj.parameters()];
  }

  dispose(): void {
    this.fc.dispose();
    this.proj.dispose();
    this.buffers.dispose();
  }
}
