// Files people bring and take away: safetensors weights and NumPy .npy arrays. Depends only on runtime/.
export {
  writeSafetensors, readSafetensors, SAFETENSORS_MAX_HEADER_BYTES, SAFETENSORS_DEFAULT_MAX_TENSORS,
  type SafetensorsReadOptions,
  type SafetensorsInput, type SafetensorsTensor, type SafetensorsFile,
} from "./safetensors.js";
export {
  readNpy, readNpyTensor, writeNpy, NPY_DEFAULT_MAX_BYTES,
  type NpyArray, type NpyInput, type NpyReadOptions, type NpyTensorOptions,
} from "./npy.js";
export { parseStrictJson, JSON_DEFAULT_MAX_DEPTH, type StrictJsonOptions, type JsonValue } from "./json.js";
