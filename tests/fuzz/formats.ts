// The formats the fuzzer covers: for each, valid files the library writes, a mutation step, the
// loader as a user calls it, and the independent check of what the loader accepted.

import { gunzipSync } from "node:zlib";
import {
  Adam, NeuralNetwork, Tokenizer, decodeGzippedText, loadCheckpoint, readIdx, readIdxSync, readNpy, readSafetensors, writeNpy, writeSafetensors,
} from "../../src/index.js";
import type { GPT } from "../../src/index.js";
import { checkpointSample, gzip, idxSamples, networkSample, npySample, safetensorsSample } from "./files.js";
import {
  append, breakStructure, breakUtf8, changeString, duplicateKey, flipBits, mutateJsonText, nestDeep, replaceNumber, setBytes, setU32, truncate,
} from "./mutators.js";
import { checkIdx, checkNpy, checkSafetensors, jsonProblem, readSafetensorsIndependently } from "./oracles.js";
import type { FuzzRandom } from "./random.js";

export interface Loaded {
  /** Undefined when the independent check confirms the result; else what is wrong. */
  check(): string | undefined;
  /** A summary that must be the same for the same bytes in any input form. */
  summary: string;
  dispose(): void;
}

export interface FuzzFormat {
  name: string;
  /** Whether the loader takes bytes (and so is tried as Uint8Array, Buffer and offset view). */
  bytes: boolean;
  mutate(rng: FuzzRandom): Uint8Array;
  load(bytes: Uint8Array): Promise<Loaded>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Header text and data section of a safetensors file the library wrote (so the header is valid). */
function split(file: Uint8Array): { text: string; data: Uint8Array } {
  const n = new DataView(file.buffer, file.byteOffset).getUint32(0, true);
  return { text: decoder.decode(file.subarray(8, 8 + n)), data: file.subarray(8 + n) };
}

function join(text: string | Uint8Array, data: Uint8Array, pad = true): Uint8Array {
  const json = typeof text === "string" ? encoder.encode(text) : text;
  const n = pad ? Math.ceil(json.length / 8) * 8 : json.length;
  const out = new Uint8Array(8 + n + data.length).fill(0x20, 8, 8 + n);
  new DataView(out.buffer).setUint32(0, n, true);
  out.set(json, 8);
  out.set(data, 8 + n);
  return out;
}

/** Mutations any safetensors-based file gets: its header as text, its length field, its bytes. */
function mutateSafetensorsFile(rng: FuzzRandom, file: Uint8Array, words: readonly string[]): Uint8Array {
  const { text, data } = split(file);
  switch (rng.int(9)) {
    case 0: case 1: case 2: return join(mutateJsonText(rng, text, words), data);
    case 3: { // data_offsets moved: past the end, overlapping, reversed
      const spots = [...text.matchAll(/"data_offsets":\[(\d+),(\d+)\]/g)];
      if (spots.length === 0) return join(text, data);
      const m = rng.pick(spots);
      const [b, e] = [Number(m[1]), Number(m[2])];
      const moved = rng.pick([[b, e + 4], [b - 4, e - 4], [b + 4, e + 4], [e, b], [0, e], [b, data.length + 4], [b, 2 ** 53], [b, 2 ** 32 + e]]);
      return join(text.slice(0, m.index!) + `"data_offsets":[${moved[0]},${moved[1]}]` + text.slice(m.index! + m[0].length), data);
    }
    case 4: return setU32(rng, file, rng.chance(0.8) ? 0 : 4, true);
    case 5: return breakUtf8(rng, file, 8, 8 + encoder.encode(text).length);
    case 6: return rng.chance(0.5) ? flipBits(rng, file) : setBytes(rng, file);
    case 7: return truncate(rng, file);
    default: return rng.chance(0.5) ? append(rng, file) : join(text, data, false);
  }
}

type Tensors = Record<string, { shape: number[]; data: Float32Array }>;

/** Rewrite a valid file's tensors or metadata through the library's writer (so the framing stays valid). */
function mutateContent(rng: FuzzRandom, file: Uint8Array, metadataEdits: (rng: FuzzRandom, meta: Record<string, string>) => void): Uint8Array {
  const back = readSafetensors(file);
  const tensors: Tensors = {};
  for (const [k, v] of Object.entries(back.tensors)) tensors[k] = { shape: v.shape.slice(), data: v.data.slice() };
  const meta = { ...back.metadata };
  const names = Object.keys(tensors);
  switch (rng.int(6)) {
    case 0: delete tensors[rng.pick(names)]; break;
    case 1: { // a tensor with another shape (and matching data)
      const name = rng.pick(names);
      const shape = tensors[name]!.shape.map((d) => (rng.chance(0.5) ? d + rng.pick([1, -1, 0]) : d)).map((d) => Math.max(0, d));
      if (rng.chance(0.3)) shape.push(1);
      tensors[name] = { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
      break;
    }
    case 2: { // an extra tensor, often named like real ones
      const name = rng.pick(["extra", `optimizer.m.${rng.pick(names)}`, `optimizer.v.${rng.pick(names)}`, `${rng.pick(names)}.x`, "optimizer.m.nothing", "__proto__", "layers.9.weights", "blocks.7.ln1.gamma"]);
      tensors[name] = { shape: [2], data: Float32Array.of(1, 2) };
      break;
    }
    case 3: { // renamed
      const name = rng.pick(names);
      tensors[name.replace(/\d/, (d) => String(Number(d) + 1)) + (rng.chance(0.3) ? "x" : "")] = tensors[name]!;
      delete tensors[name];
      break;
    }
    default: metadataEdits(rng, meta);
  }
  const out: Tensors = {};
  // Keep the key order stable apart from the edit (writeSafetensors lays data out in key order).
  for (const [k, v] of Object.entries(tensors)) out[k] = v;
  return writeSafetensors(out, meta);
}

const sum = (data: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += Number.isNaN(data[i]!) ? 7 : data[i]! === Infinity ? 11 : data[i]! === -Infinity ? 13 : data[i]!;
  return s;
};

// ---- IDX ----

function mutateIdx(rng: FuzzRandom, file: Uint8Array): Uint8Array {
  const rank = file[3]!;
  switch (rng.int(8)) {
    case 0: return flipBits(rng, file, 0, 4 + 4 * rank);
    case 1: return setU32(rng, file, 4 + 4 * rng.int(rank), false);
    case 2: { const out = file.slice(); out[rng.pick([2, 3])] = rng.pick([0, 1, 2, 8, 9, 0x0a, 0x0b, 0x0d, 0x0e, 0x0f, 255, rank + 1, rank - 1]); return out; }
    case 3: return truncate(rng, file);
    case 4: return append(rng, file);
    case 5: return flipBits(rng, file, 4 + 4 * rank);
    case 6: return setBytes(rng, file);
    default: return flipBits(rng, file);
  }
}

const idxFiles = () => idxSamples().map((s) => s.file);

function idxLoaded(bytes: Uint8Array, r: { dtype: string; shape: number[]; data: ArrayLike<number> }, gz: boolean): Loaded {
  return { check: () => checkIdx(bytes, r, gz), summary: `${r.dtype} [${r.shape}] ${sum(r.data)}`, dispose() {} };
}

export const idxFormat = (): FuzzFormat => {
  const files = idxFiles();
  return {
    name: "idx",
    bytes: true,
    mutate: (rng) => mutateIdx(rng, rng.pick(files)),
    async load(bytes) {
      const sync = readIdxSync(bytes);
      const viaAsync = await readIdx(bytes);
      const a = idxLoaded(bytes, sync, false);
      const b = idxLoaded(bytes, viaAsync, false);
      return { check: () => a.check() ?? b.check() ?? (a.summary === b.summary ? undefined : "readIdx and readIdxSync disagree"), summary: a.summary, dispose() {} };
    },
  };
};

/** A gzip file's own mutations: bit flips, truncation, trailing bytes, its trailer's size, its header. */
function mutateGzip(rng: FuzzRandom, file: Uint8Array): Uint8Array {
  switch (rng.int(5)) {
    case 0: return flipBits(rng, file);
    case 1: return truncate(rng, file);
    case 2: return append(rng, file);
    case 3: return setU32(rng, file, file.length - 4, true);
    default: return setBytes(rng, file, 0, 10);
  }
}

export const idxGzipFormat = (): FuzzFormat => {
  const files = idxFiles();
  const zipped = files.map(gzip);
  return {
    name: "idx.gz",
    bytes: true,
    mutate(rng) {
      if (rng.chance(0.5)) return gzip(mutateIdx(rng, rng.pick(files)));
      return mutateGzip(rng, rng.pick(zipped));
    },
    async load(bytes) {
      return idxLoaded(bytes, await readIdx(bytes), true);
    },
  };
};

// ---- gzipped UTF-8 text (decodeGzippedText: the corpus loader's decoder) ----

/**
 * Mutated gzip files of short texts (ASCII, multi-byte UTF-8) and of broken UTF-8. Accepted results are
 * checked against node:zlib and a fatal TextDecoder; a bomb is bounded by maxBytes (64 KiB here).
 */
export const textGzipFormat = (): FuzzFormat => {
  const texts = ["In the beginning.\n".repeat(40), "ℵ → ∞, naïve café 日本語 🙂\n".repeat(20), "", "a"];
  const raw = texts.map((t) => encoder.encode(t));
  const maxBytes = 64 * 1024;
  return {
    name: "text.gz",
    bytes: true,
    mutate(rng) {
      if (rng.chance(0.3)) {
        const r = rng.pick(raw);
        return gzip(r.length > 0 ? breakUtf8(rng, r, 0, r.length) : r);
      }
      if (rng.chance(0.05)) return gzip(new Uint8Array(maxBytes + 1 + rng.int(4 * maxBytes))); // over the limit
      return mutateGzip(rng, gzip(rng.pick(raw)));
    },
    async load(bytes) {
      const text = await decodeGzippedText(bytes, "fuzz.txt.gz", { maxBytes });
      return {
        summary: `${text.length}:${text.slice(0, 16)}`,
        check() {
          let want: string;
          try {
            const raw = gunzipSync(bytes);
            if (raw.length > maxBytes) return `accepted ${raw.length} bytes over maxBytes = ${maxBytes}`;
            want = new TextDecoder("utf-8", { fatal: true }).decode(raw);
          } catch (e) {
            return `accepted a file node:zlib or a fatal TextDecoder refuses: ${(e as Error).message}`;
          }
          return want === text ? undefined : "text differs from node:zlib + TextDecoder";
        },
        dispose() {},
      };
    },
  };
};

// ---- .npy ----

export const npyFormat = (): FuzzFormat => {
  const files = [
    npySample().file,
    writeNpy(Float32Array.of(1, -2, 3), [3]),
    writeNpy(Float32Array.of(5), []),
    writeNpy(new Float32Array(0), [0, 3]),
    writeNpy(Float32Array.from({ length: 24 }, (_, i) => i - 7.5), [2, 3, 4]),
  ];
  const descrs = ["<f8", ">f4", "|u1", "<i8", "<f2", "|b1", "<U4", "O", ">i2", "<u4", "|i1", ">u8", "<c8", "f4", "<f16"];
  return {
    name: "npy",
    bytes: true,
    mutate(rng) {
      const file = rng.pick(files);
      const len = new DataView(file.buffer).getUint16(8, true);
      const dict = decoder.decode(file.subarray(10, 10 + len));
      const data = file.subarray(10 + len);
      const rebuild = (text: string) => {
        const body = encoder.encode(text);
        const out = new Uint8Array(10 + body.length + data.length);
        out.set(file.subarray(0, 8));
        new DataView(out.buffer).setUint16(8, body.length, true);
        out.set(body, 10);
        out.set(data, 10 + body.length);
        return out;
      };
      switch (rng.int(10)) {
        case 0: return rebuild(replaceNumber(rng, dict));
        case 1: return rebuild(dict.replace("<f4", rng.pick(descrs)));
        case 2: return rebuild(dict.replace(/False|True/, rng.pick(["True", "False", "1", "None", "'False'"])));
        case 3: return rebuild(breakStructure(rng, dict));
        case 4: return rebuild(rng.chance(0.5) ? duplicateKey(rng, dict.replace(/'/g, '"')).replace(/"/g, "'") : dict.replace("'shape'", rng.pick(["'shape': (1,), 'shape'", "'shapes'", "'descr'"])));
        case 5: return setU32(rng, file, 6, true);
        case 6: return truncate(rng, file);
        case 7: return append(rng, file);
        case 8: return rng.chance(0.5) ? breakUtf8(rng, file, 10, 10 + len) : nestDeepPy(rng, dict, rebuild);
        default: return rng.chance(0.5) ? flipBits(rng, file) : setBytes(rng, file);
      }
    },
    async load(bytes) {
      const r = readNpy(bytes);
      return { check: () => checkNpy(bytes, r), summary: `[${r.shape}] ${r.dtype} ${sum(r.data)}`, dispose() {} };
    },
  };
};

/** The shape tuple wrapped in many parentheses (Python grouping: still the same tuple). */
function nestDeepPy(rng: FuzzRandom, dict: string, rebuild: (t: string) => Uint8Array): Uint8Array {
  const depth = rng.pick([10, 1000, 20_000]);
  return rebuild(dict.replace(/\(([^)]*)\)/, `${"(".repeat(depth)}$1${")".repeat(depth)}`));
}

// ---- safetensors ----

export const safetensorsFormat = (): FuzzFormat => {
  const files = [safetensorsSample().file, writeSafetensors({ w: { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) } }), writeSafetensors({})];
  return {
    name: "safetensors",
    bytes: true,
    mutate: (rng) => mutateSafetensorsFile(rng, rng.pick(files), ["F16", "F32", "BF16", "shape", "dtype", "data_offsets", "__metadata__"]),
    async load(bytes) {
      const r = readSafetensors(bytes);
      return {
        check: () => checkSafetensors(bytes, r),
        summary: JSON.stringify([Object.entries(r.tensors).map(([k, t]) => [k, t.shape, sum(t.data)]), r.metadata]),
        dispose() {},
      };
    },
  };
};

// ---- NeuralNetwork files ----

const NETWORK_VALUES: Record<string, string[]> = {
  layerSizes: ["[3,4,2]", "[3,2]", "[20000,20000]", "[3]", "[3,4,2,1]", "[0,4,2]", "[3,4.5,2]", "[]", "3", "[3,4,2", "null"],
  optimizer: ["sgd", "momentum", "adam", "rmsprop", "", "ADAM"],
  shuffle: ["true", "false", "yes", "1", ""],
  seed: ["0", "3", "-1", "abc", "1e400", "0x10", "", "1.5"],
  loss: ["mse", "mse-tutorial", "cross-entropy", "bogus"],
  init: ["he", "xavier", "tutorial", "gpt2", "zeros"],
  hiddenActivation: ["relu", "tanh", "gelu", "linear"],
  outputActivation: ["linear", "sigmoid", "softmax"],
  format: ["simdnet.NeuralNetwork/1", "simdnet.NeuralNetwork/2", "simdnet.GPT/1"],
};

function editNetworkMetadata(rng: FuzzRandom, meta: Record<string, string>): void {
  const key = rng.pick([...Object.keys(NETWORK_VALUES), "extra"]);
  if (rng.chance(0.15)) delete meta[key];
  else if (key === "layerSizes" && rng.chance(0.5)) meta[key] = mutateJsonText(rng, meta[key] ?? "[3,4,2]");
  else meta[key] = rng.pick(NETWORK_VALUES[key] ?? ["1"]);
}

export const networkFormat = (): FuzzFormat => {
  const { file } = networkSample();
  return {
    name: "NeuralNetwork",
    bytes: true,
    mutate: (rng) => (rng.chance(0.5) ? mutateContent(rng, file, editNetworkMetadata) : mutateSafetensorsFile(rng, file, Object.keys(NETWORK_VALUES))),
    async load(bytes) {
      const net = NeuralNetwork.load(bytes);
      return {
        check: () => checkNetwork(bytes, net),
        summary: JSON.stringify([net.layerSizes, net.options, net.parameters().map((p) => sum(p.value.toFloat32Array()))]),
        dispose: () => net.dispose(),
      };
    },
  };
};

function checkNetwork(bytes: Uint8Array, net: NeuralNetwork): string | undefined {
  const ref = readSafetensorsIndependently(bytes);
  if (typeof ref === "string") return `accepted an invalid file: ${ref}`;
  const m = ref.metadata;
  if (m.format !== "simdnet.NeuralNetwork/1") return "accepted another format";
  const problem = jsonProblem(m.layerSizes ?? "", 1);
  if (problem) return `accepted layerSizes ${m.layerSizes}: ${problem}`;
  if (JSON.stringify(JSON.parse(m.layerSizes!)) !== JSON.stringify(net.layerSizes)) return "layerSizes differ from the file";
  for (const key of ["optimizer", "loss", "init", "hiddenActivation", "outputActivation"] as const) {
    if (m[key] !== net.options[key]) return `${key} ${net.options[key]} differs from the file's ${m[key]}`;
  }
  if (String(net.options.shuffle) !== m.shuffle) return "shuffle differs from the file";
  if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(m.seed ?? "") || Number(m.seed) !== net.options.seed) return `seed ${net.options.seed} from ${m.seed}`;
  const params = net.parameters();
  if (params.length !== ref.tensors.size) return `${params.length} parameters, the file has ${ref.tensors.size} tensors`;
  for (const p of params) {
    const t = ref.tensors.get(p.name);
    if (!t || t.shape.join() !== p.value.shape.join()) return `parameter ${p.name} does not match the file`;
    const got = new Uint32Array(p.value.toFloat32Array().buffer);
    const want = new Uint32Array(t.data.buffer);
    if (got.some((x, i) => x !== want[i])) return `parameter ${p.name}: values differ from the file`;
  }
  return undefined;
}

