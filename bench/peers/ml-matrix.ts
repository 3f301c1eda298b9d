// ml-matrix peer (GEMM only): Matrix objects built once from the inputs (ml-matrix stores float64
// rows as arrays), Matrix.mmul per call (allocates its result). The other workloads have no
// ml-matrix counterpart worth timing (no softmax, attention or training primitives).
//
// Differs from simdnet: plain JS in float64 (arrays of row arrays, no SIMD, no Wasm), a new result
// Matrix per call; the inputs are converted from float32 once, outside the timed call.

import { Matrix } from "ml-matrix";
import { packageVersion, type Peer, type PeerImpl } from "./types.js";

function toMatrix(x: Float32Array, rows: number, cols: number): Matrix {
  const m = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.set(i, j, x[i * cols + j]!);
  return m;
}

export async function mlMatrixPeer(): Promise<Peer> {
  const version = packageVersion("ml-matrix");
  return {
    name: "ml-matrix",
    setup: `ml-matrix ${version} (Matrix.mmul, float64)`,
    gemm(a, b, m, k, n): PeerImpl {
      const A = toMatrix(a, m, k);
      const B = toMatrix(b, k, n);
      let last: Matrix | undefined;
      return {
        run: () => void (last = A.mmul(B)),
        result: () => Float32Array.from(last!.to1DArray()),
      };
    },
    unsupported: {
      softmax: "no softmax in ml-matrix",
      attention: "no attention in ml-matrix",
      train: "no training in ml-matrix",
      "gpt-train": "no training in ml-matrix",
      "gpt-generate": "no transformer primitives in ml-matrix",
    },
  };
}
