// What every layer is: forward, backward, parameters — as the tutorial teaches and llm.c does.
//
// Ownership: a layer owns its parameters, their gradients and the buffers it returns from forward
// and backward. Those buffers are allocated once per batch size and reused, so after the first step
// a training step allocates nothing; a returned tensor is valid until the layer's next call.
// Callers must not dispose them (nn code creates them under untracked(), so tidy leaves them alone).

import type { Tensor } from "../runtime/tensor.js";

export interface Parameter {
  /** e.g. "layers.0.weights" */
  readonly name: string;
  readonly value: Tensor;
  /** d(loss)/d(value), written by the last backward() (overwritten, not accumulated). */
  readonly grad: Tensor;
}

export interface Layer {
  readonly kind: string;
  /** y = f(x) for a batch x [rows, inputs]. Remembers what backward needs. */
  forward(x: Tensor): Tensor;
  /**
   * Given dL/dy for the last forward's output, write the parameter gradients and return dL/dx
   * (or undefined when needInputGrad is false: the first layer has no one to pass it to).
   */
  backward(dy: Tensor, needInputGrad?: boolean): Tensor | undefined;
  parameters(): Parameter[];
  /** Free parameters and buffers. */
  dispose(): void;
}