// ---- GPT checkpoints ----

function editCheckpointMetadata(rng: FuzzRandom, meta: Record<string, string>): void {
  switch (rng.int(7)) {
    case 0: case 1: meta.config = mutateJsonText(rng, meta.config ?? "{}", ["learned", "sinusoidal", "vocabSize", "layers", "heads", "dModel", "contextLength"]); break;
    case 2: meta.tokenizer = mutateJsonText(rng, meta.tokenizer ?? "{}", ["characters", "words", "simdnet-tokenizer", "a", "ab"]); break;
    case 3: meta.step = rng.pick(["0", "1", "abc", "-5", "1.5", "", "01", "1e3", "9007199254740993", " 2"]); break;
    case 4: meta.optimizer = rng.pick(["adamw", "none", "sgd", ""]); break;
    case 5: delete meta[rng.pick(["config", "tokenizer", "step", "optimizer", "format"])]; break;
    default: meta.format = rng.pick(["simdnet.GPT/1", "simdnet.GPT/2", "simdnet.NeuralNetwork/1"]);
  }
}

export const checkpointFormat = (): FuzzFormat => {
  const files = [checkpointSample().file, checkpointSample({ optimizer: false, learned: true }).file];
  return {
    name: "GPT checkpoint",
    bytes: true,
    mutate(rng) {
      const file = rng.pick(files);
      return rng.chance(0.6) ? mutateContent(rng, file, editCheckpointMetadata) : mutateSafetensorsFile(rng, file, ["config", "tokenizer", "step", "optimizer"]);
    },
    async load(bytes) {
      const loaded = loadCheckpoint(bytes);
      const adam = new Adam(1e-3);
      let restored: boolean;
      try {
        restored = loaded.restoreOptimizer(adam);
      } catch (error) {
        adam.dispose();
        loaded.model.dispose();
        throw error;
      }
      return {
        check: () => checkCheckpoint(bytes, loaded.model, loaded.step, loaded.tokenizer, restored ? adam : undefined),
        summary: JSON.stringify([loaded.model.config, loaded.step, restored, loaded.model.parameters().map((p) => sum(p.value.toFloat32Array()))]),
        dispose() {
          adam.dispose();
          loaded.model.dispose();
        },
      };
    },
  };
};

