// Saving and loading a NeuralNetwork as safetensors: one F32 tensor per parameter, named as
// parameters() names them ("layers.0.weights" [inputs, outputs], "layers.0.bias" [1, outputs]),
// with the architecture in the header's __metadata__, so Python's safetensors/numpy can read the
// weights and NeuralNetwork.load can rebuild the network.

import { FormatError } from "../runtime/errors.js";
import { readSafetensors, writeSafetensors, type SafetensorsInput } from "../io/safetensors.js";
import type { Parameter } from "./module.js";

export const MLP_FORMAT = "simdnet.NeuralNetwork/1";

export function parametersToSafetensors(params: readonly Parameter[], metadata: Record<string, string>): Uint8Array {
  const tensors: Record<string, SafetensorsInput> = {};
  for (const p of params) tensors[p.name] = { shape: p.value.shape, data: p.value.toFloat32Array() };
  return writeSafetensors(tensors, { format: MLP_FORMAT, ...metadata });
}

export interface LoadedNetwork {
  metadata: Record<string, string>;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

export function readNetworkFile(bytes: Uint8Array): LoadedNetwork {
  const file = readSafetensors(bytes);
  if (file.metadata.format !== MLP_FORMAT) {
    throw new FormatError(`NeuralNetwork.load: the file's __metadata__.format is ${JSON.stringify(file.metadata.format)}, expected "${MLP_FORMAT}" (not a simdnet network file)`, 8);
  }
  return { metadata: file.metadata, tensors: new Map(Object.entries(file.tensors)) };
}
