// safetensors (Hugging Face): the weight format Python's `safetensors` and numpy read.
//
//   bytes 0–7     N, the header length, unsigned 64-bit little-endian
//   bytes 8…8+N   UTF-8 JSON: { "name": { "dtype": "F32", "shape": [...], "data_offsets": [begin, end] },
//                               ..., "__metadata__": { "key": "value", ... } }   (metadata optional)
//   then          the data section; each tensor's bytes are [begin, end) relative to its start,
//                 row-major, little-endian. Together the tensors cover the section exactly.
//
// The writer pads the header with spaces so that the data section starts at a multiple of 8, as the
// reference implementation does. Only F32 tensors, since simdnet's tensors are float32. The reader
// validates the header against the file's size before it allocates, and reports the byte offset of
// what is wrong. Bytes are copied, never converted through numbers, so every bit pattern (NaN
// payloads, -0, subnormals) survives a round trip.

import { ArgumentError, FormatError, ShapeError, formatShape } from "../runtime/errors.js";
import { byteOffsetOf, isJsonObject, parseStrictJson, preview } from "./json.js";

export interface SafetensorsInput {
  shape: readonly number[];
  data: Float32Array;
}

export interface SafetensorsTensor {
  dtype: "F32";
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** Largest header the reader accepts, as in the reference implementation. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = "__metadata__";
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkedSize(name: string, shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) {
    if (!(Number.isSafeInteger(d) && d >= 0)) {
      throw new ShapeError(`writeSafetensors: tensor "${name}" has shape ${formatShape(shape)}: dimensions must be non-negative integers`);
    }
    size *= d;
  }
  return size;
}

/** Copy little-endian float32 bytes between arrays, swapping on a big-endian host. */
function copyFloatBytes(from: Uint8Array, to: Uint8Array, toOffset: number): void {
  if (LITTLE_ENDIAN_HOST) {
    to.set(from, toOffset);
    return;
  }
  for (let i = 0; i < from.length; i += 4) {
    to[toOffset + i] = from[i + 3]!;
    to[toOffset + i + 1] = from[i + 2]!;
    to[toOffset + i + 2] = from[i + 1]!;
    to[toOffset + i + 3] = from[i]!;
  }
}

/**
 * Serialise float32 tensors (in the key order of `tensors`) and optional string metadata to a
 * safetensors file.
 */
export function writeSafetensors(tensors: Record<string, SafetensorsInput>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  const entries: { name: string; bytes: Uint8Array }[] = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    if (name === METADATA_KEY) throw new ArgumentError(`writeSafetensors: "${METADATA_KEY}" is reserved for metadata and cannot name a tensor`);
    if (!(tensor?.data instanceof Float32Array)) {
      throw new ArgumentError(`writeSafetensors: tensor "${name}" must have data as a Float32Array`);
    }
    const size = checkedSize(name, tensor.shape);
    if (size !== tensor.data.length) {
      throw new ShapeError(`writeSafetensors: tensor "${name}" has ${tensor.data.length} values but shape ${formatShape(tensor.shape)} holds ${size}`);
    }
    const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    put(header, name, { dtype: "F32", shape: [...tensor.shape], data_offsets: [offset, offset + bytes.length] });
    entries.push({ name, bytes });
    offset += bytes.length;
  }
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") throw new ArgumentError(`writeSafetensors: metadata "${key}" must be a string, got ${typeof value}`);
    }
    const copy: Record<string, string> = {};
    for (const [key, value] of Object.entries(metadata)) put(copy, key, value);
    header[METADATA_KEY] = copy;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength); // spaces: still valid JSON
  let at = 8 + headerLength;
  for (const { bytes } of entries) {
    copyFloatBytes(bytes, out, at);
    at += bytes.length;
  }
  return out;
}

