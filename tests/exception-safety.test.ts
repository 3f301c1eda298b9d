// After any thrown error, memory().numTensors (and the allocator's live bytes) are back where they
// were (issue 9, finding 3): constructors that allocate several tensors are all-or-nothing, configs
// are validated before anything is allocated, ops take their scratch before their output, and
// tensor() copies a source that lives in the memory it is about to grow.

import { describe, expect, it } from "vitest";
import {
  ArgumentError, Dense, FormatError, GPT, NeuralNetwork, OutOfMemoryError, Tensor, attention, createBackend, disposeOnThrow,
  getBackend, matmul, memory, readSafetensors, setBackend, tensor, untracked, writeSafetensors, zeros, type Backend,
} from "../src/index.js";
import { useBuild } from "./helpers/backends.js";

function live(): { tensors: number; bytes: number } {
  const m = memory();
  return { tensors: m.numTensors, bytes: m.allocatedBytes };
}

/** The error `fn` throws; the test fails if it returns. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to throw");
}

/** A fresh backend with a small cap (fresh: its shared scratch block is not allocated yet). */
async function smallBackend(maxMemoryMB: number): Promise<Backend> {
  const backend = await createBackend({ build: "simd", initialMemoryMB: 1, maxMemoryMB });
  setBackend(backend);
  return backend;
}

/** Allocate until only `room` bytes (give or take 16) are left under the cap; returns the filler tensors. */
function fillLeaving(room: number): Tensor[] {
  const filler: Tensor[] = [];
  for (const elements of [1 << 18, 1 << 14, 1 << 10, 1 << 6, 4]) {
    for (;;) {
      try {
        filler.push(zeros([elements]));
      } catch {
        break;
      }
    }
  }
  // Memory is now full to the cap (16-byte crumbs last); free crumbs until `room` bytes are free.
  let freed = 0;
  while (freed < room) {
    const t = filler.pop()!;
    freed += Math.max(16, t.size * 4);
    t.dispose();
  }
  return filler;
}

const GPT_SMALL = { vocabSize: 13, contextLength: 8, dModel: 32, heads: 4, layers: 3 };

