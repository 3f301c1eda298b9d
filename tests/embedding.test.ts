import { describe, expect, it } from "vitest";
import { ArgumentError, ShapeError, embedding, embeddingBackward, tensor, tidy } from "../src/index.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { expectClose, randomFloats } from "./helpers/compare.js";
import { checkFiniteDiff } from "./helpers/finite-diff.js";

function randomIds(n: number, vocab: number, seed: number): Int32Array {
  return Int32Array.from(randomFloats(n, seed), (v) => Math.min(vocab - 1, Math.floor(((v + 1) / 2) * vocab)));
}

describe.each(BUILDS)("embedding on the %s build", (build) => {
  it("gathers rows and scatter-adds gradients like a float64 reference, on odd sizes", async () => {
    await useBuild(build);
    let seed = 1;
    for (const [n, vocab, d] of [[1, 1, 1], [3, 5, 3], [17, 7, 17], [33, 65, 33], [65, 3, 65], [70, 129, 16], [5, 2, 129]] as const) {
      tidy(() => {
        const table = randomFloats(vocab * d, seed++), dout = randomFloats(n * d, seed++);
        const ids = randomIds(n, vocab, seed++);
        const idList = Array.from(ids);
        const out = embedding(seed % 2 ? ids : idList, tensor(table, [vocab, d]));
        expect(out.shape).toEqual([n, d]);
        const want = new Float64Array(n * d), wantGrad = new Float64Array(vocab * d);
        for (let r = 0; r < n; r++) {
          for (let c = 0; c < d; c++) {
            want[r * d + c] = table[ids[r]! * d + c]!;
            wantGrad[ids[r]! * d + c] += dout[r * d + c]!;
          }
        }
        expect(Array.from(out.toFloat32Array())).toEqual(Array.from(want));
        const dtable = embeddingBackward(idList, tensor(dout, [n, d]), vocab);
        expect(dtable.shape).toEqual([vocab, d]);
        expectClose(dtable.toFloat32Array(), wantGrad, 1e-6, 1e-6, `embeddingBackward n=${n} vocab=${vocab} d=${d}`);
        // Into given tensors: stale values are overwritten.
        const given = tensor(new Float32Array(vocab * d).fill(3), [vocab, d]);
        expect(embeddingBackward(ids, tensor(dout, [n, d]), vocab, { out: given })).toBe(given);
        expect(given.toFloat32Array()).toEqual(dtable.toFloat32Array());
      });
    }
  });

  it("backward agrees with finite differences on the table (L = Σ out·R), repeated ids included", async () => {
    await useBuild(build);
    tidy(() => {
      const [n, vocab, d] = [9, 4, 5];
      const ids = Int32Array.from([0, 3, 3, 1, 0, 3, 2, 2, 3]);
      const table = randomFloats(vocab * d, 11), r = randomFloats(n * d, 12);
      const grad = embeddingBackward(ids, tensor(r, [n, d]), vocab).toFloat32Array();
      checkFiniteDiff({
        inputs: [table], names: ["table"], grads: [grad], r, eps: 1e-2, samples: vocab * d, what: "embedding",
        forward: ([t]) => tidy(() => embedding(ids, tensor(t!, [vocab, d])).toFloat32Array()),
      });
    });
  });

  it("handles zero tokens and a zero-width table", async () => {
    await useBuild(build);
    tidy(() => {
      expect(embedding([], tensor(new Float32Array(6), [3, 2])).shape).toEqual([0, 2]);
      expect(Array.from(embeddingBackward([], tensor(new Float32Array(0), [0, 2]), 3).toFloat32Array())).toEqual([0, 0, 0, 0, 0, 0]);
      expect(embedding([1, 0], tensor(new Float32Array(0), [3, 0])).shape).toEqual([2, 0]);
    });
  });
});

describe("embedding errors", () => {
  it("name the first bad id, its position and the vocabulary size", async () => {
    await useBuild("simd");
    tidy(() => {
      const table = tensor(new Float32Array(12), [4, 3]);
      expect(() => embedding([0, 1, 4, 9], table)).toThrow(ArgumentError);
      expect(() => embedding([0, 1, 4, 9], table)).toThrow("embedding: id 4 at position 2 is outside the vocabulary [0, 4)");
      expect(() => embedding(Int32Array.from([-1]), table)).toThrow("embedding: id -1 at position 0");
      expect(() => embedding([1.5], table)).toThrow("embedding: id 1.5 at position 0");
      expect(() => embedding([0], tensor(new Float32Array(4), [4]))).toThrow(ShapeError);
      const dout = tensor(new Float32Array(6), [2, 3]);
      expect(() => embeddingBackward([0, 1, 2], dout, 4)).toThrow("embeddingBackward: 3 ids but dout [2,3] has 2 rows");
      expect(() => embeddingBackward([0, 5], dout, 4)).toThrow("embeddingBackward: id 5 at position 1 is outside the vocabulary [0, 4)");
      expect(() => embeddingBackward([0, 1], dout, 2.5)).toThrow(ArgumentError);
      expect(() => embeddingBackward([0, 1], dout, 4, { out: tensor(new Float32Array(9), [3, 3]) })).toThrow(/out has shape \[3,3\], the result has shape \[4,3\]/);
    });
  });
});
