// Tensor: float32, row-major, dense. A pointer into its backend's memory plus a shape.
//
// A tensor never caches a Float32Array: memory growth detaches views, so every read goes through
// backend.f32, which is re-derived when the buffer changed.

import type { Backend } from "./backend.js";
import { DisposedTensorError, formatShape } from "./errors.js";
import { track, untrack } from "./tidy.js";

export type NestedArray = number | NestedArray[];

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  private pointer: number;

  /** Internal: use tensor(), zeros(), randn() or an op to make tensors. */
  constructor(readonly backend: Backend, shape: readonly number[], size: number, pointer: number) {
    this.shape = Object.freeze(shape.slice());
    this.size = size;
    this.pointer = pointer;
    backend.noteTensor(size * 4, 1);
    track(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.pointer < 0;
  }

  /** Byte offset of the data in the backend's memory (for kernels). Throws if disposed. */
  get ptr(): number {
    if (this.pointer < 0) throw new DisposedTensorError(`tensor ${formatShape(this.shape)} was used after dispose()`);
    return this.pointer;
  }

  /**
   * A live view of the data in Wasm memory: no copy, but valid only until the next allocation
   * (memory may grow and detach it). For results to keep, use toFloat32Array().
   */
  view(): Float32Array {
    const start = this.ptr >>> 2;
    return this.backend.f32.subarray(start, start + this.size);
  }

  /** A copy of the data. */
  toFloat32Array(): Float32Array {
    return this.view().slice();
  }

  /** The data as nested arrays following the shape (a number for rank 0). */
  toArray(): NestedArray {
    const data = this.view();
    if (this.shape.length === 0) return data[0]!;
    let offset = 0;
    const build = (dim: number): NestedArray[] => {
      const n = this.shape[dim]!;
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = dim === this.shape.length - 1 ? data[offset++]! : build(dim + 1);
      return out;
    };
    return build(0);
  }

  /** Free the data. Idempotent; any later use of the tensor throws DisposedTensorError. */
  dispose(): void {
    if (this.pointer < 0) return;
    this.backend.allocator.free(this.pointer);
    this.backend.noteTensor(this.size * 4, -1);
    this.pointer = -1;
    untrack(this);
  }

  toString(): string {
    return this.isDisposed ? `Tensor(${formatShape(this.shape)}, disposed)` : `Tensor(${formatShape(this.shape)})`;
  }
}
