// Typed errors. Every error names the op (or file offset) and the offending shapes or sizes, so a
// user can fix the call without reading simdnet's source. All extend SimdnetError for one catch.

export class SimdnetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit together, or a shape that is not a list of non-negative integers. */
export class ShapeError extends SimdnetError {}

/** An argument outside its domain (a temperature <= 0, a NaN scale, an unknown option value). */
export class ArgumentError extends SimdnetError {}

/** A tensor used after dispose() (directly or through tidy). */
export class DisposedTensorError extends SimdnetError {}

/** Tensors from two different backends mixed in one op. */
export class BackendMismatchError extends SimdnetError {}

/** The allocator reached the configured maximum memory. */
export class OutOfMemoryError extends SimdnetError {}

/** The Wasm module could not be found, read, compiled or instantiated. */
export class WasmLoadError extends SimdnetError {}

/** No backend initialised yet: call `await init()` first. */
export class NotInitializedError extends SimdnetError {}

/** Describe a shape the way error messages print it: [2,3]. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/** A file (IDX, safetensors, …) that is malformed; `offset` is the byte where the problem is. */
export class FormatError extends SimdnetError {
  constructor(message: string, readonly offset?: number, options?: { cause?: unknown }) {
    super(offset === undefined ? message : `${message} (at byte offset ${offset})`, options);
  }
}

/**
 * A training step was not healthy (a non-finite loss or gradient, or an update that made a parameter
 * non-finite: see nn/step.ts); the parameters and optimizer state after the last healthy step are kept.
 */
export class DivergenceError extends SimdnetError {
  constructor(message: string, readonly epoch: number, readonly batch: number) {
    super(message);
  }
}

/** The worker pool failed: a worker could not start, threw in a kernel, or died. Names the op and worker. */
export class ThreadError extends SimdnetError {}
