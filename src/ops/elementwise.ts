// Elementwise arithmetic: add, sub, mul (same shape, or a row vector broadcast over the last axis
// for add/sub, as a bias is added to every row), and scale by a number.

import { ShapeError, formatShape } from "../runtime/errors.js";
import { sameShape } from "../runtime/shape.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireFinite, requireInPlaceOrDisjoint, requireNoOverlap } from "./checks.js";

export interface OutOption {
  /**
   * Write into this tensor (shape must match) instead of allocating. Ops that work in place say so
   * in their doc comment; every other op refuses an `out` that shares memory with an input.
   */
  out?: Tensor;
}

/** b broadcasts when it is [n] or [1, n] and a's last axis is n. */
function isRowBroadcast(a: Tensor, b: Tensor): boolean {
  const n = a.shape[a.rank - 1];
  if (a.rank === 0 || n === undefined) return false;
  const bIsRow = (b.rank === 1 && b.shape[0] === n) || (b.rank === 2 && b.shape[0] === 1 && b.shape[1] === n);
  return bIsRow && !sameShape(a.shape, b.shape);
}

function binary(op: "add" | "sub" | "mul", a: Tensor, b: Tensor, opts: OutOption): Tensor {
  const backend = backendOf(op, a, b);
  const k = backend.kernels;
  if (sameShape(a.shape, b.shape)) {
    const out = output(op, backend, a.shape, opts.out);
    if (opts.out) requireInPlaceOrDisjoint(op, out, { a, b });
    const fn = op === "add" ? k.add_f32 : op === "sub" ? k.sub_f32 : k.mul_f32;
    fn(a.size, a.ptr, b.ptr, out.ptr);
    return out;
  }
  if (op !== "mul" && isRowBroadcast(a, b)) {
    const n = a.shape[a.rank - 1]!;
    const rows = n === 0 ? 0 : a.size / n;
    // a − row = a + (−row): the row negated into scratch (taken before the output is allocated).
    const neg = op === "sub" ? backend.scratch(n * 4) : 0;
    const out = output(op, backend, a.shape, opts.out);
    if (opts.out) {
      requireInPlaceOrDisjoint(op, out, { a });
      requireNoOverlap(op, out, { b });
    }
    if (op === "add") {
      k.add_row_f32(rows, n, a.ptr, n, b.ptr, out.ptr, n);
    } else {
      k.scale_f32(n, -1, b.ptr, neg);
      k.add_row_f32(rows, n, a.ptr, n, neg, out.ptr, n);
    }
    return out;
  }
  const rule = op === "mul" ? "equal shapes" : "equal shapes, or b a row [n] / [1,n] matching a's last axis";
  throw new ShapeError(`${op}: ${formatShape(a.shape)} and ${formatShape(b.shape)} do not fit (${op} takes ${rule})`);
}

/** a + b (equal shapes, or b a row broadcast over a's rows). `out` may be a (or b, for equal shapes). */
export function add(a: Tensor, b: Tensor, opts: OutOption = {}): Tensor {
  return binary("add", a, b, opts);
}

/** a − b (equal shapes, or b a row broadcast over a's rows). `out` may be a (or b, for equal shapes). */
export function sub(a: Tensor, b: Tensor, opts: OutOption = {}): Tensor {
  return binary("sub", a, b, opts);
}

/** Elementwise (Hadamard) product of equal shapes. `out` may be a or b. */
export function mul(a: Tensor, b: Tensor, opts: OutOption = {}): Tensor {
  return binary("mul", a, b, opts);
}

/** alpha · x. `out` may be x. */
export function scale(x: Tensor, alpha: number, opts: OutOption = {}): Tensor {
  const backend = backendOf("scale", x);
  requireFinite("scale", "alpha", alpha);
  const out = output("scale", backend, x.shape, opts.out);
  if (opts.out) requireInPlaceOrDisjoint("scale", out, { x });
  backend.kernels.scale_f32(x.size, alpha, x.ptr, out.ptr);
  return out;
}
