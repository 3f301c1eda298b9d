export { init, createBackend, setBackend, getBackend, backendInfo, memory, shutdown } from "./engine.js";
export { Backend, type BackendOptions, type BackendInfo, type MemoryInfo } from "./backend.js";
export { Tensor, type NestedArray } from "./tensor.js";
export { tensor, tensorOn, zeros, ones, full, randn, randu, empty, type TensorData, type RandomOptions } from "./creation.js";
export { tidy, keep, untracked } from "./tidy.js";
export { disposeOnThrow } from "./dispose-on-throw.js";
export { Random } from "./random.js";
export {
  SimdnetError, ShapeError, ArgumentError, DisposedTensorError, BackendMismatchError, OutOfMemoryError,
  WasmLoadError, NotInitializedError, FormatError, DivergenceError, ThreadError,
} from "./errors.js";
export { engineSupportsRelaxedSimd, engineSupportsSimd, type BuildName, type WasmSource } from "./wasm-loader.js";