function checkCheckpoint(bytes: Uint8Array, model: GPT, step: number, tokenizer: string, adam: Adam | undefined): string | undefined {
  const ref = readSafetensorsIndependently(bytes);
  if (typeof ref === "string") return `accepted an invalid file: ${ref}`;
  const m = ref.metadata;
  if (m.format !== "simdnet.GPT/1") return "accepted another format";
  const problem = jsonProblem(m.config ?? "", 1);
  if (problem) return `accepted config ${String(m.config).slice(0, 60)}: ${problem}`;
  const config = JSON.parse(m.config!) as Record<string, unknown>;
  const c = model.config;
  for (const key of ["vocabSize", "contextLength", "dModel", "heads", "layers", "seed"] as const) {
    if (config[key] !== undefined ? config[key] !== c[key] : !["seed"].includes(key)) return `config.${key} ${String(config[key])} read as ${c[key]}`;
  }
  if ((config.positional ?? "sinusoidal") !== c.positional || (config.tieEmbeddings ?? true) !== c.tieEmbeddings) return "positional or tieEmbeddings differ";
  const knownConfig = ["vocabSize", "contextLength", "dModel", "heads", "layers", "positional", "tieEmbeddings", "seed"];
  if (Object.keys(config).some((k) => !knownConfig.includes(k))) return "accepted an unknown config field";
  if (!/^(0|[1-9]\d*)$/.test(m.step ?? "") || Number(m.step) !== step) return `step ${step} from ${m.step}`;
  if (tokenizer !== (m.tokenizer ?? "")) return "tokenizer text differs";
  if (tokenizer !== "") {
    const tp = jsonProblem(tokenizer, 2);
    if (tp) return `accepted tokenizer JSON: ${tp}`;
    const t = JSON.parse(tokenizer) as { tokens?: unknown[] };
    if (!Array.isArray(t.tokens) || t.tokens.length !== c.vocabSize) return "tokenizer size differs from vocabSize";
  }
  const params = model.parameters();
  const expectOptimizer = m.optimizer === "adamw";
  if (m.optimizer !== undefined && m.optimizer !== "adamw" && m.optimizer !== "none") return `accepted optimizer ${m.optimizer}`;
  if (ref.tensors.size !== params.length * (expectOptimizer ? 3 : 1)) return `${ref.tensors.size} tensors for ${params.length} parameters`;
  if (expectOptimizer !== (adam !== undefined)) return "optimizer state restored or not against the file";
  const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
  const same = (a: Float32Array, b: Float32Array) => a.length === b.length && bits(a).every((x, i) => x === bits(b)[i]);
  for (const p of params) {
    const t = ref.tensors.get(p.name);
    if (!t || t.shape.join() !== p.value.shape.join() || !same(p.value.toFloat32Array(), t.data)) return `parameter ${p.name} does not match the file`;
    if (adam) {
      const { m: mt, v: vt } = adam.moments(p.value);
      const fm = ref.tensors.get(`optimizer.m.${p.name}`);
      const fv = ref.tensors.get(`optimizer.v.${p.name}`);
      if (!fm || !fv || !same(mt.toFloat32Array(), fm.data) || !same(vt.toFloat32Array(), fv.data)) return `optimizer state of ${p.name} does not match the file`;
    }
  }
  if (adam && adam.stepCount !== step) return "optimizer step differs";
  return undefined;
}

