// Untrusted metadata (issue 9, findings 2, 5, 6, 7, 13): loaders check the whole file before they
// allocate anything sized by it, validate every field, and reject duplicate keys and deep nesting,
// each with a FormatError that names the field; a rejected 15 KiB file costs at most a few MiB and
// leaves no tensors behind.

import { beforeAll, describe, expect, it } from "vitest";
import {
  FormatError, GPT_CHECKPOINT_LIMITS, NeuralNetwork, Tokenizer, init, loadCheckpoint, memory, readSafetensors,
} from "../src/index.js";
import { GPT_TEXT, checkpointSample, networkSample, rawSafetensors, rewriteSafetensors, type EditableTensors } from "./fuzz/files.js";

const MiB = 1 << 20;
let checkpoint: Uint8Array;
let network: Uint8Array;
const vocab = Tokenizer.characters(GPT_TEXT).vocabSize;

beforeAll(async () => {
  await init();
  checkpoint = checkpointSample().file;
  network = networkSample().file;
});

/** The FormatError that `load` throws, after checking it left no tensors and cost at most 4 MiB. */
function rejects(load: () => unknown, message: RegExp | string): FormatError {
  const tensors = memory().numTensors;
  const wasm = memory().wasmBytes;
  const arrays = process.memoryUsage().arrayBuffers;
  let error: unknown;
  try {
    load();
  } catch (e) {
    error = e;
  }
  expect(error, "expected a FormatError").toBeInstanceOf(FormatError);
  const fe = error as FormatError;
  if (typeof message === "string") expect(fe.message).toContain(message);
  else expect(fe.message).toMatch(message);
  expect(fe.message.length, fe.message).toBeLessThan(400);
  expect(memory().numTensors).toBe(tensors);
  expect(memory().wasmBytes - wasm).toBeLessThanOrEqual(4 * MiB);
  expect(process.memoryUsage().arrayBuffers - arrays).toBeLessThan(4 * MiB);
  return fe;
}

const editCheckpoint = (edit: (t: EditableTensors, m: Record<string, string>) => void) => rewriteSafetensors(checkpoint, edit);
const editConfig = (edit: (c: Record<string, unknown>) => void) =>
  editCheckpoint((_, m) => {
    const c = JSON.parse(m.config!) as Record<string, unknown>;
    edit(c);
    m.config = JSON.stringify(c);
  });
const editNetwork = (edit: (t: EditableTensors, m: Record<string, string>) => void) => rewriteSafetensors(network, edit);
const deep = (n: number, inner = "1") => "[".repeat(n) + inner + "]".repeat(n);

