// onnxruntime-node peers: onnxruntime's native CPU execution provider (MLAS kernels for this CPU's
// x86 extensions, its own thread pool) in this process, intraOpNumThreads 1 and 2 (interOpNumThreads 1,
// sequential execution, graphOptimizationLevel "all"), on the graphs of ./onnx-models.ts. It is what a
// Node user would pick instead of a Wasm library: a native reference row, not a target. A bench-only
// install (npm run bench:install-peers, bench/tools/install-peers.sh): when it is missing, its rows say so.
//
// Differs from simdnet: native code (x86 intrinsics, no Wasm sandbox); every run copies its inputs
// and returns a freshly allocated output; attention runs the fused com.microsoft.Attention contrib op
// (fused W_qkv projection, causal via unidirectional = 1, the best form onnxruntime has), then MatMul
// by W_o; no training (onnxruntime-node runs inference only).

import { fusedAttentionModel, gemmModel, softmaxModel } from "./onnx-models.js";
import { sessionImpl, type OrtSession } from "./onnxruntime.js";
import type { AttentionInputs, Peer } from "./types.js";

export const NOT_INSTALLED = "not installed: run npm run bench:install-peers";

/** The slice of onnxruntime-node's API used here (the package is not a dependency, so not typed by it). */
interface OrtNode {
  env: { versions: Record<string, string> };
  Tensor: new (type: "float32", data: Float32Array, dims: number[]) => unknown;
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
}

async function load(): Promise<OrtNode> {
  const name = "onnxruntime-node"; // a variable: tsc must not require the package to be installed
  try {
    return (await import(name)) as OrtNode;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") throw new Error(NOT_INSTALLED);
    throw e;
  }
}

export async function onnxruntimeNodePeer(threads: 1 | 2): Promise<Peer> {
  const ort = await load();
  const options = { executionProviders: ["cpu"], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all", logSeverityLevel: 3 };
  const session = (model: Uint8Array): Promise<OrtSession> => ort.InferenceSession.create(model, options);
  await (await session(softmaxModel(1, 4))).release();
  const f32 = (data: Float32Array, dims: number[]): unknown => new ort.Tensor("float32", data, dims);
  const noTraining = "onnxruntime-node runs inference only (training needs onnxruntime-training's artifacts)";
  return {
    name: threads === 1 ? "onnxruntime-node" : "onnxruntime-node 2 threads",
    setup: `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common ?? "?"} (native CPU execution provider, intraOpNumThreads ${threads}, interOpNumThreads 1, graphOptimizationLevel all; attention: com.microsoft.Attention); a native reference, not a target`,
    gemm: (a, b, m, k, n) => sessionImpl(() => session(gemmModel(m, k, n)), { a: f32(a, [m, k]), b: f32(b, [k, n]) }, "c"),
    softmax: (x, rows, cols) => sessionImpl(() => session(softmaxModel(rows, cols)), { x: f32(x, [rows, cols]) }, "y"),
    attention: (i: AttentionInputs) => sessionImpl(() => session(fusedAttentionModel(i)), { x: f32(i.x, [1, i.T, i.d]) }, "y"),
    unsupported: { train: noTraining, "gpt-train": noTraining, "gpt-generate": "not built: no GPT graph in hand-written ONNX (tfjs-wasm is the like-for-like peer)" },
  };
}
