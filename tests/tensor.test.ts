import { beforeAll, describe, expect, it } from "vitest";
import {
  DisposedTensorError, ShapeError, add, init, keep, matmul, memory, ones, randn, randu, relu, tensor, tidy, zeros,
  getBackend, full,
} from "../src/index.js";

beforeAll(async () => {
  await init();
});

describe("creating tensors", () => {
  it("infers shapes from nested arrays and round-trips the data", () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(t.rank).toBe(2);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(Array.from(t.toFloat32Array())).toEqual([1, 2, 3, 4, 5, 6]);
    t.dispose();
  });

  it("takes flat data with an explicit shape, typed arrays, scalars and empty shapes", () => {
    tidy(() => {
      expect(tensor([1, 2, 3, 4, 5, 6], [3, 2]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
      expect(tensor(new Float32Array([1.5, -2])).toArray()).toEqual([1.5, -2]);
      expect(tensor(new Float64Array([0.25])).toArray()).toEqual([0.25]);
      const s = tensor(3);
      expect(s.shape).toEqual([]);
      expect(s.toArray()).toBe(3);
      expect(tensor([], [0, 5]).size).toBe(0);
      expect(tensor([[[1], [2]], [[3], [4]]]).shape).toEqual([2, 2, 1]);
    });
  });

  it("rejects data that does not fit the shape, ragged arrays and bad dimensions with ShapeError", () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(ShapeError);
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow("tensor: 3 values do not fill shape [2,2] (4 elements)");
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged nested array: element \[1\] has length 1, expected 2/);
    expect(() => zeros([2, -1])).toThrow("full: shape [2,-1] has an invalid dimension -1 at axis 1 (need a non-negative integer)");
    expect(() => zeros([2.5])).toThrow(/invalid dimension 2.5 at axis 0/);
    expect(() => zeros([Number.NaN])).toThrow(ShapeError);
    expect(() => zeros([2 ** 20, 2 ** 20])).toThrow(/more than a 4 GiB Wasm memory holds/);
    expect(memory().numTensors).toBe(0);
  });

  it("fills: zeros, ones, full", () => {
    tidy(() => {
      expect(zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
      expect(ones([3]).toArray()).toEqual([1, 1, 1]);
      expect(full([1, 2], -2.5).toArray()).toEqual([[-2.5, -2.5]]);
    });
  });

  it("draws reproducible random tensors: same seed, same numbers", () => {
    tidy(() => {
      const a = randn([17, 3], { seed: 5 }).toFloat32Array();
      const b = randn([17, 3], { seed: 5 }).toFloat32Array();
      const c = randn([17, 3], { seed: 6 }).toFloat32Array();
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
      const scaled = randn([17, 3], { seed: 5, mean: 1, std: 0.01 }).toFloat32Array();
      scaled.forEach((v, i) => expect(v).toBeCloseTo(1 + 0.01 * a[i]!, 5));
      const u = randu([1000], { seed: 1, low: -2, high: 2 }).toFloat32Array();
      expect(u.every((v) => v >= -2 && v < 2)).toBe(true);
    });
  });
});

describe("dispose, tidy and memory()", () => {
  it("use after dispose throws DisposedTensorError, dispose is idempotent", () => {
    const t = tensor([1, 2]);
    t.dispose();
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(() => t.toArray()).toThrow(DisposedTensorError);
    expect(() => t.toArray()).toThrow("tensor [2] was used after dispose()");
    expect(() => add(t, t)).toThrow(DisposedTensorError);
  });

  it("tidy frees everything created inside except what is returned or kept", () => {
    const before = memory().numTensors;
    let kept: ReturnType<typeof tensor> | undefined;
    const result = tidy(() => {
      const a = tensor([1, 2, 3]);
      const b = add(a, a);
      kept = keep(relu(b));
      return { sum: add(b, a), list: [ones([2])] };
    });
    expect(memory().numTensors).toBe(before + 3);
    expect(result.sum.toArray()).toEqual([3, 6, 9]);
    expect(result.list[0]!.toArray()).toEqual([1, 1]);
    expect(kept!.toArray()).toEqual([2, 4, 6]);
    result.sum.dispose();
    result.list[0]!.dispose();
    kept!.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it("nested tidy moves returned tensors to the outer scope; a throwing fn frees its tensors", () => {
    const before = memory().numTensors;
    const outer = tidy(() => {
      const inner = tidy(() => add(ones([4]), ones([4])));
      zeros([8]);
      return inner;
    });
    expect(outer.toArray()).toEqual([2, 2, 2, 2]);
    outer.dispose();
    expect(() => tidy(() => {
      zeros([3]);
      throw new Error("boom");
    })).toThrow("boom");
    expect(memory().numTensors).toBe(before);
  });

  it("10,000 alloc/dispose and tidy cycles leave memory() and the Wasm memory flat", () => {
    const warm = tidy(() => matmul(randn([32, 64], { seed: 1 }), randn([64, 16], { seed: 2 })));
    warm.dispose();
    const before = memory();
    for (let i = 0; i < 10_000; i++) {
      const t = zeros([64 + (i % 5)]);
      t.dispose();
      tidy(() => {
        relu(add(ones([3, 7]), ones([3, 7])));
      });
      tidy(() => add(ones([2]), ones([2]))).dispose(); // a returned tensor is the caller's to free
    }
    const after = memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.wasmBytes).toBe(before.wasmBytes);
    expect(after.allocatedBytes).toBe(before.allocatedBytes);
  });

  it("a tensor created before memory grows still reads its data (views are re-derived)", () => {
    const t = tensor([1, 2, 3, 4]);
    const wasmBefore = memory().wasmBytes;
    const big = zeros([wasmBefore / 4 + 1024]); // forces growth
    expect(memory().wasmBytes).toBeGreaterThan(wasmBefore);
    expect(t.toArray()).toEqual([1, 2, 3, 4]);
    expect(add(t, t).toArray()).toEqual([2, 4, 6, 8]);
    big.dispose();
    t.dispose();
  });

  it("reports live tensors and bytes", () => {
    const before = memory();
    const t = zeros([10, 10]);
    expect(memory().numTensors).toBe(before.numTensors + 1);
    expect(memory().numBytes).toBe(before.numBytes + 400);
    t.dispose();
    expect(memory().numBytes).toBe(before.numBytes);
    expect(getBackend().info().memoryBytes).toBe(memory().wasmBytes);
  });
});
