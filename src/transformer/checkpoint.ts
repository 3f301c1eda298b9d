// GPT checkpoints as safetensors: every parameter under its name (wte, blocks.0.attn.qkv.weights, …),
// optionally AdamW's moments (optimizer.m.NAME, optimizer.v.NAME), and in __metadata__ the model
// config, the tokenizer, the step and anything else the caller adds — enough to resume training
// exactly or to generate. Loading checks every tensor against the config before copying anything.

import { FormatError, formatShape } from "../runtime/errors.js";
import { readSafetensors, writeSafetensors, type SafetensorsInput } from "../io/safetensors.js";
import { GPT, type GptConfig } from "./gpt.js";
import type { Adam } from "../nn/optimizers.js";

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

export function loadCheckpoint(bytes: Uint8Array, expected?: Partial<GptConfig>): LoadedCheckpoint {
  const file = readSafetensors(bytes);
  const meta = file.metadata;
  if (meta.format !== GPT_FORMAT) throw new FormatError(`GPT checkpoint: __metadata__.format is ${JSON.stringify(meta.format)}, expected "${GPT_FORMAT}"`, 8);
  let config: GptConfig;
  try {
    config = JSON.parse(meta.config ?? "");
  } catch (cause) {
    throw new FormatError(`GPT checkpoint: __metadata__.config is not JSON`, 8, { cause });
  }
  if (expected) {
    for (const [key, value] of Object.entries(expected) as [keyof GptConfig, unknown][]) {
      if (value !== undefined && config[key] !== value) {
        throw new FormatError(`GPT checkpoint: it was saved with ${key} = ${JSON.stringify(config[key])}, but ${key} = ${JSON.stringify(value)} was asked for`, 8);
      }
    }
  }
  let model: GPT;
  try {
    model = new GPT(config);
  } catch (cause) {
    throw new FormatError(`GPT checkpoint: the saved config is not a valid model: ${(cause as Error).message}`, 8, { cause });
  }
  try {
    const names = new Set<string>();
    for (const p of model.parameters()) {
      names.add(p.name);
      const t = file.tensors[p.name];
      if (!t) throw new FormatError(`GPT checkpoint: tensor "${p.name}" is missing`, 8);
      if (t.shape.length !== p.value.rank || t.shape.some((d, i) => d !== p.value.shape[i])) {
        throw new FormatError(`GPT checkpoint: tensor "${p.name}" has shape ${formatShape(t.shape)}, the config needs ${formatShape(p.value.shape)}`, 8);
      }
      p.value.view().set(t.data);
    }
    const unknown = Object.keys(file.tensors).filter((k) => !names.has(k) && !k.startsWith("optimizer."));
    if (unknown.length > 0) throw new FormatError(`GPT checkpoint: unexpected tensors ${unknown.slice(0, 5).join(", ")}${unknown.length > 5 ? ", …" : ""}`, 8);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return {
    model,
    tokenizer: meta.tokenizer ?? "",
    step: Number(meta.step ?? 0),
    metadata: meta,
    restoreOptimizer(optimizer: Adam): boolean {
      if (meta.optimizer !== "adamw") return false;
      for (const p of model.parameters()) {
        const m = file.tensors[`optimizer.m.${p.name}`];
        const v = file.tensors[`optimizer.v.${p.name}`];
        if (!m || !v) throw new FormatError(`GPT checkpoint: the optimizer state of "${p.name}" is missing`, 8);
        const moments = optimizer.moments(p.value);
        moments.m.view().set(m.data);
        moments.v.view().set(v.data);
      }
      optimizer.stepCount = Number(meta.step ?? 0);
      return true;
    },
  };
}