/** obj[key] = value, also for a key such as "__proto__" that plain assignment would treat specially. */
function put<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export interface SafetensorsReadOptions {
  /** Largest header accepted, in bytes (default SAFETENSORS_MAX_HEADER_BYTES, the reference implementation's limit). */
  maxHeaderBytes?: number;
  /** Most tensors accepted (default SAFETENSORS_DEFAULT_MAX_TENSORS): bounds what a legal but huge header costs to parse. */
  maxTensors?: number;
}

/**
 * Default for `maxTensors`. A header entry costs about 1 KiB of JavaScript heap while it is
 * parsed and checked, so this bounds a hostile header at about 100 MB; a 100-layer GPT checkpoint
 * with AdamW moments has about 3,600 tensors.
 */
export const SAFETENSORS_DEFAULT_MAX_TENSORS = 100_000;

/**
 * The parser stops after VALUES_PER_TENSOR · maxTensors + METADATA_MAX_VALUES JSON values, before
 * building a huge header: an entry of rank r is 8 + r values, so this admits maxTensors entries up to
 * rank 8, plus metadata.
 */
const VALUES_PER_TENSOR = 16;
const METADATA_MAX_VALUES = 100_000;

/** Deepest JSON nesting a valid header needs is 3 (header → entry → shape); metadata values are strings. */
const HEADER_MAX_DEPTH = 8;

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value >= 0)) throw new ArgumentError(`readSafetensors: ${name} must be a non-negative integer, got ${value}`);
  return value;
}

/**
 * Parse a safetensors file holding F32 tensors. Data is copied out into aligned Float32Arrays; the
 * input is only read, and only within its own byteOffset/byteLength (a Node Buffer from the shared
 * pool or any view works). The whole header is checked (strict JSON: no duplicate keys at any level,
 * bounded nesting; every entry; the tensors tile the data section exactly) before anything sized by
 * it is allocated, so a rejected file costs about its own size.
 */
