// NumPy .npy files: the arrays people save with numpy.save and bring to simdnet, and take back.
//
//   bytes 0–5   magic "\x93NUMPY"
//   bytes 6–7   format version, major then minor: 1.0, 2.0 or 3.0
//   then        N, the header length: u16 little-endian (1.0, bytes 8–9) or u32 (2.0 and 3.0, bytes 8–11)
//   then N      the header, latin-1 (1.0, 2.0) or UTF-8 (3.0): a Python dict literal such as
//                 {'descr': '<f4', 'fortran_order': False, 'shape': (65, 3), }
//               padded with spaces and a final '\n' so that the data starts at a multiple of 64
//   then        prod(shape) × itemsize bytes of values, row-major (C) or column-major (Fortran order)
//
// The reader accepts float16/32/64, int8–64, uint8–64 and bool in either byte order and converts to
// float32 (rounded to nearest; integers above 2^24 in magnitude, and int64/uint64 in general, may not
// be exactly representable and are rounded, correctly, to the nearest float32, as numpy's
// astype(float32) does). Fortran-order data is transposed to row-major. The file is untrusted: the
// header is parsed by a small strict parser for the literal subset numpy writes (no eval) and checked
// against the bytes actually present before anything sized from it is allocated; every problem is a
// FormatError naming its byte offset. The writer produces what numpy.save writes for a C-contiguous
// float32 array, byte for byte. Only web APIs (DataView, TextDecoder): runs unchanged in browsers.

import type { Backend } from "../runtime/backend.js";
import { tensorOn } from "../runtime/creation.js";
import { getBackend } from "../runtime/engine.js";
import { ArgumentError, FormatError, ShapeError, formatShape } from "../runtime/errors.js";
import { Tensor } from "../runtime/tensor.js";
import { decode, fortranToRowMajor, LITTLE_ENDIAN_HOST, parseDescr, SUPPORTED_LIST, type Dtype } from "./npy-dtype.js";
import { HeaderParser, KIND_WORDS, pyRepr, type PyValue } from "./npy-literal.js";

/** An array read from a .npy file. `data` is always row-major float32, whatever the file held. */
export interface NpyArray {
  shape: number[];
  /** The file's dtype descriptor as written, e.g. "<f4", ">i8", "|b1". */
  dtype: string;
  /** Whether the file stored the values in Fortran (column-major) order; `data` is row-major either way. */
  fortranOrder: boolean;
  data: Float32Array;
}

/** What writeNpy takes besides (data, shape): a Tensor, or anything with a shape and Float32Array data (e.g. an NpyArray). */
export interface NpyInput {
  shape: readonly number[];
  data: Float32Array;
}

export interface NpyReadOptions {
  /**
   * Largest float32 result to produce, in bytes (elements × 4). Default 2^32, what a Wasm memory
   * holds. Checked against the header's shape before anything is allocated.
   */
  maxBytes?: number;
}

export interface NpyTensorOptions extends NpyReadOptions {
  /** Where the tensor is allocated. Default: the current backend. */
  backend?: Backend;
}

export const NPY_DEFAULT_MAX_BYTES = 2 ** 32;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
/** numpy leaves room after the header for the growing axis to reach this many digits. */
const GROWTH_AXIS_MAX_DIGITS = 21;

// ---- reading ----

interface NpyHeader {
  dtypeText: string;
  dtype: Dtype;
  fortranOrder: boolean;
  shape: number[];
  count: number;
  dataStart: number;
}

