// Sequential: layers applied in order; backward walks them in reverse (backpropagation).

import type { Tensor } from "../runtime/tensor.js";
import type { Layer, Parameter } from "./module.js";

export class Sequential implements Layer {
  readonly kind = "Sequential";

  constructor(readonly layers: Layer[]) {}

  forward(x: Tensor): Tensor {
    let a = x;
    for (const layer of this.layers) a = layer.forward(a);
    return a;
  }

  backward(dy: Tensor, needInputGrad = false): Tensor | undefined {
    let g: Tensor | undefined = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      g = this.layers[i]!.backward(g!, i > 0 || needInputGrad);
    }
    return g;
  }

  parameters(): Parameter[] {
    return this.layers.flatMap((l) => l.parameters());
  }

  dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}
