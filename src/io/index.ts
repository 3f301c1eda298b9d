// Files people bring and take away: safetensors weights. Depends only on runtime/.
export {
  writeSafetensors, readSafetensors, SAFETENSORS_MAX_HEADER_BYTES,
  type SafetensorsInput, type SafetensorsTensor, type SafetensorsFile,
} from "./safetensors.js";