describe("GPT checkpoints: the config is checked against limits and the stored tensors before the model is built", () => {
  it("the sample is small, and loads", () => {
    expect(checkpoint.length).toBeLessThan(20 * 1024);
    loadCheckpoint(checkpoint).model.dispose();
  });

  it("huge config values are refused by the documented limits", () => {
    rejects(() => loadCheckpoint(editConfig((c) => (c.vocabSize = 20_000_000))), `config.vocabSize = 20000000 is above the limit of ${GPT_CHECKPOINT_LIMITS.vocabSize}`);
    rejects(() => loadCheckpoint(editConfig((c) => (c.layers = 20_000))), "config.layers = 20000 is above the limit of 1024");
    rejects(() => loadCheckpoint(editConfig((c) => (c.contextLength = 3_000_000))), "config.contextLength = 3000000 is above the limit of 65536");
    rejects(() => loadCheckpoint(editConfig((c) => (c.dModel = 1 << 20))), "config.dModel = 1048576 is above the limit");
    rejects(() => loadCheckpoint(checkpoint, undefined, { limits: { vocabSize: vocab - 1 } }), `config.vocabSize = ${vocab} is above the limit of ${vocab - 1}`);
  });

  it("values under the limits that do not match the stored tensors fail before anything is allocated", () => {
    rejects(() => loadCheckpoint(editConfig((c) => (c.vocabSize = 1_000_000))), `tensor "wte" has shape [${vocab},8], the config needs [1000000,8]`);
    rejects(() => loadCheckpoint(editConfig((c) => (c.layers = 1000))), 'tensor "blocks.1.ln1.gamma" is missing');
    rejects(() => loadCheckpoint(editConfig((c) => { c.dModel = 16000; c.heads = 1; })), `tensor "wte" has shape [${vocab},8], the config needs [${vocab},16000]`);
    rejects(() => loadCheckpoint(editConfig((c) => (c.positional = "learned"))), 'tensor "wpe" is missing');
  });

  it("maxBytes bounds the memory of the model the file describes", () => {
    rejects(() => loadCheckpoint(checkpoint, undefined, { maxBytes: 1000 }), /the model needs \d+ bytes of memory .* more than maxBytes = 1000\b/);
  });

  it("config fields of the wrong type, unknown or duplicated", () => {
    rejects(() => loadCheckpoint(editConfig((c) => (c.heads = 3))), "config.dModel 8 is not divisible by config.heads 3");
    rejects(() => loadCheckpoint(editConfig((c) => (c.layers = 1.5))), "config.layers must be a positive integer, got 1.5");
    rejects(() => loadCheckpoint(editConfig((c) => (c.layers = "1"))), 'config.layers must be a positive integer, got "1"');
    rejects(() => loadCheckpoint(editConfig((c) => delete c.heads)), "config.heads is missing");
    rejects(() => loadCheckpoint(editConfig((c) => (c.tieEmbeddings = "yes"))), "config.tieEmbeddings must be true or false");
    rejects(() => loadCheckpoint(editConfig((c) => (c.extra = 1))), 'config field "extra" is unknown');
    rejects(() => loadCheckpoint(editCheckpoint((_, m) => (m.config = m.config!.replace('"layers":1', '"layers":1,"layers":2')))), 'duplicate key "layers"');
    rejects(() => loadCheckpoint(editCheckpoint((_, m) => (m.config = `{"a":${deep(10_000)}}`))), "nesting deeper than 4 levels");
  });

  it("optimizer state: exact sizes, all or nothing, nothing unknown", () => {
    rejects(() => loadCheckpoint(editCheckpoint((t) => (t["optimizer.m.wte"] = { shape: [vocab + 1, 8], data: new Float32Array((vocab + 1) * 8) }))),
      `tensor "optimizer.m.wte" has shape [${vocab + 1},8], the config needs [${vocab},8]`);
    rejects(() => loadCheckpoint(editCheckpoint((t) => (t["optimizer.v.ln_f.beta"] = { shape: [7], data: new Float32Array(7) }))),
      'tensor "optimizer.v.ln_f.beta" has shape [7], the config needs [8]');
    rejects(() => loadCheckpoint(editCheckpoint((t) => delete t["optimizer.v.blocks.0.mlp.fc.bias"])), 'the optimizer state of "blocks.0.mlp.fc.bias" is missing');
    rejects(() => loadCheckpoint(editCheckpoint((_, m) => (m.optimizer = "none"))), 'is optimizer state, but __metadata__.optimizer is "none"');
    rejects(() => loadCheckpoint(editCheckpoint((t) => (t["optimizer.m.nothing"] = { shape: [1], data: new Float32Array(1) }))), 'tensor "optimizer.m.nothing" is not the optimizer state of any parameter');
    rejects(() => loadCheckpoint(editCheckpoint((t) => (t["optimizer.step"] = { shape: [1], data: new Float32Array(1) }))), 'tensor "optimizer.step" is not the optimizer state');
    rejects(() => loadCheckpoint(editCheckpoint((_, m) => (m.optimizer = "sgd"))), '__metadata__.optimizer must be "adamw" or "none", got "sgd"');
  });

  it("step must be a non-negative integer", () => {
    for (const step of ["abc", "-5", "1.5", "", "01", " 1", "1e3", "99999999999999999"]) {
      rejects(() => loadCheckpoint(editCheckpoint((_, m) => (m.step = step))), `__metadata__.step must be a non-negative integer, got ${JSON.stringify(step)}`);
    }
    rejects(() => loadCheckpoint(editCheckpoint((_, m) => delete m.step)), "__metadata__.step is missing");
  });

  it("the tokenizer must be valid and match vocabSize", () => {
    rejects(() => loadCheckpoint(editCheckpoint((_, m) => (m.tokenizer = JSON.stringify(Tokenizer.characters("abc").toJSON())))), `__metadata__.tokenizer has 3 tokens, but config.vocabSize is ${vocab}`);
    rejects(() => loadCheckpoint(editCheckpoint((_, m) => (m.tokenizer = "{"))), "__metadata__.tokenizer is not a valid tokenizer");
    rejects(() => loadCheckpoint(editCheckpoint((_, m) => (m.tokenizer = deep(10_000)))), "nesting deeper than 8 levels");
  });
});

