// GPT checkpoints as safetensors: every parameter under its name (wte, blocks.0.attn.qkv.weights, …),
// optionally AdamW's moments (optimizer.m.NAME, optimizer.v.NAME), and in __metadata__ the model
// config, the tokenizer, the step and anything else the caller adds — enough to resume training
// exactly or to generate. Loading checks the whole file (checkpoint-layout.ts) before it builds anything.

import { ArgumentError, FormatError } from "../runtime/errors.js";
import { preview } from "../io/json.js";
import { readSafetensors, writeSafetensors, type SafetensorsInput } from "../io/safetensors.js";
import type { Adam } from "../nn/optimizers.js";
import {
  GPT_CHECKPOINT_DEFAULT_MAX_BYTES, GPT_CHECKPOINT_LIMITS, checkCheckpointTensors, gptModelBytes, gptParameterShapes,
  parseCheckpointConfig, parseCheckpointStep, type GptCheckpointLimits,
} from "./checkpoint-layout.js";
import { GPT, type GptConfig } from "./gpt.js";
import { Tokenizer } from "./tokenizer.js";

export { GPT_CHECKPOINT_DEFAULT_MAX_BYTES, GPT_CHECKPOINT_LIMITS, type GptCheckpointLimits } from "./checkpoint-layout.js";

export const GPT_FORMAT = "simdnet.GPT/1";

export interface CheckpointInfo {
  /** Tokenizer as JSON text (Tokenizer.toJSON()). */
  tokenizer: string;
  step: number;
  /** Free-form extras (training options, corpus name…). */
  extra?: Record<string, string>;
}

export function saveCheckpoint(model: GPT, info: CheckpointInfo, optimizer?: Adam): Uint8Array {
  const tensors: Record<string, SafetensorsInput> = {};
  for (const p of model.parameters()) {
    tensors[p.name] = { shape: p.value.shape, data: p.value.toFloat32Array() };
    if (optimizer) {
      const { m, v } = optimizer.moments(p.value);
      tensors[`optimizer.m.${p.name}`] = { shape: p.value.shape, data: m.toFloat32Array() };
      tensors[`optimizer.v.${p.name}`] = { shape: p.value.shape, data: v.toFloat32Array() };
    }
  }
  return writeSafetensors(tensors, {
    ...info.extra,
    format: GPT_FORMAT,
    config: JSON.stringify(model.config),
    tokenizer: info.tokenizer,
    step: String(info.step),
    optimizer: optimizer ? "adamw" : "none",
  });
}

export interface LoadedCheckpoint {
  model: GPT;
  tokenizer: string;
  step: number;
  metadata: Record<string, string>;
  /** Copy the saved AdamW moments into an optimizer for `model` (false if the file has none). */
  restoreOptimizer(optimizer: Adam): boolean;
}

export interface CheckpointLoadOptions {
  /** Most Wasm memory the model may take once built (parameters, gradients, position table); default 2 GiB. */
  maxBytes?: number;
  /** Largest config values accepted; default GPT_CHECKPOINT_LIMITS. */
  limits?: Partial<GptCheckpointLimits>;
}

/**
 * Rebuild a GPT from saveCheckpoint's bytes. The whole file is checked first — the safetensors
 * structure, the config against GPT_CHECKPOINT_LIMITS, every parameter shape (and AdamW moment)
 * against the stored tensors, the step, the optimizer field, the tokenizer against vocabSize, and the
 * memory the model will take against `maxBytes` — and only then is the model built, so a bad file
 * costs about its own size to reject. Any problem is a FormatError that names the field or tensor.
 * `expected` fields must match the saved config.
 */
export function loadCheckpoint(bytes: Uint8Array, expected?: Partial<GptConfig>, options: CheckpointLoadOptions = {}): LoadedCheckpoint {
  const maxBytes = options.maxBytes ?? GPT_CHECKPOINT_DEFAULT_MAX_BYTES;
  if (!(typeof maxBytes === "number" && maxBytes >= 0)) throw new ArgumentError(`loadCheckpoint: maxBytes must be a non-negative number, got ${maxBytes}`);
  const file = readSafetensors(bytes);
  const meta = file.metadata;
  if (meta.format !== GPT_FORMAT) throw new FormatError(`GPT checkpoint: __metadata__.format is ${preview(meta.format)}, expected "${GPT_FORMAT}"`, 8);
  const config = parseCheckpointConfig(meta.config, { ...GPT_CHECKPOINT_LIMITS, ...options.limits });
  if (expected) {
    for (const [key, value] of Object.entries(expected) as [keyof GptConfig, unknown][]) {
      if (value !== undefined && config[key] !== value) {
        throw new FormatError(`GPT checkpoint: it was saved with ${key} = ${JSON.stringify(config[key])}, but ${key} = ${preview(value)} was asked for`, 8);
      }
    }
  }
  const optimizerName = meta.optimizer ?? "none";
  if (optimizerName !== "adamw" && optimizerName !== "none") {
    throw new FormatError(`GPT checkpoint: __metadata__.optimizer must be "adamw" or "none", got ${preview(optimizerName)}`, 8);
  }
  const step = parseCheckpointStep(meta.step);
  const shapes = gptParameterShapes(config);
  const stored = new Map(Object.entries(file.tensors).map(([name, t]) => [name, t.shape]));
  checkCheckpointTensors(shapes, stored, optimizerName);
  const tokenizer = meta.tokenizer ?? "";
  if (tokenizer !== "") {
    let tok: Tokenizer;
    try {
      tok = Tokenizer.fromJSON(tokenizer);
    } catch (cause) {
      throw new FormatError(`GPT checkpoint: __metadata__.tokenizer is not a valid tokenizer: ${(cause as Error).message}`, 8, { cause });
    }
    if (tok.vocabSize !== config.vocabSize) {
      throw new FormatError(`GPT checkpoint: __metadata__.tokenizer has ${tok.vocabSize} tokens, but config.vocabSize is ${config.vocabSize}`, 8);
    }
  }
  const need = gptModelBytes(config, shapes);
  if (need > maxBytes) {
    throw new FormatError(`GPT checkpoint: the model needs ${need} bytes of memory (parameters, gradients, position table), more than maxBytes = ${maxBytes}`, 8);
  }

  let model: GPT;
  try {
    model = new GPT(config);
  } catch (cause) {
    throw new FormatError(`GPT checkpoint: the saved config is not a valid model: ${(cause as Error).message}`, 8, { cause });
  }
  try {
    for (const p of model.parameters()) {
      const t = file.tensors[p.name];
      // Checked above against the layout; this guards a model whose parameters drifted from it.
      if (!t || t.data.length !== p.value.size) throw new FormatError(`GPT checkpoint: tensor "${p.name}" does not fit the model`, 8);
      p.value.view().set(t.data);
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return {
    model,
    tokenizer,
    step,
    metadata: meta,
    restoreOptimizer(optimizer: Adam): boolean {
      if (optimizerName !== "adamw") return false;
      // Every moment was matched to its parameter's shape at load; the optimizer's own moment
      // tensors are created for these parameters, so the sizes agree.
      for (const p of model.parameters()) {
        const moments = optimizer.moments(p.value);
        moments.m.view().set(file.tensors[`optimizer.m.${p.name}`]!.data);
        moments.v.view().set(file.tensors[`optimizer.v.${p.name}`]!.data);
      }
      optimizer.stepCount = step;
      return true;
    },
  };
}
