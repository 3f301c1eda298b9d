// The ONNX graphs the onnxruntime peers run (onnxruntime-web in this process and in its 2-thread child,
// onnxruntime-node): one builder per workload, shared so every onnxruntime row runs the same graph.
// Weights are initializers; the workload's activations are the only graph inputs.

import { onnxModel, type OnnxNode } from "./onnx-graph.js";
import type { AttentionInputs } from "./types.js";

/** C [m, n] = A [m, k] · B [k, n]; inputs a, b; output c. */
export function gemmModel(m: number, k: number, n: number): Uint8Array {
  return onnxModel({
    nodes: [{ op: "MatMul", inputs: ["a", "b"], outputs: ["c"] }],
    inputs: [{ name: "a", dims: [m, k] }, { name: "b", dims: [k, n] }],
    outputs: [{ name: "c", dims: [m, n] }],
  });
}

/** Row softmax of x [rows, cols]; input x; output y. */
export function softmaxModel(rows: number, cols: number): Uint8Array {
  return onnxModel({
    nodes: [{ op: "Softmax", inputs: ["x"], outputs: ["y"], attrs: [{ name: "axis", i: 1 }] }],
    inputs: [{ name: "x", dims: [rows, cols] }],
    outputs: [{ name: "y", dims: [rows, cols] }],
  });
}

/**
 * Causal MHA from standard ops, the graph a converter emits: MatMul projections, Reshape/Transpose
 * into heads, MatMul for QKᵀ, Mul by the scale, Add of a constant −1e9 mask, Softmax, MatMul with V,
 * Transpose/Reshape back, MatMul by W_o. Input x [T, d]; output y [T, d].
 */
export function attentionModel(i: AttentionInputs): Uint8Array {
  const { T, d, h } = i;
  const dh = d / h;
  const mask = new Float32Array(T * T);
  for (let r = 0; r < T; r++) for (let c = r + 1; c < T; c++) mask[r * T + c] = -1e9;
  const nodes: OnnxNode[] = [];
  for (const p of ["q", "k", "v"]) {
    nodes.push({ op: "MatMul", inputs: ["x", `w${p}`], outputs: [`${p}_proj`] });
    nodes.push({ op: "Reshape", inputs: [`${p}_proj`, "heads_shape"], outputs: [`${p}_r`] });
    // q, v → [h, T, dh]; k → [h, dh, T] (already transposed for QKᵀ)
    nodes.push({ op: "Transpose", inputs: [`${p}_r`], outputs: [`${p}_h`], attrs: [{ name: "perm", ints: p === "k" ? [1, 2, 0] : [1, 0, 2] }] });
  }
  nodes.push(
    { op: "MatMul", inputs: ["q_h", "k_h"], outputs: ["s"] },
    { op: "Mul", inputs: ["s", "scale"], outputs: ["s_scaled"] },
    { op: "Add", inputs: ["s_scaled", "mask"], outputs: ["s_masked"] },
    { op: "Softmax", inputs: ["s_masked"], outputs: ["p"], attrs: [{ name: "axis", i: -1 }] },
    { op: "MatMul", inputs: ["p", "v_h"], outputs: ["y_h"] },
    { op: "Transpose", inputs: ["y_h"], outputs: ["y_t"], attrs: [{ name: "perm", ints: [1, 0, 2] }] },
    { op: "Reshape", inputs: ["y_t", "merged_shape"], outputs: ["merged"] },
    { op: "MatMul", inputs: ["merged", "wo"], outputs: ["y"] },
  );
  return onnxModel({
    nodes,
    inputs: [{ name: "x", dims: [T, d] }],
    outputs: [{ name: "y", dims: [T, d] }],
    initializers: [
      { name: "wq", dims: [d, d], data: i.wq },
      { name: "wk", dims: [d, d], data: i.wk },
      { name: "wv", dims: [d, d], data: i.wv },
      { name: "wo", dims: [d, d], data: i.wo },
      { name: "mask", dims: [T, T], data: mask },
      { name: "scale", dims: [], data: new Float32Array([1 / Math.sqrt(dh)]) },
      { name: "heads_shape", dims: [3], data: [BigInt(T), BigInt(h), BigInt(dh)] },
      { name: "merged_shape", dims: [2], data: [BigInt(T), BigInt(d)] },
    ],
  });
}

/**
 * Causal MHA with onnxruntime's fused contrib operator com.microsoft.Attention (fused W_qkv [d, 3d]
 * with a zero bias, num_heads, unidirectional = 1 for the causal mask) followed by MatMul with W_o:
 * what an optimized transformer export runs. Input x [1, T, d]; output y [T, d].
 */
export function fusedAttentionModel(i: AttentionInputs): Uint8Array {
  const { T, d, h } = i;
  const wqkv = new Float32Array(d * 3 * d);
  for (let r = 0; r < d; r++) {
    wqkv.set(i.wq.subarray(r * d, (r + 1) * d), r * 3 * d);
    wqkv.set(i.wk.subarray(r * d, (r + 1) * d), r * 3 * d + d);
    wqkv.set(i.wv.subarray(r * d, (r + 1) * d), r * 3 * d + 2 * d);
  }
  return onnxModel({
    nodes: [
      { op: "Attention", domain: "com.microsoft", inputs: ["x", "wqkv", "bqkv"], outputs: ["a"], attrs: [{ name: "num_heads", i: h }, { name: "unidirectional", i: 1 }] },
      { op: "Reshape", inputs: ["a", "merged_shape"], outputs: ["merged"] },
      { op: "MatMul", inputs: ["merged", "wo"], outputs: ["y"] },
    ],
    inputs: [{ name: "x", dims: [1, T, d] }],
    outputs: [{ name: "y", dims: [T, d] }],
    initializers: [
      { name: "wqkv", dims: [d, 3 * d], data: wqkv },
      { name: "bqkv", dims: [3 * d], data: new Float32Array(3 * d) },
      { name: "wo", dims: [d, d], data: i.wo },
      { name: "merged_shape", dims: [2], data: [BigInt(T), BigInt(d)] },
    ],
  });
}
