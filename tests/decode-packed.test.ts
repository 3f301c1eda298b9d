// The decode plan with packed weights (DecodeStep { packWeights: true }, assembly/decode.ts), which generate()
// runs its cached tokens through, against the layer path (GPT.stepThroughLayers): the same logits and caches bit
// for bit on every build, on widths with full 32-column panels and every tail after them; its copy is taken when
// it is built (the test that shows the panels are what it reads); generate() on one thread gives the greedy ids of
// a prefill + GPT.step loop, through window slides, and leaves no tensor behind; short of memory it does without
// the panels.

import { afterAll, describe, expect, it } from "vitest";
import { OutOfMemoryError, createBackend, empty, memory, setBackend, type Backend, type Tensor } from "../src/index.js";
import { GPT, type GptConfig } from "../src/transformer/gpt.js";
import { DecodeStep } from "../src/transformer/decode-step.js";
import { generate } from "../src/transformer/generate.js";
import { Tokenizer } from "../src/transformer/tokenizer.js";
import { BUILDS, type BuildName } from "./helpers/backends.js";
import { bits, disposeCaches } from "./helpers/decode.js";

// Widths (d, 3d, 4d): 50 → 32 + 16 + 2, 150 → 128 + 16 + 4 + 2, 200 → 192 + 8; 34 → 32 + 2, 102, 136;
// 32 → panels only (96, 128).
const CONFIGS: GptConfig[] = [
  { vocabSize: 19, contextLength: 11, dModel: 50, heads: 5, layers: 2, seed: 7 },
  { vocabSize: 37, contextLength: 9, dModel: 34, heads: 2, layers: 1, positional: "learned", tieEmbeddings: true, seed: 8 },
  { vocabSize: 23, contextLength: 10, dModel: 32, heads: 4, layers: 2, seed: 9 },
];

// One-thread backends here; the last test runs the packed plan on a 3-thread pool with every split forced.
const backends = new Map<BuildName, Backend>();
async function oneThread(build: BuildName): Promise<Backend> {
  let b = backends.get(build);
  if (!b) backends.set(build, (b = await createBackend({ build, threads: 1 })));
  setBackend(b);
  return b;
}
afterAll(() => {
  for (const b of backends.values()) b.dispose();
});


describe.each(BUILDS)("DecodeStep with packed weights (%s, one thread)", (build) => {
  it.each(CONFIGS.map((c) => [`d ${c.dModel}, ${c.heads} heads`, c] as const))(
    "gives the layer path's logits and caches bit for bit (%s)", async (_name, config) => {
      const backend = await oneThread(build);
      const before = memory().numTensors;
      const model = new GPT(config);
      const fast = model.createCaches(), slow = model.createCaches();
      const packed = new DecodeStep(model, backend, { packWeights: true });
      try {
        const prompt = Int32Array.from({ length: 2 }, (_, i) => (i * 5 + 3) % config.vocabSize);
        model.prefill(prompt, fast);
        model.prefill(prompt, slow);
        let id = 1;
        for (let pos = prompt.length; pos < config.contextLength; pos++) {
          const a = packed.run(id, pos, fast);
          const b = model.stepThroughLayers(id, pos, slow);
          expect(bits(a)).toEqual(bits(b));
          expect(Math.max(...a) - Math.min(...a)).toBeGreaterThan(0);
          id = a.indexOf(Math.max(...a));
        }
        fast.forEach((c, i) => {
          expect(bits(c.k.toFloat32Array())).toEqual(bits(slow[i]!.k.toFloat32Array()));
          expect(bits(c.v.toFloat32Array())).toEqual(bits(slow[i]!.v.toFloat32Array()));
        });
      } finally {
        packed.dispose();
        disposeCaches(fast);
        disposeCaches(slow);
        model.dispose();
      }
      expect(memory().numTensors).toBe(before);
    });

  it("computes with the weights as they were when it was built (it reads its panels, not the weights)", async () => {
    const backend = await oneThread(build);
    const model = new GPT(CONFIGS[2]!); // every Dense width a multiple of 32: all of each matrix is in panels
    const caches = model.createCaches();
    const packed = new DecodeStep(model, backend, { packWeights: true });
    try {
      model.prefill(Int32Array.of(1, 2), caches);
      const old = model.stepThroughLayers(5, 2, caches);
      const fc = model.blocks[0]!.mlp.fc.weights;
      fc.view().set(fc.toFloat32Array().map((v) => 2 * v));
      const now = model.stepThroughLayers(5, 2, caches);
      expect(bits(now)).not.toEqual(bits(old));
      // The scalar build packs nothing (it has no 32-wide loop) and reads the weights themselves.
      expect(bits(packed.run(5, 2, caches))).toEqual(bits(build === "scalar" ? now : old));
    } finally {
      packed.dispose();
      disposeCaches(caches);
      model.dispose();
    }
  });
});

