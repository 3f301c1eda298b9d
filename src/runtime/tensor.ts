// Tensor: float32, row-major, dense. A pointer into its backend's memory plus a shape.
//
// A tensor never caches a Float32Array: memory growth detaches views, so every read goes through
// backend.f32, which is re-derived when the buffer changed.

import type { Backend } from "./backend.js";
import { DisposedTensorError, ShapeError, formatShape } from "./errors.js";
import { noteCreated } from "./dispose-on-throw.js";
import { track, untrack } from "./tidy.js";

export type NestedArray = number | NestedArray[];

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  private pointer: number;
  /** The tensor whose memory this one borrows (see view()), or undefined if it owns its block. */
  readonly base: Tensor | undefined;

  /** Internal: use tensor(), zeros(), randn() or an op to make tensors, and slice() for views. */
  constructor(readonly backend: Backend, shape: readonly number[], size: number, pointer: number, base?: Tensor) {
    this.shape = Object.freeze(shape.slice());
    this.size = size;
    this.pointer = pointer;
    this.base = base;
    if (!base) {
      backend.noteTensor(size * 4, 1);
      track(this);
      noteCreated(this);
    }
  }

  /**
   * A view of `shape` starting `offset` elements into this tensor's data: no copy, no allocation.
   * It shares the memory (writes through it are writes to this tensor), is not counted by memory(),
   * and becomes unusable when this tensor is disposed. Used for slices such as one head of a KV cache.
   */
  slice(offset: number, shape: readonly number[]): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(offset) || offset < 0 || !shape.every((d) => Number.isInteger(d) && d >= 0) || offset + size > this.size) {
      throw new ShapeError(`slice: ${formatShape(shape)} at offset ${offset} does not fit in tensor ${formatShape(this.shape)} (${this.size} elements)`);
    }
    const root = this.base ?? this;
    return new Tensor(this.backend, shape, size, this.ptr + offset * 4, root);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.pointer < 0 || (this.base !== undefined && this.base.isDisposed);
  }

  /** Byte offset of the data in the backend's memory (for kernels). Throws if disposed. */
  get ptr(): number {
    if (this.isDisposed) {
      const whose = this.pointer >= 0 ? ` (its base tensor ${formatShape(this.base!.shape)} was disposed)` : "";
      throw new DisposedTensorError(`tensor ${formatShape(this.shape)} was used after dispose()${whose}`);
    }
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

  /** Free the data (a view frees nothing). Idempotent; any later use of the tensor throws DisposedTensorError. */
  dispose(): void {
    if (this.pointer < 0) return;
    if (this.base) {
      this.pointer = -1;
      return;
    }
    this.backend.allocator.free(this.pointer);
    this.backend.noteTensor(this.size * 4, -1);
    this.pointer = -1;
    untrack(this);
  }

  toString(): string {
    return this.isDisposed ? `Tensor(${formatShape(this.shape)}, disposed)` : `Tensor(${formatShape(this.shape)})`;
  }
}
