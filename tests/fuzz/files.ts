// Valid files of every format simdnet reads, written the way users get them (by the library's own
// writers, or for IDX by a small independent writer), with the values each should load as. Shared by
// the input-form tests and the fuzzer.

import { gzipSync } from "node:zlib";
import {
  Adam, GPT, NeuralNetwork, Tokenizer, readSafetensors, saveCheckpoint, tidy, writeNpy, writeSafetensors,
} from "../../src/index.js";

export const IDX_CODES = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e } as const;
export type IdxKind = keyof typeof IDX_CODES;
const IDX_SIZES = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 } as const;

/** An IDX file (big-endian), written independently of the reader. */
export function writeIdx(dtype: IdxKind, shape: number[], values: ArrayLike<number>): Uint8Array {
  const size = IDX_SIZES[dtype];
  const out = new Uint8Array(4 + 4 * shape.length + values.length * size);
  const v = new DataView(out.buffer);
  out[2] = IDX_CODES[dtype];
  out[3] = shape.length;
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  let at = 4 + 4 * shape.length;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (dtype === "uint8") v.setUint8(at, x);
    else if (dtype === "int8") v.setInt8(at, x);
    else if (dtype === "int16") v.setInt16(at, x, false);
    else if (dtype === "int32") v.setInt32(at, x, false);
    else if (dtype === "float32") v.setFloat32(at, x, false);
    else v.setFloat64(at, x, false);
    at += size;
  }
  return out;
}

export const gzip = (bytes: Uint8Array): Uint8Array => new Uint8Array(gzipSync(bytes));

/** A small IDX file of each dtype: values chosen to need every byte of the element. */
export function idxSamples(): { dtype: IdxKind; shape: number[]; values: number[]; file: Uint8Array }[] {
  const samples: { dtype: IdxKind; shape: number[]; values: number[] }[] = [
    { dtype: "uint8", shape: [3, 5], values: Array.from({ length: 15 }, (_, i) => (i * 37) % 256) },
    { dtype: "int8", shape: [7], values: [-128, -1, 0, 1, 127, -77, 33] },
    { dtype: "int16", shape: [2, 3], values: [-32768, -2, 0, 258, 32767, -1234] },
    { dtype: "int32", shape: [5], values: [-2147483648, -65536, 1, 16909060, 2147483647] },
    { dtype: "float32", shape: [1, 3, 3], values: [1, -2.5, 3.25e-3, 1e30, -0, Math.fround(0.1), 7, 8, Math.fround(1 / 3)] },
    { dtype: "float64", shape: [3], values: [0.1, -1e300, 5e-324] },
  ];
  return samples.map((s) => ({ ...s, file: writeIdx(s.dtype, s.shape, s.values) }));
}

export const npySample = () => {
  const data = Float32Array.from({ length: 3 * 5 }, (_, i) => Math.fround(Math.sin(i + 1) * 100));
  return { shape: [3, 5], data, file: writeNpy(data, [3, 5]) };
};

export const safetensorsSample = () => {
  const tensors = {
    a: { shape: [3], data: Float32Array.of(1, -2, 3.5) },
    "b.weights": { shape: [2, 3], data: Float32Array.of(0.5, -0, 1e-40, 6, 7, 8) },
    empty: { shape: [0, 4], data: new Float32Array(0) },
  };
  return { tensors, file: writeSafetensors(tensors, { note: "hello", "": "empty key" }) };
};

/** A small network file and its parameter values by name. */
export function networkSample(): { file: Uint8Array; values: Map<string, Float32Array> } {
  const net = new NeuralNetwork([3, 4, 2], { seed: 3 });
  try {
    return { file: net.save(), values: new Map(net.parameters().map((p) => [p.name, p.value.toFloat32Array()])) };
  } finally {
    net.dispose();
  }
}

export const GPT_TEXT = "the quick brown fox jumps over the lazy dog. ";

/** A small GPT checkpoint with tokenizer and AdamW state (after one step, so the moments are not 0). */
export function checkpointSample(options: { optimizer?: boolean; learned?: boolean } = {}): {
  file: Uint8Array; values: Map<string, Float32Array>; moments: Map<string, Float32Array>;
} {
  const tok = Tokenizer.characters(GPT_TEXT);
  const model = new GPT({ vocabSize: tok.vocabSize, contextLength: 8, dModel: 8, heads: 2, layers: 1, seed: 4, positional: options.learned ? "learned" : "sinusoidal", tieEmbeddings: !options.learned });
  const adam = options.optimizer === false ? undefined : new Adam(1e-2);
  try {
    const values = new Map<string, Float32Array>();
    const moments = new Map<string, Float32Array>();
    if (adam) {
      const ids = tok.encode(GPT_TEXT.slice(0, 9));
      tidy(() => {
        model.loss(ids.subarray(0, 8), ids.subarray(1, 9));
        model.backward();
      });
      adam.step(model.parameters());
    }
    for (const p of model.parameters()) {
      values.set(p.name, p.value.toFloat32Array());
      if (adam) {
        const { m, v } = adam.moments(p.value);
        moments.set(`optimizer.m.${p.name}`, m.toFloat32Array());
        moments.set(`optimizer.v.${p.name}`, v.toFloat32Array());
      }
    }
    const file = saveCheckpoint(model, { tokenizer: JSON.stringify(tok.toJSON()), step: adam ? 1 : 0 }, adam);
    return { file, values, moments };
  } finally {
    model.dispose();
    adam?.dispose();
  }
}

export type EditableTensors = Record<string, { shape: number[]; data: Float32Array }>;

/** The same safetensors file with its tensors and metadata edited (written by writeSafetensors). */
export function rewriteSafetensors(file: Uint8Array, edit: (tensors: EditableTensors, metadata: Record<string, string>) => void): Uint8Array {
  const back = readSafetensors(file);
  const tensors: EditableTensors = {};
  for (const [k, v] of Object.entries(back.tensors)) tensors[k] = { shape: v.shape.slice(), data: v.data.slice() };
  const metadata = { ...back.metadata };
  edit(tensors, metadata);
  return writeSafetensors(tensors, metadata);
}

/** A safetensors file with this exact header text (padded to 8 bytes) and data section. */
export function rawSafetensors(header: string, data: Uint8Array | number = 0): Uint8Array {
  const json = new TextEncoder().encode(header);
  const n = Math.ceil(json.length / 8) * 8;
  const section = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + n + section.length).fill(0x20, 8, 8 + n);
  new DataView(out.buffer).setUint32(0, n, true);
  out.set(json, 8);
  out.set(section, 8 + n);
  return out;
}