describe("NeuralNetwork files: every field and shape is checked before the network is built", () => {
  it("layerSizes that do not match the tensors cost nothing", () => {
    rejects(() => NeuralNetwork.load(editNetwork((_, m) => (m.layerSizes = "[20000,20000]"))), 'tensor "layers.0.weights" has shape [3,4], layer sizes [20000,20000] need [20000,20000]');
    rejects(() => NeuralNetwork.load(editNetwork((_, m) => (m.layerSizes = `[${new Array(2000).fill(3).join(",")}]`))), "declares 1999 layers, more than the limit of 1024");
    rejects(() => NeuralNetwork.load(editNetwork((_, m) => (m.layerSizes = "[3,99999999999]"))), "layerSizes[1] = 99999999999 is above the limit");
    rejects(() => NeuralNetwork.load(editNetwork((_, m) => (m.layerSizes = deep(10_000)))), "is not a list of at least two positive integers");
    rejects(() => NeuralNetwork.load(network, { maxBytes: 64 }), /the network needs \d+ bytes .* more than maxBytes = 64/);
  });

  it("optimizer, shuffle, seed and the other options must be present and valid", () => {
    for (const key of ["optimizer", "shuffle", "seed", "loss", "init", "hiddenActivation", "outputActivation", "layerSizes"]) {
      rejects(() => NeuralNetwork.load(editNetwork((_, m) => delete m[key])), new RegExp(`metadata ${key} (is missing|must be)`));
    }
    rejects(() => NeuralNetwork.load(editNetwork((_, m) => (m.optimizer = "rmsprop"))), 'metadata optimizer "rmsprop" is not one of sgd, momentum, adam');
    rejects(() => NeuralNetwork.load(editNetwork((_, m) => (m.shuffle = "yes"))), 'metadata shuffle must be "true" or "false", got "yes"');
    rejects(() => NeuralNetwork.load(editNetwork((_, m) => (m.seed = "abc"))), 'metadata seed must be a number, got "abc"');
    rejects(() => NeuralNetwork.load(editNetwork((_, m) => (m.seed = "0x10"))), "metadata seed must be a number");
    rejects(() => NeuralNetwork.load(editNetwork((_, m) => (m.loss = "bogus"))), 'metadata loss "bogus" is not one of');
    const extra = NeuralNetwork.load(editNetwork((_, m) => (m.note = "other metadata is ignored")));
    expect(extra.layerSizes).toEqual([3, 4, 2]);
    extra.dispose();
  });
});

