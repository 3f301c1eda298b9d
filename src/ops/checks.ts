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

/**
 * The output tensor: the caller's `out` (checked) or a new one. Ops allocate their outputs last,
 * after every check and after taking their scratch, so a failure cannot strand a new output.
 */
export function output(op: string, backend: Backend, shape: readonly number[], out?: Tensor): Tensor {
  if (out === undefined) return empty(shape, backend, op);
  backendOf(op, out);
  if (out.backend !== backend) throw new BackendMismatchError(`${op}: out lives on a different backend than the inputs`);
  if (!sameShape(out.shape, shape)) {
    throw new ShapeError(`${op}: out has shape ${formatShape(out.shape)}, the result has shape ${formatShape(shape)}`);
  }
  return out;
}

/** Whether two tensors share at least one byte (views of one tensor may). */
export function overlaps(a: Tensor, b: Tensor): boolean {
  const a0 = a.ptr;
  const b0 = b.ptr;
  return a.size > 0 && b.size > 0 && a0 < b0 + b.size * 4 && b0 < a0 + a.size * 4;
}

/**
 * For kernels that read inputs while they write an output (GEMM, reductions, layout changes,
 * attention, scatter-adds): `out` must not share memory with any input, or the result would be
 * computed from half-overwritten operands. `outName` names the output in the message (dq, grad, …).
 */
export function requireNoOverlap(op: string, out: Tensor, inputs: Record<string, Tensor | undefined>, outName = "out"): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t && overlaps(out, t)) {
      throw new ArgumentError(`${op}: ${outName} shares memory with ${name} ${formatShape(t.shape)}; pass a separate output tensor`);
    }
  }
}

/**
 * For kernels that read element i (or row i) of each input before they write element i (or row i) of
 * the output: `out` may be one of the inputs exactly (in place), but must not overlap one partly, as
 * a view shifted by a few elements would be (the kernel would read values it already overwrote).
 */
export function requireInPlaceOrDisjoint(op: string, out: Tensor, inputs: Record<string, Tensor | undefined>, outName = "out"): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t && overlaps(out, t) && !(t.ptr === out.ptr && t.size === out.size)) {
      throw new ArgumentError(
        `${op}: ${outName} partly overlaps ${name} ${formatShape(t.shape)}; ` +
          `pass ${name} itself (in place) or a separate tensor`,
      );
    }
  }
}

/** Tensors an op writes (gradients, optimizer state) must not share memory with one another. */
export function requireDisjoint(op: string, tensors: Record<string, Tensor | undefined>): void {
  const entries = Object.entries(tensors).filter((e): e is [string, Tensor] => e[1] !== undefined);
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const [an, a] = entries[i]!;
      const [bn, b] = entries[j]!;
      if (overlaps(a, b)) {
        throw new ArgumentError(`${op}: ${an} shares memory with ${bn} ${formatShape(b.shape)}; pass separate tensors`);
      }
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
