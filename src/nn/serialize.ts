// Saving and loading a NeuralNetwork as safetensors: one F32 tensor per parameter, named as
// parameters() names them ("layers.0.weights" [inputs, outputs], "layers.0.bias" [1, outputs]),
// with the architecture in the header's __metadata__, so Python's safetensors/numpy can read the
// weights and NeuralNetwork.load can rebuild the network.
//
// readNetworkFile checks the whole file before NeuralNetwork.load allocates anything: every metadata
// field (a FormatError names the field), every tensor against the shapes the layer sizes imply, and
// the memory the network will take against `maxBytes`. layerSizes [20000, 20000] in a small file
// once made the loader ask for 1.6 GB before it compared shapes.

import { ArgumentError, FormatError, formatShape } from "../runtime/errors.js";
import { clip, parseStrictJson, preview } from "../io/json.js";
import { readSafetensors, writeSafetensors, type SafetensorsInput } from "../io/safetensors.js";
import { ACTIVATIONS, type Activation } from "../ops/dense.js";
import { INIT_SCHEMES, type InitScheme } from "./init.js";
import { LOSS_NAMES, type LossName } from "./losses.js";
import type { Parameter } from "./module.js";
import { OPTIMIZER_NAMES, type OptimizerName } from "./optimizers.js";
import { PROPAGATIONS, type Propagation } from "./propagate.js";

export const MLP_FORMAT = "simdnet.NeuralNetwork/1";

/** Most layers (layerSizes.length − 1) and widest layer a network file may declare. */
export const NETWORK_FILE_LIMITS = Object.freeze({ layers: 1024, width: 1 << 24 });

/** Default `maxBytes` of NeuralNetwork.load: the Wasm memory the weights and their gradients may take (2 GiB). */
export const NETWORK_FILE_DEFAULT_MAX_BYTES = 2 ** 31;

export interface NetworkFileOptions {
  /** Most Wasm memory the loaded network's parameters and gradients may take; default 2 GiB. */
  maxBytes?: number;
}

export function parametersToSafetensors(params: readonly Parameter[], metadata: Record<string, string>): Uint8Array {
  const tensors: Record<string, SafetensorsInput> = {};
  for (const p of params) tensors[p.name] = { shape: p.value.shape, data: p.value.toFloat32Array() };
  return writeSafetensors(tensors, { format: MLP_FORMAT, ...metadata });
}

/** A network file, checked: the architecture and options, and one tensor per parameter with the right shape. */
export interface NetworkFile {
  layerSizes: number[];
  options: {
    hiddenActivation: Activation;
    outputActivation: Activation;
    init: InitScheme;
    loss: LossName;
    optimizer: OptimizerName;
    shuffle: boolean;
    seed: number;
    propagate: Propagation;
  };
  /** Parameter name → values, in parameters() order. */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

const bad = (message: string) => new FormatError(`NeuralNetwork.load: ${message}`, 8);

function oneOf<T extends string>(meta: Record<string, string>, key: string, choices: readonly T[]): T {
  const value = meta[key];
  if (value === undefined) throw bad(`metadata ${key} is missing`);
  if (!(choices as readonly string[]).includes(value)) throw bad(`metadata ${key} ${preview(value)} is not one of ${choices.join(", ")}`);
  return value as T;
}

function parseLayerSizes(text: string | undefined): number[] {
  if (text === undefined) throw bad("metadata layerSizes is missing");
  let sizes: unknown;
  try {
    sizes = parseStrictJson(text, { what: "layerSizes", maxDepth: 1 });
  } catch {
    sizes = undefined;
  }
  if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((s) => typeof s === "number" && Number.isInteger(s) && s >= 1)) {
    throw bad(`metadata layerSizes ${preview(text)} is not a list of at least two positive integers`);
  }
  const { layers, width } = NETWORK_FILE_LIMITS;
  if (sizes.length - 1 > layers) throw bad(`metadata layerSizes declares ${sizes.length - 1} layers, more than the limit of ${layers}`);
  const wide = sizes.findIndex((s) => s > width);
  if (wide >= 0) throw bad(`metadata layerSizes[${wide}] = ${sizes[wide]} is above the limit of ${width}`);
  return sizes as number[];
}

