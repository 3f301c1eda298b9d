// simdnet: machine learning from scratch with the hot loops in WebAssembly SIMD.
// Layers, bottom up: runtime (Wasm, memory, Tensor) ← ops (shape-checked kernels) ← nn ← transformer ← jobs (whole training runs).
export * from "./runtime/index.js";
export * from "./ops/index.js";
export * from "./nn/index.js";
export * from "./data/index.js";
export * from "./io/index.js";
export * from "./transformer/index.js";
export * from "./jobs/index.js";
