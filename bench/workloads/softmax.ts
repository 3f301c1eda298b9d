// Row softmax of a [rows, cols] matrix of N(0, 9) values (spread enough that exp matters).
// Reference: softmaxRef (float64). Tolerance: simdnet's exp is documented at ≤ 2.5e-7 relative; the
// row sum and the division add float32 roundings. Measured against float64 (outputs below 1 % of the
// largest judged at that floor): simdnet's SIMD builds 4.8e-7, its scalar build 1.2e-6, tfjs-wasm and
// onnxruntime-web 1.3e-6, plain JS 1e-7. 2e-6 sits 1.5× above the worst.

import * as sd from "../../src/index.js";
import type { BenchContext } from "../harness/context.js";
import type { Workload } from "../harness/types.js";
import { softmaxJS } from "../lib/plain.js";
import { softmaxRef } from "../lib/reference.js";
import { addBuilds, addPeers, newWorkload, peerImpl } from "./common.js";

export async function softmaxWorkload(ctx: BenchContext, rows: number, cols: number): Promise<Workload> {
  const id = `softmax ${rows}×${cols}`;
  const x = ctx.randn([rows, cols], 301, 3);
  const tensors: sd.Tensor[] = [];
  const w = newWorkload(ctx, {
    id, kind: "softmax", tol: 2e-6,
    reference: () => softmaxRef(x, rows, cols),
    dispose: () => tensors.forEach((t) => t.dispose()),
    numpy: { id, kind: "softmax", params: { rows, cols }, inputs: { x } },
  });
  addBuilds(ctx, w, () => {
    const [X, Y] = [sd.tensor(x, [rows, cols]), sd.zeros([rows, cols])];
    tensors.push(X, Y);
    return { run: () => void sd.softmax(X, { out: Y }), result: () => Y.toFloat32Array(), arrays: { inputs: [[X, x]], output: Y } };
  });
  const y = new Float32Array(rows * cols);
  w.impls.push({ label: "plain JS", kind: "js", run: () => softmaxJS(x, y, rows, cols), result: () => y });
  await addPeers(ctx, w, (p) => (p.softmax ? peerImpl(p, p.softmax(x, rows, cols)) : undefined));
  return w;
}