function parseHeader(bytes: Uint8Array, maxBytes: number): NpyHeader {
  for (let i = 0; i < MAGIC.length; i++) {
    if (i >= bytes.length) {
      throw new FormatError(`npy: truncated: the file has ${bytes.length} bytes, too short for the 6-byte magic "\\x93NUMPY"`, bytes.length);
    }
    if (bytes[i] !== MAGIC[i]) {
      const got = bytes[i]!;
      const zip = bytes[0] === 0x50 && bytes[1] === 0x4b ? " (this looks like a zip archive, e.g. an .npz from numpy.savez: unzip it and read the .npy files inside)" : "";
      throw new FormatError(`npy: bad magic: byte ${i} must be 0x${MAGIC[i]!.toString(16)} (the file must start with "\\x93NUMPY"), got 0x${got.toString(16).padStart(2, "0")}${zip}`, i);
    }
  }
  if (bytes.length < 8) {
    throw new FormatError(`npy: truncated: the file has ${bytes.length} bytes and ends inside the format version (bytes 6–7)`, bytes.length);
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3) {
    throw new FormatError(`npy: unsupported format version ${major}.${minor}: expected 1.0, 2.0 or 3.0`, 6);
  }
  if (minor !== 0) {
    throw new FormatError(`npy: unsupported format version ${major}.${minor}: expected ${major}.0`, 7);
  }
  const lengthBytes = major === 1 ? 2 : 4;
  const start = 8 + lengthBytes;
  if (bytes.length < start) {
    throw new FormatError(`npy: truncated: the file has ${bytes.length} bytes and ends inside the ${lengthBytes}-byte header length (bytes 8–${start - 1})`, bytes.length);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > bytes.length - start) {
    throw new FormatError(`npy: header length ${headerLength} reaches past the end of the file (${bytes.length} bytes leave ${bytes.length - start} after the length field)`, 8);
  }
  const parser = new HeaderParser(bytes.subarray(start, start + headerLength), start, major === 3, major < 3);
  const dict = parser.parseAll();
  if (dict.kind !== "dict") {
    throw new FormatError(`npy: header: expected a dict with keys 'descr', 'fortran_order' and 'shape', got ${KIND_WORDS[dict.kind]}: ${parser.source(dict)}`, start + dict.at);
  }
  const found: Partial<Record<"descr" | "fortran_order" | "shape", PyValue>> = {};
  for (const { key, value } of dict.entries) {
    if (key.kind !== "str") throw new FormatError(`npy: header: dict keys must be strings, got ${KIND_WORDS[key.kind]}: ${parser.source(key)}`, start + key.at);
    const name = key.value;
    if (name !== "descr" && name !== "fortran_order" && name !== "shape") {
      throw new FormatError(`npy: header: unexpected key ${pyRepr(name)}: the keys must be exactly 'descr', 'fortran_order' and 'shape'`, start + key.at);
    }
    if (found[name] !== undefined) throw new FormatError(`npy: header: the key ${pyRepr(name)} appears twice`, start + key.at);
    found[name] = value;
  }
  for (const name of ["descr", "fortran_order", "shape"] as const) {
    if (found[name] === undefined) {
      throw new FormatError(`npy: header: the key '${name}' is missing: the keys must be exactly 'descr', 'fortran_order' and 'shape'`, start + dict.at);
    }
  }

  const descr = found.descr!;
  if (descr.kind === "list") {
    throw new FormatError(`npy: unsupported descr ${parser.source(descr)}: structured dtypes (a list of fields) are not supported, only plain numeric ones: ${SUPPORTED_LIST}`, start + descr.at);
  }
  if (descr.kind !== "str") throw new FormatError(`npy: header: 'descr' must be a string such as '<f4', got ${KIND_WORDS[descr.kind]}: ${parser.source(descr)}`, start + descr.at);
  const dtype = parseDescr(descr.value);
  if (typeof dtype === "string") throw new FormatError(`npy: ${dtype}`, start + descr.at);

  const fortran = found.fortran_order!;
  if (fortran.kind !== "bool") {
    throw new FormatError(`npy: header: 'fortran_order' must be True or False, got ${KIND_WORDS[fortran.kind]}: ${parser.source(fortran)}`, start + fortran.at);
  }

  const shapeValue = found.shape!;
  if (shapeValue.kind !== "tuple") {
    throw new FormatError(`npy: header: 'shape' must be a tuple of integers, got ${KIND_WORDS[shapeValue.kind]}: ${parser.source(shapeValue)}`, start + shapeValue.at);
  }
  const shape: number[] = [];
  let count = 1;
  for (const [axis, entry] of shapeValue.items.entries()) {
    const at = start + entry.at;
    if (entry.kind !== "int") {
      throw new FormatError(`npy: header: shape entry ${axis} is ${KIND_WORDS[entry.kind]} (${parser.source(entry)}), expected a non-negative integer`, at);
    }
    if (entry.value < 0n) throw new FormatError(`npy: header: shape entry ${axis} is ${entry.value}; dimensions must be non-negative`, at);
    if (entry.value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new FormatError(`npy: header: shape entry ${axis} is ${entry.value}, larger than 2^53 - 1`, at);
    }
    const d = Number(entry.value);
    shape.push(d);
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) {
      throw new FormatError(`npy: header: shape ${formatShape(shape)}${axis + 1 < shapeValue.items.length ? "…" : ""} holds more than 2^53 elements`, at);
    }
  }
  // A zero-size dimension anywhere makes the product 0: the checks above stop at 2^53 already.
  if (count * 4 > maxBytes) {
    throw new FormatError(`npy: shape ${formatShape(shape)} holds ${count} elements, ${count * 4} bytes as float32, more than maxBytes = ${maxBytes}`, start + shapeValue.at);
  }
  return { dtypeText: descr.value, dtype, fortranOrder: fortran.value, shape, count, dataStart: start + headerLength };
}

function asBytes(bytes: Uint8Array | ArrayBuffer, op: string): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  throw new ArgumentError(`${op}: expected a Uint8Array or an ArrayBuffer, got ${bytes === null ? "null" : typeof bytes}`);
}

/**
 * Read a .npy file (format 1.0, 2.0 or 3.0; float16/32/64, int8–64, uint8–64 or bool, either byte
 * order, C or Fortran order). Values are converted to float32 and returned row-major in a fresh
 * array. Integers above 2^24 in magnitude (int32, uint32, int64, uint64) and float64 values are
 * rounded to the nearest float32, so large integers lose precision. Throws FormatError, naming the
 * byte offset, for anything malformed or unsupported.
 */
