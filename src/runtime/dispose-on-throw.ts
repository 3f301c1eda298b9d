// disposeOnThrow(fn): all or nothing for code that creates several tensors. If fn throws, every
// tensor created while it ran is disposed before the error propagates, so a failed constructor or op
// leaves memory().numTensors where it was; if fn returns, nothing changes hands.
//
// Why not tidy(): constructors create their parameters inside untracked() (they must survive the
// caller's tidy), which hides them from tidy scopes. This log sees every tensor that owns memory,
// tracked or not. Guards nest: tensors of an inner guard that succeeded belong to the enclosing one,
// so `new GPT` failing in its last layer frees the blocks that were built before it.

import { OutOfMemoryError } from "./errors.js";

interface Disposable {
  dispose(): void;
}

const guards: Disposable[][] = [];

/** Called by Tensor for every tensor that owns a block: remembered by the innermost guard, if any. */
export function noteCreated(t: Disposable): void {
  guards[guards.length - 1]?.push(t);
}

export function disposeOnThrow<T>(fn: () => T): T {
  const created: Disposable[] = [];
  guards.push(created);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    guards.pop();
    for (const t of created) t.dispose(); // idempotent: tensors fn already disposed are skipped
    throw error;
  }
  guards.pop();
  const parent = guards[guards.length - 1];
  if (parent) for (const t of created) parent.push(t);
  return result;
}

/**
 * Refuse before allocating when `elements` float32 values can never fit under the backend's cap:
 * a config like `layers: 1e308` or `vocabSize: 2e7` fails at once, with a typed error, instead of
 * after building (and leaking) half a model or throwing a RangeError from a typed-array constructor.
 */
export function requireRoomFor(what: string, elements: number, maxBytes: number): void {
  const bytes = elements * 4;
  if (!(Number.isFinite(bytes) && bytes <= maxBytes)) {
    throw new OutOfMemoryError(
      `${what}: needs ${bytes.toExponential(3)} bytes (${elements} float32 values), more than the backend's maximum of ${maxBytes} bytes; ` +
        `shrink the model or raise maxMemoryMB`,
    );
  }
}
