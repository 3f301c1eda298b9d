// Adding position vectors to token embeddings, and the matching gradient for learned positions.
// x holds B sequences of T rows; row t of every sequence gets row (start + t) of the table.

import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireInPlaceOrDisjoint, requireNoOverlap } from "./checks.js";
import type { OutOption } from "./elementwise.js";

function seqDims(op: string, x: Tensor, table: Tensor | undefined, seqLen: number, start: number): [number, number] {
  const d = x.shape[x.rank - 1] ?? 0;
  const rows = d === 0 ? 0 : x.size / d;
  if (!(seqLen >= 1 && rows % seqLen === 0)) throw new ShapeError(`${op}: ${formatShape(x.shape)} is not a whole number of sequences of length ${seqLen}`);
  if (table && (table.rank !== 2 || table.shape[1] !== d || start < 0 || start + seqLen > table.shape[0]!)) {
    throw new ShapeError(`${op}: positions ${start}..${start + seqLen - 1} of width ${d} are not in the table ${formatShape(table.shape)}`);
  }
  return [rows / seqLen, d];
}

/** out[b, t] = x[b, t] + table[start + t] for x [B·T, d]. `out` may be x; it must not overlap the table. */
export function addPositions(x: Tensor, table: Tensor, seqLen: number, options: OutOption & { start?: number } = {}): Tensor {
  const op = "addPositions";
  const backend = backendOf(op, x, table);
  const start = options.start ?? 0;
  if (!Number.isInteger(start) || start < 0) throw new ArgumentError(`${op}: start must be an integer >= 0, got ${String(start)}`);
  if (!Number.isInteger(seqLen)) throw new ArgumentError(`${op}: seqLen must be an integer, got ${String(seqLen)}`);
  const [batch, d] = seqDims(op, x, table, seqLen, start);
  const out = output(op, backend, x.shape, options.out);
  if (options.out) {
    requireInPlaceOrDisjoint(op, out, { x });
    requireNoOverlap(op, out, { table });
  }
  const block = seqLen * d;
  for (let b = 0; b < batch; b++) {
    backend.kernels.add_f32(block, x.ptr + b * block * 4, table.ptr + start * d * 4, out.ptr + b * block * 4);
  }
  return out;
}

/** The gradient of a learned position table: sum over the B sequences of dx [B·T, d] → [T, d]. `out` must not overlap dx. */
export function sumPositions(dx: Tensor, seqLen: number, options: OutOption = {}): Tensor {
  const op = "sumPositions";
  const backend = backendOf(op, dx);
  if (!Number.isInteger(seqLen)) throw new ArgumentError(`${op}: seqLen must be an integer, got ${String(seqLen)}`);
  const [batch, d] = seqDims(op, dx, undefined, seqLen, 0);
  const out = output(op, backend, [seqLen, d], options.out);
  if (options.out) requireNoOverlap(op, out, { dx });
  const block = seqLen * d;
  backend.kernels.fill_f32(block, 0, out.ptr);
  for (let b = 0; b < batch; b++) backend.kernels.add_f32(block, out.ptr, dx.ptr + b * block * 4, out.ptr);
  return out;
}

/** Sinusoidal position encoding ("Attention Is All You Need"): PE[t, 2i] = sin(t/10000^(2i/d)), PE[t, 2i+1] = cos(…). */
export function sinusoidalPositions(maxLen: number, d: number): Float32Array {
  const pe = new Float32Array(maxLen * d);
  for (let t = 0; t < maxLen; t++) {
    for (let i = 0; i < d; i += 2) {
      const angle = t / Math.pow(10000, i / d);
      pe[t * d + i] = Math.sin(angle);
      if (i + 1 < d) pe[t * d + i + 1] = Math.cos(angle);
    }
  }
  return pe;
}