describe("constructors are all or nothing", () => {
  it("new NeuralNetwork with an unknown loss or optimizer allocates nothing", async () => {
    await useBuild("simd");
    const before = live();
    expect(thrown(() => new NeuralNetwork([4, 3, 2], { loss: "bogus" as never }))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => new NeuralNetwork([4, 3, 2], { optimizer: "bogus" as never })).message).toMatch(/unknown optimizer "bogus"/);
    expect(thrown(() => new NeuralNetwork([4, 3, 2], { init: "bogus" as never }))).toBeInstanceOf(Error);
    expect(live()).toEqual(before);
  });

  it("NeuralNetwork.load of a file whose metadata names an unknown loss leaves nothing behind", async () => {
    await useBuild("simd");
    const net = new NeuralNetwork([4, 3, 2], { seed: 1 });
    const file = readSafetensors(net.save());
    net.dispose();
    const tampered = writeSafetensors(
      Object.fromEntries(Object.entries(file.tensors).map(([name, t]) => [name, { shape: t.shape, data: t.data as Float32Array }])),
      { ...file.metadata, loss: "bogus" },
    );
    const before = live();
    expect(thrown(() => NeuralNetwork.load(tampered))).toBeInstanceOf(FormatError);
    expect(live()).toEqual(before);
  });

  it("an OutOfMemoryError in the second layer of new NeuralNetwork frees the first", async () => {
    await smallBackend(4);
    const filler = fillLeaving(1.5 * 2 ** 20);
    const before = live();
    // Layer 0 (256→512, 1 MiB with its gradient) fits in the 1.5 MiB left; layer 1 (512→512, 2 MiB) does not.
    const error = thrown(() => new NeuralNetwork([256, 512, 512, 10]));
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect(live()).toEqual(before);
    new Dense(256, 512).dispose(); // layer 0 alone fits: the failure came after it was built
    for (const t of filler) t.dispose();
    // The runtime is still usable: with the memory back, the same network builds.
    new NeuralNetwork([256, 512, 512, 10]).dispose();
    expect(live()).toEqual({ tensors: 0, bytes: 0 });
  });

  it("an OutOfMemoryError inside new GPT (in a later block) frees every block built before it", async () => {
    await smallBackend(4);
    // Each block of dModel 64 holds 2·(12·64² + 13·64) floats ≈ 400 KB: room for some blocks, not all 8.
    const config = { vocabSize: 50, contextLength: 16, dModel: 64, heads: 4, layers: 8 };
    const filler = fillLeaving(1.2 * 2 ** 20);
    const before = live();
    expect(thrown(() => new GPT(config))).toBeInstanceOf(OutOfMemoryError);
    expect(live()).toEqual(before);
    new GPT({ ...config, layers: 2 }).dispose(); // two blocks fit: the failure came in a later one
    for (const t of filler) t.dispose();
    new GPT(config).dispose();
    expect(live()).toEqual({ tensors: 0, bytes: 0 });
  });

  it("an OutOfMemoryError in GPT.createCaches (at a later layer) frees the caches made before it", async () => {
    await smallBackend(4);
    // Each layer's cache is K and V of [capacity, dModel]: 2·256·64·4 B = 128 KiB; 8 layers need 1 MiB.
    const model = new GPT({ vocabSize: 50, contextLength: 256, dModel: 64, heads: 4, layers: 8 });
    const filler = fillLeaving(0.5 * 2 ** 20);
    const before = live();
    expect(thrown(() => model.createCaches())).toBeInstanceOf(OutOfMemoryError);
    expect(live()).toEqual(before);
    const two = model.createCaches(64); // smaller caches fit: the failure came after the first layers
    for (const c of two) {
      c.k.dispose();
      c.v.dispose();
    }
    for (const t of filler) t.dispose();
    model.dispose();
    expect(live()).toEqual({ tensors: 0, bytes: 0 });
  });

  it("new GPT refuses absurd configs with a typed error before allocating", async () => {
    await useBuild("simd");
    const before = live();
    const huge = thrown(() => new GPT({ ...GPT_SMALL, layers: 1e308 }));
    expect(huge).toBeInstanceOf(ArgumentError);
    expect(huge.message).toMatch(/layers must be an integer from 1 to 2147483647, got 1e\+308/);
    expect(thrown(() => new GPT({ ...GPT_SMALL, layers: 2.5 }))).toBeInstanceOf(ArgumentError);
    // Legal integers whose weights alone exceed the cap fail at once, not after building half the model.
    const tooBig = thrown(() => new GPT({ ...GPT_SMALL, vocabSize: 20_000_000, dModel: 64 }));
    expect(tooBig).toBeInstanceOf(OutOfMemoryError);
    expect(tooBig.message).toMatch(/GPT \(vocabSize 20000000.*more than the backend's maximum/);
    expect(live()).toEqual(before);
  });

  it("GPT's up-front estimate counts exactly what its constructor allocates", async () => {
    await useBuild("simd");
    for (const extra of [{}, { positional: "learned" as const, tieEmbeddings: false }]) {
      const before = memory().numBytes;
      const model = new GPT({ ...GPT_SMALL, ...extra });
      const d = GPT_SMALL.dModel;
      const trained = model.parameterCount;
      const fixed = extra.positional === "learned" ? 0 : GPT_SMALL.contextLength * d;
      expect(memory().numBytes - before).toBe(4 * (2 * trained + fixed));
      model.dispose();
    }
  });
});

describe("ops take their scratch before their output", () => {
  it("matmul that cannot get its scratch leaves no output behind", async () => {
    await smallBackend(2);
    const a = tensor([[1, 2]]);
    const b = tensor([[3], [4]]);
    const filler = fillLeaving(16); // room for the 1×1 output, not for the GEMM panels
    const before = live();
    expect(thrown(() => matmul(a, b))).toBeInstanceOf(OutOfMemoryError);
    expect(live()).toEqual(before);
    filler.slice(-2000).forEach((t) => t.dispose());
    const c = matmul(a, b);
    expect(c.toArray()).toEqual([[11]]);
  });

  it("attention that cannot get its scratch leaves no output behind", async () => {
    await smallBackend(2);
    const q = tensor(new Float32Array(4 * 8).fill(0.5), [4, 8]);
    const filler = fillLeaving(16 * 8);
    const before = live();
    expect(thrown(() => attention(q, q, q, { causal: true }))).toBeInstanceOf(OutOfMemoryError);
    expect(live()).toEqual(before);
    filler.slice(-20000).forEach((t) => t.dispose());
    expect(Array.from(attention(q, q, q, { causal: true }).view())).toEqual(new Array(32).fill(0.5));
  });
});

describe("tensor()", () => {
  it("copies another tensor's view() when the new allocation grows (and so detaches) the memory", async () => {
    await smallBackend(64);
    const n = 200_000; // 800 KB of a 1 MiB memory: the copy must grow it
    const source = tensor(Float32Array.from({ length: n }, (_, i) => i % 1000));
    const pages = getBackend().memory.buffer.byteLength;
    const copy = tensor(source.view(), [n / 2, 2]);
    expect(getBackend().memory.buffer.byteLength).toBeGreaterThan(pages);
    expect(copy.toFloat32Array()).toEqual(source.toFloat32Array());
    expect(memory().numTensors).toBe(2);
  });

  it("refuses null, undefined, strings, DataView and BigInt arrays with a typed error", async () => {
    await useBuild("simd");
    const before = live();
    for (const bad of [null, undefined, "123", new DataView(new ArrayBuffer(8)), new BigInt64Array(2), {}]) {
      const error = thrown(() => tensor(bad as never));
      expect(error, String(bad)).toBeInstanceOf(ArgumentError);
      expect(error.message).toMatch(/^tensor: data must/);
    }
    expect(live()).toEqual(before);
  });
});

describe("disposeOnThrow (the pattern every multi-tensor constructor uses)", () => {
  it("on a throw disposes every tensor made inside, tracked or not, nested guards included", async () => {
    await useBuild("simd");
    const before = live();
    const error = thrown(() =>
      disposeOnThrow(() => {
        untracked(() => zeros([5]));
        disposeOnThrow(() => [zeros([7]), untracked(() => zeros([9]))]); // inner guard succeeds...
        zeros([3]).dispose(); // (already disposed: skipped)
        throw new RangeError("late failure"); // ...and the outer failure frees what it built too
      }),
    );
    expect(error).toBeInstanceOf(RangeError);
    expect(live()).toEqual(before);
  });

  it("on success hands every tensor to the caller", async () => {
    await useBuild("simd");
    const before = memory().numTensors;
    const made = disposeOnThrow(() => untracked(() => [zeros([2]), zeros([3])]));
    expect(made.every((t) => !t.isDisposed)).toBe(true);
    expect(memory().numTensors).toBe(before + 2);
    made.forEach((t) => t.dispose());
  });
});
