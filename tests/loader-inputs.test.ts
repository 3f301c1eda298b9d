// Every loader reads only the bytes of the view it is given and never writes into them (finding 1
// of issue 9, as a class): each file goes in as a plain Uint8Array, as a Node Buffer at a non-zero
// offset of a larger buffer, and as a view at an odd offset inside a fenced buffer. The result must
// equal the known values, the input and the fence must be unchanged, and the result must not share
// memory with the input (zeroing the input afterwards changes nothing).

import { beforeAll, describe, expect, it } from "vitest";
import {
  Adam, NeuralNetwork, init, loadCheckpoint, memory, readIdx, readIdxSync, readNpy, readSafetensors,
} from "../src/index.js";
import { inputForms } from "./helpers/input-forms.js";
import { checkpointSample, gzip, idxSamples, networkSample, npySample, safetensorsSample } from "./fuzz/files.js";

beforeAll(async () => {
  await init();
});

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Object.is(a[i], b[i]), `index ${i}: ${a[i]} vs ${b[i]}`).toBe(true);
};

describe("loaders respect byteOffset/byteLength and never write into their input", () => {
  it("readIdxSync and readIdx (plain and gzipped), every dtype", async () => {
    for (const { dtype, shape, values, file } of idxSamples()) {
      for (const [name, bytes] of [["plain", file], ["gzipped", gzip(file)]] as const) {
        for (const form of inputForms(bytes)) {
          const results = name === "plain" ? [readIdxSync(form.bytes), await readIdx(form.bytes)] : [await readIdx(form.bytes)];
          expect(form.untouched(), `${dtype} ${name} ${form.name}`).toBe(true);
          form.bytes.fill(0);
          for (const r of results) {
            expect(r.dtype).toBe(dtype);
            expect(r.shape).toEqual(shape);
            same(r.data, dtype === "float32" ? Float32Array.from(values) : values);
          }
        }
      }
    }
  });

  it("readSafetensors", () => {
    const { tensors, file } = safetensorsSample();
    for (const form of inputForms(file)) {
      const back = readSafetensors(form.bytes);
      expect(form.untouched(), form.name).toBe(true);
      form.bytes.fill(0);
      expect(Object.keys(back.tensors)).toEqual(Object.keys(tensors));
      for (const [name, t] of Object.entries(tensors)) {
        expect(back.tensors[name]!.shape).toEqual(t.shape);
        same(back.tensors[name]!.data, t.data);
      }
      expect(back.metadata).toEqual({ note: "hello", "": "empty key" });
    }
  });

  it("readNpy", () => {
    const { shape, data, file } = npySample();
    for (const form of inputForms(file)) {
      const back = readNpy(form.bytes);
      expect(form.untouched(), form.name).toBe(true);
      form.bytes.fill(0);
      expect(back.shape).toEqual(shape);
      same(back.data, data);
    }
  });

  it("NeuralNetwork.load", () => {
    const { file, values } = networkSample();
    const before = memory().numTensors;
    for (const form of inputForms(file)) {
      const net = NeuralNetwork.load(form.bytes);
      expect(form.untouched(), form.name).toBe(true);
      form.bytes.fill(0);
      for (const p of net.parameters()) same(p.value.toFloat32Array(), values.get(p.name)!);
      net.dispose();
    }
    expect(memory().numTensors).toBe(before);
  });

  it("loadCheckpoint, with the optimizer state", () => {
    const { file, values, moments } = checkpointSample();
    const before = memory().numTensors;
    for (const form of inputForms(file)) {
      const loaded = loadCheckpoint(form.bytes);
      expect(form.untouched(), form.name).toBe(true);
      form.bytes.fill(0);
      const adam = new Adam(1e-2);
      expect(loaded.restoreOptimizer(adam)).toBe(true);
      expect(adam.stepCount).toBe(1);
      for (const p of loaded.model.parameters()) {
        same(p.value.toFloat32Array(), values.get(p.name)!);
        const { m, v } = adam.moments(p.value);
        same(m.toFloat32Array(), moments.get(`optimizer.m.${p.name}`)!);
        same(v.toFloat32Array(), moments.get(`optimizer.v.${p.name}`)!);
      }
      adam.dispose();
      loaded.model.dispose();
    }
    expect(memory().numTensors).toBe(before);
  });
});