export function readNpy(bytes: Uint8Array | ArrayBuffer, options: NpyReadOptions = {}): NpyArray {
  const file = asBytes(bytes, "readNpy");
  const maxBytes = options.maxBytes ?? NPY_DEFAULT_MAX_BYTES;
  const header = parseHeader(file, maxBytes);
  const { dtype, count, dataStart, shape } = header;
  const need = count * dtype.size;
  const have = file.length - dataStart;
  const what = `shape ${formatShape(shape)} of ${pyRepr(header.dtypeText)} needs ${need} data bytes after the header (which ends at byte ${dataStart})`;
  if (have < need) throw new FormatError(`npy: data too short: ${what}, the file has ${have}`, file.length);
  if (have > need) throw new FormatError(`npy: data too long: ${what}, the file has ${have}: ${have - need} bytes left over`, dataStart + need);
  let data = decode(file, dataStart, count, dtype);
  if (header.fortranOrder) data = fortranToRowMajor(data, shape);
  return { shape, dtype: header.dtypeText, fortranOrder: header.fortranOrder, data };
}

/** readNpy, then the values as a float32 Tensor of the file's shape (on `options.backend`, or the current backend). */
export function readNpyTensor(bytes: Uint8Array | ArrayBuffer, options: NpyTensorOptions = {}): Tensor {
  const { shape, data } = readNpy(bytes, options);
  return tensorOn(options.backend ?? getBackend(), data, shape);
}

// ---- writing ----

/** The Python repr of a shape tuple: (), (3,), (65, 3). */
function shapeRepr(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/**
 * Serialise float32 values of `shape` (row-major) as a .npy file, exactly as numpy.save writes a
 * C-contiguous float32 array: format 1.0 (2.0 if the header outgrows 65535 bytes), descr '<f4',
 * fortran_order False, the header padded with spaces and a final '\n' so the data starts at a
 * multiple of 64 bytes. Also takes a Tensor, or `{ shape, data }` (such as an NpyArray).
 */
export function writeNpy(data: Float32Array, shape: readonly number[]): Uint8Array;
export function writeNpy(array: Tensor | NpyInput): Uint8Array;
export function writeNpy(input: Float32Array | Tensor | NpyInput, shapeArg?: readonly number[]): Uint8Array {
  let data: Float32Array;
  let shape: readonly number[];
  if (input instanceof Tensor) {
    data = input.toFloat32Array();
    shape = input.shape;
  } else if (input instanceof Float32Array) {
    if (shapeArg === undefined) throw new ArgumentError("writeNpy: a Float32Array needs a shape: writeNpy(data, shape)");
    data = input;
    shape = shapeArg;
  } else if (typeof input === "object" && input !== null && input.data instanceof Float32Array) {
    data = input.data;
    shape = input.shape;
  } else {
    throw new ArgumentError("writeNpy: expected a Float32Array and a shape, a Tensor, or { shape, data: Float32Array }");
  }
  if (!Array.isArray(shape)) throw new ShapeError(`writeNpy: shape must be an array of non-negative integers, got ${String(shape)}`);
  let size = 1;
  for (const d of shape) {
    if (!(Number.isSafeInteger(d) && d >= 0)) {
      throw new ShapeError(`writeNpy: shape ${formatShape(shape)}: dimensions must be non-negative integers`);
    }
    size *= d;
  }
  if (size !== data.length) {
    throw new ShapeError(`writeNpy: ${data.length} values but shape ${formatShape(shape)} holds ${size}`);
  }

  // numpy's _write_array_header: sorted keys, repr'd values, room for the first axis to grow.
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  if (shape.length > 0) dict += " ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  // numpy's _wrap_header: header + spaces + '\n' so that magic, version, length and header end at a
  // multiple of 64 (a whole extra 64 when already aligned, as numpy does).
  const text = new TextEncoder().encode(dict); // ASCII only
  const hlen = text.length + 1;
  let lengthBytes = 2;
  let padlen = ALIGN - ((6 + 2 + lengthBytes + hlen) % ALIGN);
  if (hlen + padlen > 0xffff) {
    lengthBytes = 4;
    padlen = ALIGN - ((6 + 2 + lengthBytes + hlen) % ALIGN);
  }
  const headerLength = hlen + padlen;
  const dataStart = 8 + lengthBytes + headerLength;
  const out = new Uint8Array(dataStart + 4 * size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = lengthBytes === 2 ? 1 : 2;
  out[7] = 0;
  if (lengthBytes === 2) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  out.set(text, 8 + lengthBytes);
  out.fill(0x20, 8 + lengthBytes + text.length, dataStart - 1);
  out[dataStart - 1] = 0x0a;
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN_HOST) {
    out.set(raw, dataStart);
  } else {
    for (let i = 0; i < raw.length; i += 4) {
      out[dataStart + i] = raw[i + 3]!;
      out[dataStart + i + 1] = raw[i + 2]!;
      out[dataStart + i + 2] = raw[i + 1]!;
      out[dataStart + i + 3] = raw[i]!;
    }
  }
  return out;
}