/** Read and check a file written by NeuralNetwork.save(); nothing is allocated in Wasm memory. */
export function readNetworkFile(bytes: Uint8Array, options: NetworkFileOptions = {}): NetworkFile {
  const maxBytes = options.maxBytes ?? NETWORK_FILE_DEFAULT_MAX_BYTES;
  if (!(typeof maxBytes === "number" && maxBytes >= 0)) throw new ArgumentError(`NeuralNetwork.load: maxBytes must be a non-negative number, got ${maxBytes}`);
  const file = readSafetensors(bytes);
  const meta = file.metadata;
  if (meta.format !== MLP_FORMAT) {
    throw bad(`the file's __metadata__.format is ${preview(meta.format)}, expected "${MLP_FORMAT}" (not a simdnet network file)`);
  }
  // Other metadata keys are allowed and ignored (a caller may add its own): none of them sizes anything.
  const layerSizes = parseLayerSizes(meta.layerSizes);
  const shuffle = meta.shuffle;
  if (shuffle !== "true" && shuffle !== "false") throw bad(`metadata shuffle must be "true" or "false", got ${preview(shuffle)}`);
  const seedText = meta.seed;
  if (seedText === undefined || !NUMBER.test(seedText) || !Number.isFinite(Number(seedText))) {
    throw bad(`metadata seed must be a number, got ${preview(seedText)}`);
  }
  const networkOptions = {
    hiddenActivation: oneOf(meta, "hiddenActivation", ACTIVATIONS),
    outputActivation: oneOf(meta, "outputActivation", ACTIVATIONS),
    init: oneOf(meta, "init", INIT_SCHEMES),
    loss: oneOf(meta, "loss", LOSS_NAMES),
    optimizer: oneOf(meta, "optimizer", OPTIMIZER_NAMES),
    shuffle: shuffle === "true",
    seed: Number(seedText),
    // Files written before the option existed used standard backprop.
    propagate: meta.propagate === undefined ? ("pre" as const) : oneOf(meta, "propagate", PROPAGATIONS),
  };

  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  let floats = 0;
  const sizes = formatShape(layerSizes);
  for (let i = 0; i + 1 < layerSizes.length; i++) {
    const [inputs, outputs] = [layerSizes[i]!, layerSizes[i + 1]!];
    for (const [name, shape] of [[`layers.${i}.weights`, [inputs, outputs]], [`layers.${i}.bias`, [1, outputs]]] as const) {
      const t = file.tensors[name];
      if (!t) throw bad(`tensor "${name}" is missing for layer sizes ${sizes}`);
      if (t.shape.length !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) {
        throw bad(`tensor "${name}" has shape ${formatShape(t.shape.slice(0, 8))}${t.shape.length > 8 ? "…" : ""}, layer sizes ${sizes} need ${formatShape(shape)}`);
      }
      tensors.set(name, t);
      floats += t.data.length;
    }
  }
  // A train-mlp checkpoint also carries the optimizer's state for exact resume (src/jobs/optimizer-state.ts):
  // "optimizer.{m,v,velocity}.<parameter>", each the shape of its parameter. load() does not read it.
  const isOptimizerState = (k: string) => {
    const m = /^optimizer\.(m|v|velocity)\.(.+)$/.exec(k);
    const param = m ? tensors.get(m[2]!) : undefined;
    const t = file.tensors[k]!;
    return param !== undefined && t.shape.length === param.shape.length && t.shape.every((d, i) => d === param.shape[i]);
  };
  const extra = Object.keys(file.tensors).filter((k) => !tensors.has(k) && !isOptimizerState(k));
  if (extra.length > 0) {
    throw bad(`unexpected tensors ${extra.slice(0, 5).map(clip).join(", ")}${extra.length > 5 ? `, … (${extra.length} in all)` : ""} for layer sizes ${sizes}`);
  }
  // Weights and gradients; the file itself pays for the weights, so this bounds the gradients too.
  if (8 * floats > maxBytes) throw bad(`the network needs ${8 * floats} bytes of memory (weights and gradients), more than maxBytes = ${maxBytes}`);
  return { layerSizes, options: networkOptions, tensors };
}
