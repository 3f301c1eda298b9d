// Reusable activation buffers keyed by batch size: training alternates between at most a few
// batch shapes (full batches, the last partial one, evaluation), and each keeps its own set, so
// switching between them allocates nothing after each has been seen once.

import { empty } from "../runtime/creation.js";
import type { Backend } from "../runtime/backend.js";
import type { Tensor } from "../runtime/tensor.js";
import { untracked } from "../runtime/tidy.js";

export class BufferCache {
  private readonly byKey = new Map<string, Tensor>();

  /** The buffer called `name` of this shape, created on first use. */
  get(backend: Backend, name: string, shape: readonly number[]): Tensor {
    const key = `${name}:${shape.join("x")}`;
    let t = this.byKey.get(key);
    if (!t || t.isDisposed) {
      t = untracked(() => empty(shape, backend, name));
      this.byKey.set(key, t);
    }
    return t;
  }

  dispose(): void {
    for (const t of this.byKey.values()) t.dispose();
    this.byKey.clear();
  }
}
