// What a GPT checkpoint must hold, worked out from its config alone, so that loadCheckpoint can check
// the whole file before it builds a model. A config is just numbers in a file: `vocabSize: 20000000`
// in a 15 KiB file once made the loader allocate 1.4 GB of Wasm memory before it noticed that the
// tensors did not match. Here every field is checked against documented limits, and every parameter
// shape against the stored tensors, without allocating anything sized by the config.
//
// The layout mirrors GPT.parameters() (tests/checkpoint-layout.test.ts compares the two on several
// configs, so a change to the model that is not made here fails there).

import { FormatError, formatShape } from "../runtime/errors.js";
import { clip, isJsonObject, parseStrictJson, preview } from "../io/json.js";
import type { GptConfig } from "./gpt.js";

/** Largest config values a checkpoint may declare. Larger models need `limits` passed to loadCheckpoint. */
export const GPT_CHECKPOINT_LIMITS = Object.freeze({
  vocabSize: 1 << 20,
  contextLength: 1 << 16,
  dModel: 1 << 14,
  heads: 1 << 10,
  layers: 1 << 10,
});

export type GptCheckpointLimits = typeof GPT_CHECKPOINT_LIMITS;

/** Default `maxBytes` of loadCheckpoint: the Wasm memory a loaded model may take (2 GiB). */
export const GPT_CHECKPOINT_DEFAULT_MAX_BYTES = 2 ** 31;

const CONFIG_KEYS = ["vocabSize", "contextLength", "dModel", "heads", "layers", "positional", "tieEmbeddings", "seed"] as const;

const bad = (message: string) => new FormatError(`GPT checkpoint: ${message}`, 8);

/** The config in a checkpoint's metadata, checked field by field. */
export function parseCheckpointConfig(text: string | undefined, limits: GptCheckpointLimits = GPT_CHECKPOINT_LIMITS): Required<GptConfig> {
  if (text === undefined) throw bad("__metadata__.config is missing");
  const raw = parseStrictJson(text, { what: "GPT checkpoint: __metadata__.config", maxDepth: 4 });
  if (!isJsonObject(raw)) throw bad(`__metadata__.config must be a JSON object, got ${preview(raw)}`);
  for (const key of Object.keys(raw)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) throw bad(`config field ${preview(key)} is unknown (known: ${CONFIG_KEYS.join(", ")})`);
  }
  for (const key of ["vocabSize", "contextLength", "dModel", "heads", "layers"] as const) {
    const value = raw[key];
    if (value === undefined) throw bad(`config.${key} is missing`);
    if (!(typeof value === "number" && Number.isInteger(value) && value >= 1)) throw bad(`config.${key} must be a positive integer, got ${preview(value)}`);
    if (value > limits[key]) throw bad(`config.${key} = ${value} is above the limit of ${limits[key]} (pass larger limits to loadCheckpoint to load such a model)`);
  }
  const positional = raw.positional ?? "sinusoidal";
  if (positional !== "sinusoidal" && positional !== "learned") throw bad(`config.positional must be "sinusoidal" or "learned", got ${preview(positional)}`);
  const tieEmbeddings = raw.tieEmbeddings ?? true;
  if (typeof tieEmbeddings !== "boolean") throw bad(`config.tieEmbeddings must be true or false, got ${preview(tieEmbeddings)}`);
  const seed = raw.seed ?? 0;
  if (!(typeof seed === "number" && Number.isSafeInteger(seed))) throw bad(`config.seed must be an integer, got ${preview(seed)}`);
  const c = raw as unknown as Required<GptConfig>;
  if (c.dModel % c.heads !== 0) throw bad(`config.dModel ${c.dModel} is not divisible by config.heads ${c.heads}`);
  return { vocabSize: c.vocabSize, contextLength: c.contextLength, dModel: c.dModel, heads: c.heads, layers: c.layers, positional, tieEmbeddings, seed };
}