describe("generate() on one thread", () => {
  it("gives the greedy ids of prefill + GPT.step + argmax through window slides, and leaks nothing", async () => {
    await oneThread(BUILDS[0]!);
    const tok = Tokenizer.characters("abcdefghijklmnopqrstuvwxyz ");
    const model = new GPT({ vocabSize: tok.vocabSize, contextLength: 10, dModel: 40, heads: 5, layers: 2, seed: 4 });
    try {
      generate(model, tok, "abc", { maxNewTokens: 25, greedy: true }); // the model's own buffers come to stay
      const before = memory().numTensors;
      const got = generate(model, tok, "abc", { maxNewTokens: 25, greedy: true });
      expect(memory().numTensors).toBe(before);
      // The same loop by hand, through GPT.step (its own plan reads the weights themselves).
      const ids = Array.from(tok.encode("abc"));
      const caches = model.createCaches();
      try {
        let start = 0;
        let logits = model.prefill(Int32Array.from(ids), caches);
        for (let n = 0; n < 25; n++) {
          const id = logits.indexOf(Math.max(...logits));
          ids.push(id);
          if (n === 24) break;
          if (ids.length - start >= 10) {
            start = ids.length - 5;
            logits = model.prefill(Int32Array.from(ids.slice(start)), caches);
          } else {
            logits = model.step(id, ids.length - 1 - start, caches);
          }
        }
      } finally {
        disposeCaches(caches);
      }
      expect(Array.from(got.ids)).toEqual(ids);
      expect(new Set(ids.slice(3)).size).toBeGreaterThan(1);
    } finally {
      model.dispose();
    }
  });
});

describe("DecodeStep with packed weights, short of memory", () => {
  it("decodes from the weights themselves when the panels do not fit, with the same bits", async () => {
    const backend = await createBackend({ build: BUILDS[0]!, threads: 1, initialMemoryMB: 8, maxMemoryMB: 8 });
    setBackend(backend);
    const model = new GPT(CONFIGS[2]!);
    const caches = model.createCaches(), slow = model.createCaches();
    const fill: Tensor[] = [];
    try {
      model.prefill(Int32Array.of(1, 2), caches);
      model.prefill(Int32Array.of(1, 2), slow);
      const want = model.stepThroughLayers(3, 2, slow); // before the memory is taken: the layer path keeps buffers
      // Take every free 16 KB, then give back 32 KB: room for the plan's vectors (2 KB), not for its 96 KB of panels.
      for (;;) {
        try {
          fill.push(empty([4096]));
        } catch (e) {
          if (e instanceof OutOfMemoryError) break;
          throw e;
        }
      }
      fill.pop()!.dispose();
      fill.pop()!.dispose();
      const before = memory().numTensors;
      const packed = new DecodeStep(model, backend, { packWeights: true });
      expect(memory().numTensors).toBe(before + 1); // the vectors, no panels
      expect(bits(packed.run(3, 2, caches))).toEqual(bits(want));
      packed.dispose();
      expect(memory().numTensors).toBe(before);
    } finally {
      for (const t of fill) t.dispose();
      disposeCaches(caches);
      disposeCaches(slow);
      model.dispose();
      backend.dispose();
    }
  });
});

describe("DecodeStep with packed weights on a worker pool", () => {
  it("reads its panels on the calling thread while the pool splits the rest: the layer path's bits on one thread", async () => {
    const config = CONFIGS[0]!;
    const one = await createBackend({ build: "simd", threads: 1 });
    const pool = await createBackend({ build: "simd", threads: 3, parallelThresholds: { gemm: 0, elementwise: 0, rows: 0 } });
    try {
      setBackend(one);
      const ref = new GPT(config);
      const slow = ref.createCaches();
      setBackend(pool);
      const model = new GPT(config); // same seed: the same weights
      const fast = model.createCaches();
      const packed = new DecodeStep(model, pool, { packWeights: true });
      const prompt = Int32Array.of(3, 8);
      model.prefill(prompt, fast);
      setBackend(one);
      ref.prefill(prompt, slow);
      let id = 1;
      for (let pos = prompt.length; pos < config.contextLength; pos++) {
        setBackend(pool);
        const a = packed.run(id, pos, fast);
        setBackend(one);
        const b = ref.stepThroughLayers(id, pos, slow);
        expect(bits(a)).toEqual(bits(b));
        id = a.indexOf(Math.max(...a));
      }
      expect(pool.workerPool?.usable).toBe(true);
      setBackend(pool);
      packed.dispose();
      disposeCaches(fast);
      model.dispose();
      setBackend(one);
      disposeCaches(slow);
      ref.dispose();
    } finally {
      pool.dispose();
      one.dispose();
    }
  });
});
