import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArgumentError } from "../src/runtime/errors.js";
import { EMBEDDED_MNIST_SIZE, embeddedMnistOrder, loadEmbeddedMnist, type Dataset } from "../src/data/index.js";

const PER_DIGIT = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function labelCounts(...sets: Dataset[]): number[] {
  const counts = new Array(10).fill(0);
  for (const d of sets) for (const l of d.labels) counts[l]++;
  return counts;
}

function sameArrays(a: Dataset, b: Dataset): boolean {
  if (a.count !== b.count) return false;
  for (let i = 0; i < a.labels.length; i++) if (a.labels[i] !== b.labels[i]) return false;
  for (let i = 0; i < a.images.length; i++) if (a.images[i] !== b.images[i]) return false;
  return true;
}

describe("loadEmbeddedMnist", () => {
  it("loads 10,000 digits split 8,000 / 2,000 with pixels in [0, 1] and the known per-digit totals", async () => {
    const { train, test } = await loadEmbeddedMnist();
    expect(EMBEDDED_MNIST_SIZE).toBe(10_000);
    expect([train.count, test.count]).toEqual([8000, 2000]);
    for (const d of [train, test]) {
      expect([d.rows, d.cols]).toEqual([28, 28]);
      expect(d.images).toBeInstanceOf(Float32Array);
      expect(d.images.length).toBe(d.count * 784);
      expect(d.labels).toBeInstanceOf(Uint8Array);
      expect(d.labels.length).toBe(d.count);
      let min = Infinity, max = -Infinity;
      for (const v of d.images) { if (v < min) min = v; if (v > max) max = v; }
      expect(min).toBe(0);
      expect(max).toBe(1);
      // Every digit has some ink.
      for (let i = 0; i < d.count; i++) {
        let ink = 0;
        for (let k = 0; k < 784; k++) ink += d.images[i * 784 + k]!;
        expect(ink).toBeGreaterThan(5);
      }
    }
    expect(labelCounts(train, test)).toEqual(PER_DIGIT);
    // A shuffle, not classes in order: both splits hold every digit.
    for (const c of labelCounts(test)) expect(c).toBeGreaterThan(100);
  });

  it("is deterministic: the same seed gives identical arrays, a different seed a different split", async () => {
    const a = await loadEmbeddedMnist({ seed: 7 });
    const b = await loadEmbeddedMnist({ seed: 7 });
    expect(sameArrays(a.train, b.train)).toBe(true);
    expect(sameArrays(a.test, b.test)).toBe(true);
    expect(a.train.images === b.train.images).toBe(false); // fresh arrays, callers may modify them
    const c = await loadEmbeddedMnist({ seed: 8 });
    expect(sameArrays(a.train, c.train)).toBe(false);
    expect(sameArrays(a.test, c.test)).toBe(false);
  });

  it("train and test are disjoint, and each digit is the one the package's files hold", async () => {
    const seed = 3;
    const { train, test } = await loadEmbeddedMnist({ seed });
    const order = embeddedMnistOrder(seed);
    const trainIdx = new Set(order.subarray(0, 8000));
    const testIdx = new Set(order.subarray(8000));
    expect(trainIdx.size).toBe(8000);
    expect(testIdx.size).toBe(2000);
    for (const i of testIdx) expect(trainIdx.has(i)).toBe(false);
    // Check the mapping against the raw JSON, read independently here.
    const root = dirname(createRequire(import.meta.url).resolve("mnist/package.json"));
    const raw = PER_DIGIT.map((_, d) => (JSON.parse(readFileSync(join(root, "src", "digits", `${d}.json`), "utf8")) as { data: number[] }).data);
    const starts = PER_DIGIT.map((_, d) => PER_DIGIT.slice(0, d).reduce((s, n) => s + n, 0));
    const check = (set: Dataset, from: number, i: number) => {
      const k = order[from + i]!;
      let digit = 9;
      while (starts[digit]! > k) digit--;
      expect(set.labels[i]).toBe(digit);
      const want = raw[digit]!.slice((k - starts[digit]!) * 784, (k - starts[digit]! + 1) * 784).map(Math.fround);
      expect(Array.from(set.images.subarray(i * 784, (i + 1) * 784))).toEqual(want);
    };
    for (const i of [0, 1, 4321, 7999]) check(train, 0, i);
    for (const i of [0, 999, 1999]) check(test, 8000, i);
  });

  it("every pixel of all 10,000 shipped digits equals the mnist package's value (data/mnist is a lossless copy)", async () => {
    const seed = 0;
    const { train, test } = await loadEmbeddedMnist({ seed, trainSize: 10_000 });
    expect(test.count).toBe(0);
    const order = embeddedMnistOrder(seed);
    const root = dirname(createRequire(import.meta.url).resolve("mnist/package.json"));
    const starts = PER_DIGIT.map((_, d) => PER_DIGIT.slice(0, d).reduce((s, n) => s + n, 0));
    const where = new Int32Array(10_000); // file position → position in train
    order.forEach((k, i) => (where[k] = i));
    let mismatches = 0;
    for (let digit = 0; digit < 10; digit++) {
      const raw = (JSON.parse(readFileSync(join(root, "src", "digits", `${digit}.json`), "utf8")) as { data: number[] }).data;
      expect(raw.length).toBe(PER_DIGIT[digit]! * 784);
      for (let n = 0; n < PER_DIGIT[digit]!; n++) {
        const i = where[starts[digit]! + n]!;
        if (train.labels[i] !== digit) mismatches++;
        for (let p = 0; p < 784; p++) if (train.images[i * 784 + p] !== Math.fround(raw[n * 784 + p]!)) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });

  it("honours trainSize and rejects bad options", async () => {
    const { train, test } = await loadEmbeddedMnist({ seed: 1, trainSize: 9000 });
    expect([train.count, test.count]).toEqual([9000, 1000]);
    expect(labelCounts(train, test)).toEqual(PER_DIGIT);
    await expect(loadEmbeddedMnist({ trainSize: 10_001 })).rejects.toThrow(ArgumentError);
    await expect(loadEmbeddedMnist({ trainSize: 1.5 })).rejects.toThrow(/trainSize must be an integer in \[0, 10000\], got 1.5/);
  });
});
