// Making tensors: from data, filled, or random. All allocate on the current backend.

import type { Backend } from "./backend.js";
import { getBackend } from "./engine.js";
import { ArgumentError, ShapeError, formatShape } from "./errors.js";
import { Random } from "./random.js";
import { shapeSize } from "./shape.js";
import { Tensor, type NestedArray } from "./tensor.js";

export type TensorData = NestedArray | ArrayLike<number>;

/** An uninitialised tensor on `backend` (ops fill it completely). */
export function empty(shape: readonly number[], backend: Backend = getBackend(), op = "empty"): Tensor {
  const size = shapeSize(op, shape);
  const ptr = backend.allocator.alloc(size * 4);
  return new Tensor(backend, shape, size, ptr);
}

/**
 * A tensor from numbers: a flat array or typed array (shape defaults to [length]), nested arrays
 * (shape inferred, ragged nesting is a ShapeError) or a single number (rank 0).
 */
export function tensor(data: TensorData, shape?: readonly number[]): Tensor {
  return tensorOn(getBackend(), data, shape);
}

/** tensor() on a given backend rather than the current one (for code that owns a backend). */
export function tensorOn(backend: Backend, data: TensorData, shape?: readonly number[]): Tensor {
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof data === "number") {
    flat = [data];
    inferred = [];
  } else if (ArrayBuffer.isView(data)) {
    if (data instanceof DataView || data instanceof BigInt64Array || data instanceof BigUint64Array) {
      throw new ArgumentError(`tensor: data must hold numbers, got a ${data.constructor.name}`);
    }
    // A view into this backend's memory (another tensor's view()) is detached if the allocation
    // below grows the memory: copy it first.
    flat = data.buffer === backend.memory.buffer ? (data as Float32Array).slice() : (data as ArrayLike<number>);
    inferred = [flat.length];
  } else if (Array.isArray(data)) {
    if (data.some(Array.isArray)) {
      inferred = inferShape(data);
      flat = (data as NestedArray[]).flat(Infinity as 1) as number[];
    } else {
      flat = data as number[];
      inferred = [flat.length];
    }
  } else if (data !== null && typeof data === "object" && Number.isInteger((data as ArrayLike<number>).length)) {
    flat = data as ArrayLike<number>;
    inferred = [flat.length];
  } else {
    throw new ArgumentError(`tensor: data must be a number, an array, a typed array or an array-like, got ${data === null ? "null" : typeof data}`);
  }
  const target = shape ?? inferred;
  const size = shapeSize("tensor", target);
  if (size !== flat.length) {
    throw new ShapeError(`tensor: ${flat.length} values do not fill shape ${formatShape(target)} (${size} elements)`);
  }
  const t = empty(target, backend, "tensor");
  try {
    t.view().set(flat);
  } catch (error) {
    t.dispose();
    throw error;
  }
  return t;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0]!;
    if (level === undefined) break;
  }
  const check = (node: NestedArray, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof node !== "number") throw new ShapeError(`tensor: ragged nested array: element ${path} is not a number`);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) {
      const len = Array.isArray(node) ? node.length : typeof node;
      throw new ShapeError(`tensor: ragged nested array: element ${path || "[]"} has length ${len}, expected ${shape[dim]} (shape ${formatShape(shape)})`);
    }
    node.forEach((child, i) => check(child, dim + 1, `${path}[${i}]`));
  };
  check(data, 0, "");
  return shape;
}

export function full(shape: readonly number[], value: number): Tensor {
  const t = empty(shape, getBackend(), "full");
  t.backend.kernels.fill_f32(t.size, value, t.ptr);
  return t;
}

export function zeros(shape: readonly number[]): Tensor {
  return full(shape, 0);
}

export function ones(shape: readonly number[]): Tensor {
  return full(shape, 1);
}

export interface RandomOptions {
  /** Same seed, same numbers, in every engine. Without a seed the numbers differ run to run. */
  seed?: number;
  mean?: number;
  std?: number;
}

let unseeded: Random | undefined;

function generator(seed: number | undefined): Random {
  if (seed !== undefined) return new Random(seed);
  return (unseeded ??= new Random((Math.random() * 2 ** 32) >>> 0));
}

/** Normal samples, N(mean, std²). */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  const { mean = 0, std = 1 } = options;
  const size = shapeSize("randn", shape);
  const rng = generator(options.seed);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = mean + std * rng.normal();
  return tensor(values, shape);
}

/** Uniform samples in [low, high). */
export function randu(shape: readonly number[], options: { seed?: number; low?: number; high?: number } = {}): Tensor {
  const { low = 0, high = 1 } = options;
  const size = shapeSize("randu", shape);
  const rng = generator(options.seed);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = low + (high - low) * rng.uniform();
  return tensor(values, shape);
}