describe("safetensors headers: strict JSON", () => {
  const entry = '"dtype":"F32","shape":[1],"data_offsets":[0,4]';
  it("duplicate keys are refused at every level, as the reference implementation does", () => {
    rejects(() => readSafetensors(rawSafetensors('{"a":{"dtype":"F16","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4)), 'duplicate key "dtype" (first at byte 14)');
    rejects(() => readSafetensors(rawSafetensors(`{"a":{${entry}},"__metadata__":{"k":"1","k":"2"}}`, 4)), 'duplicate key "k"');
    rejects(() => readSafetensors(rawSafetensors(`{"a":{${entry},"shape":[1]}}`, 4)), 'duplicate key "shape"');
  });

  it("__proto__ is an ordinary key at every level", () => {
    const back = readSafetensors(rawSafetensors(`{"__proto__":{${entry}},"__metadata__":{"__proto__":"x","constructor":"y"}}`, 4));
    expect(Object.keys(back.tensors)).toEqual(["__proto__"]);
    expect(Object.entries(back.metadata)).toEqual([["__proto__", "x"], ["constructor", "y"]]);
    expect(Object.getPrototypeOf(back.metadata)).toBe(Object.prototype);
    rejects(() => readSafetensors(rawSafetensors(`{"a":{${entry},"__proto__":1,"__proto__":2}}`, 4)), 'duplicate key "__proto__"');
  });

  it("deep nesting is a FormatError with a short message, in the header and in metadata", () => {
    for (const text of [`{"a":${deep(10_000)}}`, `{"__metadata__":{"k":${deep(10_000)}}}`, deep(100_000), `{"a":{"dtype":"F32","shape":${deep(10_000)}}}`]) {
      rejects(() => readSafetensors(rawSafetensors(text)), "nesting deeper than 8 levels");
    }
  });

  it("values are quoted in messages only up to a bounded length", () => {
    const long = "x".repeat(100_000);
    const fe = rejects(() => readSafetensors(rawSafetensors(`{"${long}":{"dtype":"${long}","shape":[1],"data_offsets":[0,4]}}`, 4)), "only F32 is supported");
    expect(fe.message).toContain("…");
    rejects(() => readSafetensors(rawSafetensors(`{"a":{"dtype":"F32","shape":[${new Array(5000).fill(2).join(",")}],"data_offsets":[0,4]}}`, 4)), /shape \[2,2,2,2,2,2,2,2\]… of F32 needs more than 4 bytes/);
  });

  it("a legal but huge header is bounded by maxTensors and the value count", () => {
    const many = `{${Array.from({ length: 100_001 }, (_, i) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`).join(",")}}`;
    const file = rawSafetensors(many);
    rejects(() => readSafetensors(file), "the header lists 100001 tensors, more than maxTensors = 100000");
    expect(Object.keys(readSafetensors(file, { maxTensors: 200_000 }).tensors)).toHaveLength(100_001);
    const small = rawSafetensors(many.slice(0, many.indexOf('"t20"') - 1) + "}");
    expect(Object.keys(readSafetensors(small).tensors)).toHaveLength(20);
    rejects(() => readSafetensors(small, { maxTensors: 10 }), "the header lists 20 tensors, more than maxTensors = 10");
    rejects(() => readSafetensors(rawSafetensors(`{"a":{"dtype":"F32","shape":[${new Array(200_000).fill(1).join(",")}],"data_offsets":[0,4]}}`, 4), { maxTensors: 1000 }), "more than 116000 values");
  });
});

describe("tokenizer JSON: strict", () => {
  const good = JSON.stringify(Tokenizer.characters("abc").toJSON());
  it("duplicate keys, deep nesting and bad values are FormatErrors with short messages", () => {
    expect(Tokenizer.fromJSON(good).vocabSize).toBe(3);
    rejects(() => Tokenizer.fromJSON(good.replace('"kind":"characters"', '"kind":"words","kind":"characters"')), 'duplicate key "kind"');
    rejects(() => Tokenizer.fromJSON(`{"tokens":${deep(10_000, '"a"')}}`), "nesting deeper than 8 levels");
    rejects(() => Tokenizer.fromJSON(deep(100_000)), "nesting deeper than 8 levels");
    rejects(() => Tokenizer.fromJSON(good.replace('"characters"', JSON.stringify("z".repeat(100_000)))), /kind must be "characters" or "words", got "z{60}"…/);
  });
});