// ---- tokenizer JSON ----

export const tokenizerFormat = (): FuzzFormat => {
  const texts = [
    JSON.stringify(Tokenizer.characters("hello world").toJSON()),
    JSON.stringify(Tokenizer.words("the cat sat on the mat", { unknown: "<unk>" }).toJSON()),
    JSON.stringify(Tokenizer.characters("ab", { unknown: "\uFFFD" }).toJSON()),
  ].map((t) => encoder.encode(t));
  return {
    name: "tokenizer JSON",
    bytes: false,
    mutate(rng) {
      const file = rng.pick(texts);
      if (rng.chance(0.2)) return rng.chance(0.5) ? flipBits(rng, file) : breakUtf8(rng, file, 0, file.length);
      const text = decoder.decode(file);
      return encoder.encode(rng.chance(0.3) ? nestDeep(rng, text) : rng.chance(0.5) ? changeString(rng, text, ["characters", "words", "a", "b", "<unk>", "two words"]) : mutateJsonText(rng, text));
    },
    async load(bytes) {
      const text = decoder.decode(bytes);
      const tok = Tokenizer.fromJSON(text);
      return { check: () => checkTokenizer(text, tok), summary: JSON.stringify(tok.toJSON()), dispose() {} };
    },
  };
};

function checkTokenizer(text: string, tok: Tokenizer): string | undefined {
  const problem = jsonProblem(text, 2);
  if (problem) return `accepted JSON: ${problem}`;
  const v = JSON.parse(text) as Record<string, unknown>;
  if (v.format !== "simdnet-tokenizer" || v.version !== 1 || (v.kind !== "characters" && v.kind !== "words")) return "accepted a bad format/version/kind";
  if (!Array.isArray(v.tokens) || new Set(v.tokens).size !== v.tokens.length || !v.tokens.every((t) => typeof t === "string")) return "accepted bad tokens";
  for (const t of v.tokens as string[]) {
    if (v.kind === "characters" ? [...t].length !== 1 : t.length === 0 || /\s/u.test(t)) return `accepted token ${JSON.stringify(t)}`;
  }
  if (v.unknown !== undefined && !(v.tokens as string[]).includes(v.unknown as string)) return "accepted an unknown token outside the vocabulary";
  if (JSON.stringify(tok.tokens) !== JSON.stringify(v.tokens) || tok.kind !== v.kind || tok.unknown !== v.unknown) return "tokenizer differs from the file";
  return undefined;
}

export const allFormats = (): FuzzFormat[] => [idxFormat(), idxGzipFormat(), textGzipFormat(), npyFormat(), safetensorsFormat(), networkFormat(), checkpointFormat(), tokenizerFormat()];
