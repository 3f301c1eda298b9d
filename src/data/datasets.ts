// Image classification datasets in memory: MNIST-style IDX pairs (images rank 3 uint8, labels rank 1
// uint8) turned into float pixels in [0, 1] and class labels.

import { platform } from "#simdnet/platform";
import { ArgumentError, FormatError, SimdnetError, formatShape } from "../runtime/errors.js";
import { readIdx, type IdxArray, type IdxOptions } from "./idx.js";

export interface Dataset {
  /** count × rows·cols pixels, row-major, values in [0, 1]. */
  images: Float32Array;
  /** count class labels, each < 10. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

const CLASSES = 10;

/**
 * Pair an images IDX array (rank 3, uint8: count × rows × cols) with a labels IDX array (rank 1,
 * uint8: count) into a Dataset, scaling pixels by 1/255. Offsets in errors are those of the field in
 * the IDX file the array came from.
 */
export function imagesAndLabels(images: IdxArray, labels: IdxArray): Dataset {
  if (images.dtype !== "uint8") throw new FormatError(`images: expected uint8 pixels (type code 0x08), got ${images.dtype}`, 2);
  if (images.shape.length !== 3) {
    throw new FormatError(`images: expected rank 3 (count × rows × cols), got rank ${images.shape.length} with shape ${formatShape(images.shape)}`, 3);
  }
  if (labels.dtype !== "uint8") throw new FormatError(`labels: expected uint8 labels (type code 0x08), got ${labels.dtype}`, 2);
  if (labels.shape.length !== 1) {
    throw new FormatError(`labels: expected rank 1 (count), got rank ${labels.shape.length} with shape ${formatShape(labels.shape)}`, 3);
  }
  const [count, rows, cols] = images.shape as [number, number, number];
  if (labels.shape[0] !== count) {
    throw new FormatError(`labels: the labels file has ${labels.shape[0]} labels but the images file has ${count} images`, 4);
  }
  const pixels = images.data as Uint8Array;
  const labelData = labels.data as Uint8Array;
  if (pixels.length !== count * rows * cols || labelData.length !== count) {
    throw new FormatError(`images: ${pixels.length} pixels and ${labelData.length} labels do not match shapes ${formatShape(images.shape)} and ${formatShape(labels.shape)}`, 8);
  }
  for (let i = 0; i < count; i++) {
    if (labelData[i]! >= CLASSES) {
      throw new FormatError(`labels: label ${i} is ${labelData[i]}, expected a class in 0..${CLASSES - 1}`, 8 + i);
    }
  }
  const scaled = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) scaled[i] = pixels[i]! / 255;
  return { images: scaled, labels: labelData.slice(), count, rows, cols };
}

/** One row of `classes` floats per label: 1 at the label's column, 0 elsewhere. */
export function oneHot(labels: Uint8Array, classes = CLASSES): Float32Array {
  if (!(Number.isInteger(classes) && classes >= 1)) throw new ArgumentError(`oneHot: classes must be a positive integer, got ${classes}`);
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label >= classes) throw new ArgumentError(`oneHot: label ${i} is ${label}, expected a class in 0..${classes - 1}`);
    out[i * classes + label] = 1;
  }
  return out;
}

const FILES = {
  trainImages: ["train-images", "idx3-ubyte"],
  trainLabels: ["train-labels", "idx1-ubyte"],
  testImages: ["t10k-images", "idx3-ubyte"],
  testLabels: ["t10k-labels", "idx1-ubyte"],
} as const;

/** The names a dataset file goes by: `train-images-idx3-ubyte`, `train-images.idx3-ubyte`, each optionally `.gz`. */
function spellings(stem: string, kind: string): string[] {
  return [`${stem}-${kind}`, `${stem}-${kind}.gz`, `${stem}.${kind}`, `${stem}.${kind}.gz`];
}

/**
 * Node only: load MNIST-format IDX files from a directory (MNIST, Fashion-MNIST, KMNIST…): the four
 * files `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
 * `t10k-labels-idx1-ubyte`, each optionally gzipped (`.gz`) and with either `-idx` or `.idx`.
 */
export async function loadIdxDir(dir: string, options: IdxOptions = {}): Promise<{ train: Dataset; test: Dataset }> {
  const { readFile, readDir: readdir, joinPath: join } = platform;
  if (!readFile || !readdir || !join) {
    throw new SimdnetError("loadIdxDir reads files and needs Node; in a browser, fetch the files and pass their bytes to readIdx");
  }
  let entries: Set<string>;
  try {
    entries = new Set(await readdir(dir));
  } catch (cause) {
    throw new ArgumentError(`loadIdxDir: cannot read the directory ${dir}: ${(cause as NodeJS.ErrnoException).code ?? cause}`, { cause });
  }
  const load = async ([stem, kind]: readonly [string, string]): Promise<{ array: IdxArray; path: string }> => {
    const names = spellings(stem, kind);
    const name = names.find((n) => entries.has(n));
    if (name === undefined) {
      throw new ArgumentError(`loadIdxDir: ${stem}-${kind} is missing from ${dir} (looked for ${names.join(", ")})`);
    }
    const path = join(dir, name);
    const bytes = await readFile(path);
    try {
      return { array: await readIdx(bytes, options), path };
    } catch (error) {
      if (error instanceof FormatError) throw renamed(error, path);
      throw error;
    }
  };
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    load(FILES.trainImages), load(FILES.trainLabels), load(FILES.testImages), load(FILES.testLabels),
  ]);
  const pair = (images: { array: IdxArray; path: string }, labels: { array: IdxArray; path: string }): Dataset => {
    try {
      return imagesAndLabels(images.array, labels.array);
    } catch (error) {
      if (error instanceof FormatError) throw renamed(error, error.message.startsWith("images") ? images.path : labels.path);
      throw error;
    }
  };
  return { train: pair(trainImages, trainLabels), test: pair(testImages, testLabels) };
}

/** The same FormatError, its message prefixed with the file it is about. */
function renamed(error: FormatError, file: string): FormatError {
  const message = error.message.replace(/ \(at byte offset \d+\)$/, "").replace(/^IDX file: /, "");
  return new FormatError(`${file}: ${message}`, error.offset, { cause: error });
}