/** Every parameter of GPT(config), in GPT.parameters() order, with its shape. */
export function gptParameterShapes(config: Required<GptConfig>): [string, number[]][] {
  const { vocabSize: v, contextLength: t, dModel: d, layers } = config;
  const out: [string, number[]][] = [["wte", [v, d]]];
  if (config.positional === "learned") out.push(["wpe", [t, d]]);
  const dense = (name: string, inputs: number, outputs: number) => {
    out.push([`${name}.weights`, [inputs, outputs]], [`${name}.bias`, [1, outputs]]);
  };
  for (let i = 0; i < layers; i++) {
    const b = `blocks.${i}`;
    out.push([`${b}.ln1.gamma`, [d]], [`${b}.ln1.beta`, [d]]);
    dense(`${b}.attn.qkv`, d, 3 * d);
    dense(`${b}.attn.out`, d, d);
    out.push([`${b}.ln2.gamma`, [d]], [`${b}.ln2.beta`, [d]]);
    dense(`${b}.mlp.fc`, d, 4 * d);
    dense(`${b}.mlp.proj`, 4 * d, d);
  }
  out.push(["ln_f.gamma", [d]], ["ln_f.beta", [d]]);
  if (!config.tieEmbeddings) out.push(["wu", [d, v]]);
  return out;
}

/**
 * Bytes of Wasm memory GPT(config) takes when built: every parameter and its gradient, and the fixed
 * sinusoidal table [contextLength, dModel]. Parameter counts come from shapes that were already
 * matched against the file, so only the table is not paid for by the file's own size.
 */
export function gptModelBytes(config: Required<GptConfig>, shapes: [string, number[]][]): number {
  let floats = 0;
  for (const [, shape] of shapes) floats += 2 * shape.reduce((a, b) => a * b, 1);
  if (config.positional === "sinusoidal") floats += config.contextLength * config.dModel;
  return 4 * floats;
}

/** Stored tensors as the layout needs them: name → shape. */
export type StoredShapes = ReadonlyMap<string, readonly number[]>;

/**
 * Checks every stored tensor against the layout: each parameter present with its exact shape; with
 * optimizer "adamw", optimizer.m.NAME and optimizer.v.NAME for every parameter with the same shape;
 * with "none", no optimizer tensors; no tensor the model does not have.
 */
export function checkCheckpointTensors(shapes: [string, number[]][], stored: StoredShapes, optimizer: "adamw" | "none"): void {
  const known = new Set<string>();
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  for (const [name, shape] of shapes) {
    const names = optimizer === "adamw" ? [name, `optimizer.m.${name}`, `optimizer.v.${name}`] : [name];
    for (const n of names) {
      known.add(n);
      const have = stored.get(n);
      if (have === undefined) {
        throw bad(n === name ? `tensor "${n}" is missing` : `the optimizer state of "${name}" is missing: no tensor "${n}" (the file says optimizer = "adamw")`);
      }
      if (!same(have, shape)) {
        throw bad(`tensor "${n}" has shape ${formatShape(have.slice(0, 8))}${have.length > 8 ? "…" : ""}, the config needs ${formatShape(shape)}`);
      }
    }
  }
  const unknown: string[] = [];
  for (const name of stored.keys()) if (!known.has(name)) unknown.push(name);
  if (unknown.length === 0) return;
  const optimizerTensor = unknown.find((n) => n.startsWith("optimizer."));
  if (optimizerTensor !== undefined) {
    throw bad(optimizer === "none"
      ? `tensor ${preview(optimizerTensor)} is optimizer state, but __metadata__.optimizer is "none"`
      : `tensor ${preview(optimizerTensor)} is not the optimizer state of any parameter`);
  }
  throw bad(`unexpected tensors ${unknown.slice(0, 5).map(clip).join(", ")}${unknown.length > 5 ? `, … (${unknown.length} in all)` : ""}`);
}

/** The step in the metadata: a non-negative decimal integer. */
export function parseCheckpointStep(text: string | undefined): number {
  if (text === undefined) throw bad("__metadata__.step is missing");
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw bad(`__metadata__.step must be a non-negative integer, got ${preview(text)}`);
  }
  return Number(text);
}
