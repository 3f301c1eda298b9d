// Argument checks shared by the ops. Each names the op, the argument and the shapes involved.

import type { Backend } from "../runtime/backend.js";
import { empty } from "../runtime/creation.js";
import { ArgumentError, BackendMismatchError, ShapeError, formatShape } from "../runtime/errors.js";
import { sameShape } from "../runtime/shape.js";
import { Tensor } from "../runtime/tensor.js";

/** The backend all inputs share; also triggers DisposedTensorError for disposed inputs. */
export function backendOf(op: string, ...inputs: Tensor[]): Backend {
  for (const t of inputs) {
    if (!(t instanceof Tensor)) throw new ArgumentError(`${op}: expected a Tensor, got ${describeValue(t)}`);
    void t.ptr; // throws if disposed
  }
  const backend = inputs[0]!.backend;
  if (inputs.some((t) => t.backend !== backend)) {
    throw new BackendMismatchError(`${op}: inputs live on different backends (${inputs.map((t) => t.backend.info().build).join(", ")}); create them on one`);
  }
  return backend;
}

export function requireRank(op: string, name: string, t: Tensor, ranks: readonly number[]): void {
  if (!ranks.includes(t.rank)) {
    throw new ShapeError(`${op}: ${name} must have rank ${ranks.join(" or ")}, got shape ${formatShape(t.shape)}`);
  }
}

/** The output tensor: the caller's `out` (checked) or a new one. */
export function output(op: string, backend: Backend, shape: readonly number[], out?: Tensor): Tensor {
  if (out === undefined) return empty(shape, backend, op);
  backendOf(op, out);
  if (out.backend !== backend) throw new BackendMismatchError(`${op}: out lives on a different backend than the inputs`);
  if (!sameShape(out.shape, shape)) {
    throw new ShapeError(`${op}: out has shape ${formatShape(out.shape)}, the result has shape ${formatShape(shape)}`);
  }
  return out;
}

/**
 * For kernels that read their inputs while writing the output (GEMM): `out` must not share memory
 * with any input, or the result would be computed from half-overwritten operands.
 */
export function requireNoOverlap(op: string, out: Tensor, inputs: Record<string, Tensor>): void {
  const o0 = out.ptr;
  const o1 = o0 + out.size * 4;
  for (const [name, t] of Object.entries(inputs)) {
    const t0 = t.ptr;
    if (out.size > 0 && t.size > 0 && t0 < o1 && o0 < t0 + t.size * 4) {
      throw new ArgumentError(`${op}: out shares memory with ${name} ${formatShape(t.shape)}; pass a separate output tensor`);
    }
  }
}

export function requireFinite(op: string, name: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ArgumentError(`${op}: ${name} must be a finite number, got ${describeValue(value)}`);
  }
}

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return v.constructor?.name ?? "object";
  return `${typeof v} ${String(v)}`;
}
