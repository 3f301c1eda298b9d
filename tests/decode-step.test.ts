// The decode fast path (GPT.step, src/transformer/decode-step.ts) against the layer path it replaces
// (GPT.stepThroughLayers: Block.forwardCached through the layers and ops): the same logits and the same cache
// contents bit for bit, on every build, odd sizes, both position tables, tied and untied W_U; bad calls throw
// typed errors naming what was wrong and leave nothing behind; a step between loss() and backward() changes no
// gradient.

import { describe, expect, it } from "vitest";
import { ArgumentError, DisposedTensorError, ShapeError, createBackend, memory, setBackend } from "../src/index.js";
import { GPT, type GptConfig } from "../src/transformer/gpt.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { bits, disposeCaches } from "./helpers/decode.js";

const CONFIGS: GptConfig[] = [
  { vocabSize: 17, contextLength: 9, dModel: 12, heads: 3, layers: 2, seed: 3 },
  { vocabSize: 65, contextLength: 17, dModel: 20, heads: 5, layers: 3, positional: "learned", tieEmbeddings: true, seed: 4 },
  { vocabSize: 3, contextLength: 5, dModel: 4, heads: 1, layers: 1, tieEmbeddings: true, seed: 5 },
];


describe.each(BUILDS)("GPT.step fast path (%s)", (build) => {
  it.each(CONFIGS.map((c) => [`d ${c.dModel}, ${c.heads} heads, vocab ${c.vocabSize}`, c] as const))(
    "gives the layer path's logits and caches bit for bit (%s)", async (_name, config) => {
      await useBuild(build);
      const model = new GPT(config);
      const fast = model.createCaches(), slow = model.createCaches();
      try {
        const prompt = Int32Array.from({ length: 3 }, (_, i) => (i * 7 + 1) % config.vocabSize);
        model.prefill(prompt, fast);
        model.prefill(prompt, slow);
        let id = 2 % config.vocabSize;
        for (let pos = prompt.length; pos < config.contextLength; pos++) {
          const a = model.step(id, pos, fast);
          const b = model.stepThroughLayers(id, pos, slow);
          expect(a.length).toBe(config.vocabSize);
          expect(bits(a)).toEqual(bits(b));
          // The logits are not all equal (a test that a broken path could pass with zeros would prove nothing).
          expect(Math.max(...a) - Math.min(...a)).toBeGreaterThan(0);
          id = a.indexOf(Math.max(...a));
        }
        fast.forEach((c, i) => {
          expect(bits(c.k.toFloat32Array())).toEqual(bits(slow[i]!.k.toFloat32Array()));
          expect(bits(c.v.toFloat32Array())).toEqual(bits(slow[i]!.v.toFloat32Array()));
        });
      } finally {
        disposeCaches(fast);
        disposeCaches(slow);
        model.dispose();
      }
    });
});

describe("GPT.step on a worker pool", () => {
  it("gives the one-thread logits when every kernel is split across 2 threads", async () => {
    const config = CONFIGS[1]!;
    const run = async (threads: number) => {
      const backend = await createBackend({ build: BUILDS[0]!, threads, parallelThresholds: { gemm: 0, elementwise: 0, rows: 0 } });
      setBackend(backend);
      const model = new GPT(config);
      const caches = model.createCaches();
      try {
        model.prefill(Int32Array.of(1, 2, 3), caches);
        const out: number[][] = [];
        for (let pos = 3; pos < 12; pos++) out.push(bits(model.step((pos * 3) % config.vocabSize, pos, caches)));
        return { out, threads: backend.info().threads };
      } finally {
        disposeCaches(caches);
        model.dispose();
        backend.dispose();
      }
    };
    const one = await run(1), two = await run(2);
    expect(two.threads).toBe(2);
    expect(two.out).toEqual(one.out);
  });
});

describe("GPT.step checks", () => {
  it("rejects a bad id, position, cache list or cache with a typed error and leaks nothing", async () => {
    await useBuild(BUILDS[0]!);
    const model = new GPT(CONFIGS[0]!);
    const caches = model.createCaches(6);
    try {
      model.step(1, 0, caches); // builds the plan
      const before = memory().numTensors;
      expect(() => model.step(17, 1, caches)).toThrow(ArgumentError);
      expect(() => model.step(17, 1, caches)).toThrow("token id 17 is outside the vocabulary [0, 17)");
      expect(() => model.step(-1, 1, caches)).toThrow(ArgumentError);
      expect(() => model.step(1.5, 1, caches)).toThrow(ArgumentError);
      expect(() => model.step(1, 6, caches)).toThrow("position 6 is outside layer 0's cache [0, 6)");
      expect(() => model.step(1, 9, caches)).toThrow("position 9 is past the context length 9");
      expect(() => model.step(1, -1, caches)).toThrow(ArgumentError);
      expect(() => model.step(1, 1, caches.slice(0, 1))).toThrow("1 caches for 2 layers");
      const wrong = { ...caches[1]!, capacity: 5 };
      expect(() => model.step(1, 1, [caches[0]!, wrong])).toThrow(ShapeError);
      expect(() => model.step(1, 1, [caches[0]!, wrong])).toThrow("layer 1's KV cache tensor [6,12] must be [5,12]");
      expect(memory().numTensors).toBe(before);
      // Still usable after the errors.
      expect(model.step(2, 1, caches).length).toBe(17);
      caches[1]!.v.dispose();
      expect(() => model.step(1, 2, caches)).toThrow(DisposedTensorError);
    } finally {
      for (const c of caches) {
        if (!c.k.isDisposed) c.k.dispose();
        if (!c.v.isDisposed) c.v.dispose();
      }
      model.dispose();
    }
  });

  it("leaves a pending backward() alone: the same gradients with or without a step in between", async () => {
    await useBuild(BUILDS[0]!);
    const config = CONFIGS[1]!;
    const ids = Int32Array.from({ length: 2 * 7 }, (_, i) => (i * 5 + 2) % config.vocabSize);
    const targets = Int32Array.from(ids, (v) => (v + 1) % config.vocabSize);
    const grads = (interleave: boolean) => {
      const model = new GPT(config);
      const caches = model.createCaches();
      try {
        model.prefill(ids.subarray(0, 4), caches);
        model.loss(ids, targets, 2);
        if (interleave) model.step(3, 4, caches);
        model.backward();
        return model.parameters().map((p) => bits(p.grad.toFloat32Array()));
      } finally {
        disposeCaches(caches);
        model.dispose();
      }
    };
    expect(grads(true)).toEqual(grads(false));
  });

  it("frees its buffer with the model", async () => {
    await useBuild(BUILDS[0]!);
    const before = memory().numTensors;
    const model = new GPT(CONFIGS[2]!);
    const caches = model.createCaches();
    model.step(0, 0, caches);
    disposeCaches(caches);
    model.dispose();
    expect(memory().numTensors).toBe(before);
  });
});
