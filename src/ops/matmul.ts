// matmul: C = op(A)·op(B) on the GEMM kernel. Rank 2, or batched rank 3 ([B,m,k]·[B,k,n], or a
// rank-3 A with a shared rank-2 B, e.g. every sequence in a batch times one weight matrix).

import { ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireNoOverlap, requireRank } from "./checks.js";

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** Write into this tensor (shape must match) instead of allocating. */
  out?: Tensor;
}

export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const op = "matmul";
  const backend = backendOf(op, a, b);
  const { transposeA = false, transposeB = false } = options;
  requireRank(op, "a", a, [2, 3]);
  requireRank(op, "b", b, [2, 3]);
  if (b.rank === 3 && a.rank !== 3) {
    throw new ShapeError(`${op}: a batched b ${formatShape(b.shape)} needs a batched a, got ${formatShape(a.shape)}`);
  }
  const batch = a.rank === 3 ? a.shape[0]! : 1;
  if (b.rank === 3 && b.shape[0] !== batch) {
    throw new ShapeError(`${op}: ${formatShape(a.shape)} × ${formatShape(b.shape)}: batch sizes ${batch} and ${b.shape[0]} differ`);
  }
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const kb = transposeB ? bc : br;
  const n = transposeB ? br : bc;
  if (k !== kb) {
    const t = (flag: boolean) => (flag ? "ᵀ" : "");
    throw new ShapeError(
      `${op}: ${formatShape(a.shape)}${t(transposeA)} × ${formatShape(b.shape)}${t(transposeB)}: inner dimensions ${k} and ${kb} differ`,
    );
  }
  const outShape = a.rank === 3 ? [batch, m, n] : [m, n];
  const scratch = backend.scratch(backend.kernels.gemm_scratch_bytes());
  const c = output(op, backend, outShape, options.out);
  if (options.out) requireNoOverlap(op, c, { a, b });
  const kern = backend.kernels;
  const aStep = ar * ac * 4;
  const bStep = b.rank === 3 ? br * bc * 4 : 0;
  const cStep = m * n * 4;
  for (let i = 0; i < batch; i++) {
    kern.gemm_f32(
      transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, 1,
      a.ptr + i * aStep, ac, b.ptr + i * bStep, bc, 0, c.ptr + i * cStep, n, scratch,
    );
  }
  return c;
}