export function readSafetensors(bytes: Uint8Array, options: SafetensorsReadOptions = {}): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(`readSafetensors: expected the file as a Uint8Array (or Node Buffer), got ${bytes === null ? "null" : typeof bytes}`);
  }
  const maxHeaderBytes = checkLimit("maxHeaderBytes", options.maxHeaderBytes, SAFETENSORS_MAX_HEADER_BYTES);
  const maxTensors = checkLimit("maxTensors", options.maxTensors, SAFETENSORS_DEFAULT_MAX_TENSORS);
  if (bytes.length < 8) {
    throw new FormatError(`safetensors: file is ${bytes.length} bytes, too short for the 8-byte header length`, 0);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > maxHeaderBytes) {
    throw new FormatError(`safetensors: header length ${headerLength} is larger than the ${maxHeaderBytes}-byte limit (maxHeaderBytes)`, 0);
  }
  if (headerLength > bytes.length - 8) {
    throw new FormatError(`safetensors: header length ${headerLength} reaches past the end of the file (${bytes.length} bytes leave ${bytes.length - 8} after the length field)`, 0);
  }
  if (headerLength < 2) throw new FormatError(`safetensors: header length ${headerLength} is too short for a JSON object`, 0);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch (cause) {
    throw new FormatError(`safetensors: the header is not valid UTF-8`, 8, { cause });
  }
  const header = parseStrictJson(text, {
    what: "safetensors header", maxDepth: HEADER_MAX_DEPTH, byteBase: 8, maxValues: VALUES_PER_TENSOR * maxTensors + METADATA_MAX_VALUES,
  });
  if (!isJsonObject(header)) throw new FormatError(`safetensors: the header must be a JSON object, got ${Array.isArray(header) ? "an array" : preview(header)}`, 8);
  const names = Object.keys(header);
  if (names.length - (METADATA_KEY in header ? 1 : 0) > maxTensors) {
    throw new FormatError(`safetensors: the header lists ${names.length} tensors, more than maxTensors = ${maxTensors}`, 8);
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  // Where each top-level key sits, for error offsets: found only when an error is reported.
  const where = (name: string) => {
    const i = text.indexOf(JSON.stringify(name));
    return 8 + (i < 0 ? 0 : byteOffsetOf(text, i));
  };

  const metadata: Record<string, string> = {};
  if (header[METADATA_KEY] !== undefined) {
    const raw = header[METADATA_KEY];
    if (!isJsonObject(raw)) throw new FormatError(`safetensors: "${METADATA_KEY}" must be an object of strings`, where(METADATA_KEY));
    for (const [key, value] of Object.entries(raw)) {
      if (typeof value !== "string") {
        throw new FormatError(`safetensors: metadata ${preview(key)} must be a string, got ${preview(value)}`, where(METADATA_KEY));
      }
      put(metadata, key, value);
    }
  }

  interface Entry { name: string; shape: number[]; begin: number; end: number }
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    const label = `tensor ${preview(name)}`;
    if (!isJsonObject(info)) throw new FormatError(`safetensors: ${label}: expected an object with dtype, shape and data_offsets`, where(name));
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== "string") throw new FormatError(`safetensors: ${label}: missing or non-string dtype`, where(name));
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new FormatError(`safetensors: ${label}: shape must be a list of non-negative integers, got ${preview(shape)}`, where(name));
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) || (offsets[0] as number) > (offsets[1] as number)) {
      throw new FormatError(`safetensors: ${label}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${preview(offsets)}`, where(name));
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) {
      throw new FormatError(`safetensors: ${label}: data_offsets [${begin}, ${end}] reach past the data section (${dataLength} bytes, starting at byte ${dataStart})`, where(name));
    }
    if (dtype !== "F32") {
      throw new FormatError(`safetensors: ${label} has dtype ${dtype.length > 16 ? preview(dtype) : dtype}; only F32 is supported`, dataStart + begin);
    }
    // The product can pass 2^53 (and lose exactness) only when a dimension is huge; stop as soon as
    // it exceeds what the data section could hold.
    let count = 1;
    for (const d of shape as number[]) count = count * d > dataLength ? dataLength + 1 : count * d;
    if (shape.some((d) => d === 0)) count = 0;
    if (end - begin !== 4 * count) {
      throw new FormatError(`safetensors: ${label}: shape ${formatShape((shape as number[]).slice(0, 8))}${shape.length > 8 ? "…" : ""} of F32 needs ${count > dataLength ? `more than ${dataLength}` : 4 * count} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`, dataStart + begin);
    }
    entries.push({ name, shape: shape as number[], begin, end });
  }

  // The tensors must tile the data section: no overlap, no gap, nothing left over.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: string | undefined;
  for (const e of sorted) {
    if (e.begin < cursor) {
      throw new FormatError(`safetensors: tensor ${preview(e.name)} (bytes [${e.begin}, ${e.end}]) overlaps tensor ${preview(previous)} (which ends at ${cursor})`, dataStart + e.begin);
    }
    if (e.begin > cursor) {
      throw new FormatError(`safetensors: gap in the data section: bytes [${cursor}, ${e.begin}] belong to no tensor (before tensor ${preview(e.name)})`, dataStart + cursor);
    }
    cursor = e.end;
    previous = e.name;
  }
  if (cursor !== dataLength) {
    throw new FormatError(`safetensors: the data section has ${dataLength} bytes but the tensors cover only ${cursor}; bytes [${cursor}, ${dataLength}] belong to no tensor`, dataStart + cursor);
  }

  const tensors: Record<string, SafetensorsTensor> = {};
  for (const e of entries) {
    const data = new Float32Array((e.end - e.begin) / 4);
    copyFloatBytes(bytes.subarray(dataStart + e.begin, dataStart + e.end), new Uint8Array(data.buffer), 0);
    put(tensors, e.name, { dtype: "F32", shape: e.shape, data });
  }
  return { tensors, metadata };
}
