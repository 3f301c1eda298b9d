// Token embedding: gather rows of a [vocab, d] table by integer id, and the backward that scatter-adds the
// output gradient into a [vocab, d] table gradient. Ids live in JS; they are checked here and copied into the
// backend's scratch for the kernel.

import type { Backend } from "../runtime/backend.js";
import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireNoOverlap, requireRank } from "./checks.js";
import type { OutOption } from "./elementwise.js";

export type TokenIds = Int32Array | readonly number[];

/** Throws ArgumentError for the first id that is not an integer in [0, vocab). */
function checkIds(op: string, ids: TokenIds, vocab: number): void {
  if (!(ids instanceof Int32Array) && !Array.isArray(ids)) {
    throw new ArgumentError(`${op}: ids must be an Int32Array or an array of numbers`);
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!(Number.isInteger(id) && id >= 0 && id < vocab)) {
      throw new ArgumentError(`${op}: id ${String(id)} at position ${i} is outside the vocabulary [0, ${vocab})`);
    }
  }
}

/** Copies ids into the backend's scratch as i32 and returns the pointer (valid until the next scratch()). */
function stageIds(backend: Backend, ids: TokenIds): number {
  const p = backend.scratch(ids.length * 4);
  new Int32Array(backend.memory.buffer, p, ids.length).set(ids);
  return p;
}

/** out[r, :] = table[ids[r], :]: [n, d] from a [vocab, d] table. `out` must not overlap the table. */
export function embedding(ids: TokenIds, table: Tensor, options: OutOption = {}): Tensor {
  const op = "embedding";
  const backend = backendOf(op, table);
  requireRank(op, "table", table, [2]);
  const [vocab, d] = table.shape as [number, number];
  checkIds(op, ids, vocab);
  const n = ids.length;
  // Ids into scratch first: a new output must be the last thing allocated (see output()).
  const idsPtr = n > 0 && d > 0 ? stageIds(backend, ids) : 0;
  const out = output(op, backend, [n, d], options.out);
  if (options.out) requireNoOverlap(op, out, { table });
  if (out.size === 0) return out;
  backend.kernels.embedding_f32(n, idsPtr, table.ptr, d, vocab, out.ptr);
  return out;
}

/** dtable [vocab, d] = Σ over positions r of dout[r, :] added into row ids[r] (overwrites `out`, which must not overlap dout). */
export function embeddingBackward(ids: TokenIds, dout: Tensor, vocab: number, options: OutOption = {}): Tensor {
  const op = "embeddingBackward";
  const backend = backendOf(op, dout);
  if (!Number.isInteger(vocab) || vocab < 0) throw new ArgumentError(`${op}: vocab must be a non-negative integer, got ${String(vocab)}`);
  requireRank(op, "dout", dout, [2]);
  const [n, d] = dout.shape as [number, number];
  checkIds(op, ids, vocab);
  if (ids.length !== n) {
    throw new ShapeError(`${op}: ${ids.length} ids but dout ${formatShape(dout.shape)} has ${n} rows`);
  }
  const idsPtr = n > 0 && vocab * d > 0 ? stageIds(backend, ids) : 0;
  const dtable = output(op, backend, [vocab, d], options.out);
  if (options.out) requireNoOverlap(op, dtable, { dout });
  if (dtable.size === 0) return dtable;
  backend.kernels.embedding_backward_f32(n, idsPtr, dout.ptr, d, vocab, dtable.ptr);
  return dtable;
}
