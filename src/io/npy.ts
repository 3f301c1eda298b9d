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
/** Deepest nesting of (), [] and {} the header parser follows (numpy's own headers nest 1–3 deep). */
const MAX_DEPTH = 32;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---- dtypes ----

type Kind = "f" | "i" | "u" | "b";
interface Dtype { kind: Kind; size: number; little: boolean }

const SUPPORTED: Record<string, number[]> = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] };
const KIND_NAMES: Record<string, string> = {
  c: "complex", U: "unicode string", S: "byte string", a: "byte string", V: "void / raw bytes", O: "Python object",
  M: "datetime64", m: "timedelta64", f: "float", i: "int", u: "uint", b: "bool",
};
const SUPPORTED_LIST = "float16/32/64 ('<f2' '<f4' '<f8'), int8–64 ('|i1' '<i2' '<i4' '<i8'), uint8–64 ('|u1' '<u2' '<u4' '<u8') and bool ('|b1'), little- ('<') or big-endian ('>')";

/** The dtype a descr string names, or the reason it is not supported. */
function parseDescr(descr: string): Dtype | string {
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  const kind = m?.[2] ?? /^[<>|=]?([a-zA-Z])/.exec(descr)?.[1];
  const what = kind !== undefined && KIND_NAMES[kind] !== undefined ? ` (${KIND_NAMES[kind]})` : "";
  if (m === null || SUPPORTED[m[2]!] === undefined || !SUPPORTED[m[2]!]!.includes(Number(m[3]))) {
    return `unsupported descr ${pyRepr(descr)}${what}: supported are ${SUPPORTED_LIST}`;
  }
  const [, order, k, digits] = m;
  const size = Number(digits);
  if (order === "=") return `descr ${pyRepr(descr)} has native byte order '=', which a file cannot have: expected '<' or '>'`;
  if (size > 1 && order !== "<" && order !== ">") {
    return `descr ${pyRepr(descr)} of ${size}-byte values must give the byte order, '<' (little-endian) or '>' (big-endian)`;
  }
  return { kind: k as Kind, size, little: order !== ">" };
}

/** float16 bits to a number (exactly representable in float32). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

/**
 * A 64-bit integer (high word `hi`, signed or not, and low word `lo`) rounded once, correctly, to
 * float32 (going through a float64 first would round twice). Values below 2^53 are exact as a double.
 */
function int64ToFloat32(hi: number, lo: number, signed: boolean, view: DataView, at: number, little: boolean): number {
  if (hi < 2 ** 21 && hi >= -(2 ** 21)) return hi * 2 ** 32 + lo;
  const v = signed ? view.getBigInt64(at, little) : view.getBigUint64(at, little);
  const negative = v < 0n;
  const m = negative ? -v : v;
  // Keep ~41 leading bits and fold the rest into a sticky bit (round to odd): exact as a double,
  // and rounding that to float32's 24 bits is then the same as rounding the integer directly.
  const shift = Math.max(0, Math.floor(Math.log2(Number(m))) - 40);
  const big = BigInt(shift);
  const kept = (m >> big) | ((m & ((1n << big) - 1n)) === 0n ? 0n : 1n);
  const x = Number(kept) * 2 ** shift;
  return negative ? -x : x;
}

/** `count` values of `dtype` starting at `start` in `bytes`, converted to float32, in file order. */
function decode(bytes: Uint8Array, start: number, count: number, dtype: Dtype): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, count * dtype.size);
  const le = dtype.little;
  const { kind, size } = dtype;
  if (kind === "f" && size === 4) {
    // Copy bytes, swapping if the file's order is not the host's: every bit pattern (NaN payloads,
    // -0, subnormals) comes through, which reading through getFloat32 would not promise.
    const raw = new Uint8Array(out.buffer);
    raw.set(bytes.subarray(start, start + 4 * count));
    if (le !== LITTLE_ENDIAN_HOST) {
      for (let i = 0; i < raw.length; i += 4) {
        let t = raw[i]!; raw[i] = raw[i + 3]!; raw[i + 3] = t;
        t = raw[i + 1]!; raw[i + 1] = raw[i + 2]!; raw[i + 2] = t;
      }
    }
    return out;
  }
  if (kind === "f" && size === 8) for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, le);
  else if (kind === "f") for (let i = 0; i < count; i++) out[i] = halfToNumber(view.getUint16(2 * i, le));
  else if (kind === "b") for (let i = 0; i < count; i++) out[i] = view.getUint8(i) === 0 ? 0 : 1;
  else if (kind === "i" && size === 1) for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
  else if (kind === "u" && size === 1) for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
  else if (kind === "i" && size === 2) for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, le);
  else if (kind === "u" && size === 2) for (let i = 0; i < count; i++) out[i] = view.getUint16(2 * i, le);
  else if (kind === "i" && size === 4) for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, le);
  else if (kind === "u" && size === 4) for (let i = 0; i < count; i++) out[i] = view.getUint32(4 * i, le);
  else {
    const signed = kind === "i";
    for (let i = 0; i < count; i++) {
      const at = 8 * i;
      const lo = view.getUint32(le ? at : at + 4, le);
      const hi = signed ? view.getInt32(le ? at + 4 : at, le) : view.getUint32(le ? at + 4 : at, le);
      out[i] = int64ToFloat32(hi, lo, signed, view, at, le);
    }
  }
  return out;
}

/** Column-major values of `shape` rearranged into row-major order. */
function fortranToRowMajor(src: Float32Array, shape: readonly number[]): Float32Array {
  const rank = shape.length;
  if (rank < 2 || src.length === 0) return src;
  const out = new Float32Array(src.length);
  const stride: number[] = []; // column-major strides
  let s = 1;
  for (let d = 0; d < rank; d++) {
    stride.push(s);
    s *= shape[d]!;
  }
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = src[from]!;
    // Advance the row-major multi-index (last axis fastest) and the column-major offset with it.
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) {
        from += stride[d]!;
        break;
      }
      index[d] = 0;
      from -= (shape[d]! - 1) * stride[d]!;
    }
  }
  return out;
}

// ---- the header: a strict parser for the Python literals numpy writes ----

type PyValue =
  | { kind: "str"; at: number; end: number; value: string }
  | { kind: "int"; at: number; end: number; value: bigint }
  | { kind: "float"; at: number; end: number }
  | { kind: "bool"; at: number; end: number; value: boolean }
  | { kind: "none"; at: number; end: number }
  | { kind: "tuple" | "list"; at: number; end: number; items: PyValue[] }
  | { kind: "dict"; at: number; end: number; entries: { key: PyValue; value: PyValue }[] };

const KIND_WORDS: Record<PyValue["kind"], string> = {
  str: "a string", int: "an integer", float: "a float", bool: "a bool", none: "None",
  tuple: "a tuple", list: "a list", dict: "a dict",
};

/** A Python repr of a string, for messages: 'abc'. */
function pyRepr(s: string): string {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;
const isWordByte = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e;

/**
 * Parses the header bytes into literals with the offset (into the file) of each. Accepts strings
 * without escapes, integers (with the 'L' suffix Python 2 wrote, in versions 1.0 and 2.0), floats
 * (only to name them in errors), True/False/None, tuples, lists and dicts, and whitespace between
 * tokens. Anything else is a FormatError at its offset.
 */
class HeaderParser {
  private i = 0;
  private readonly latin1 = new TextDecoder("latin1");
  private readonly utf8 = new TextDecoder("utf-8", { fatal: true });

  constructor(private readonly text: Uint8Array, private readonly base: number, private readonly utf8Header: boolean, private readonly allowLong: boolean) {}

  private fail(message: string, at: number): never {
    throw new FormatError(`npy: header: ${message}`, this.base + at);
  }

  private skipSpace(): void {
    while (this.i < this.text.length && isSpace(this.text[this.i]!)) this.i++;
  }

  private describe(at: number): string {
    if (at >= this.text.length) return "the end of the header";
    const c = this.text[at]!;
    return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, "0")}`;
  }

  parseAll(): PyValue {
    this.skipSpace();
    const value = this.value(0);
    this.skipSpace();
    if (this.i < this.text.length) this.fail(`unexpected ${this.describe(this.i)} after the end of the literal`, this.i);
    return value;
  }

  private value(depth: number): PyValue {
    const at = this.i;
    if (at >= this.text.length) this.fail("expected a value, found the end of the header", at);
    const c = this.text[at]!;
    if (c === 0x27 || c === 0x22) return this.string();
    if (c === 0x28 || c === 0x5b || c === 0x7b) {
      if (depth >= MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} levels deep`, at);
      return c === 0x7b ? this.dict(depth) : this.sequence(depth);
    }
    if (isWordByte(c) || c === 0x2d || c === 0x2b) return this.word();
    return this.fail(`expected a value, found ${this.describe(at)}`, at);
  }

  private string(): PyValue {
    const at = this.i;
    const quote = this.text[at]!;
    let j = at + 1;
    while (j < this.text.length && this.text[j] !== quote) {
      const c = this.text[j]!;
      if (c === 0x5c) this.fail("backslash escapes in strings are not supported", j);
      if (c === 0x0a || c === 0x0d) this.fail("unterminated string (a line break inside it)", at);
      j++;
    }
    if (j >= this.text.length) this.fail("unterminated string", at);
    const body = this.text.subarray(at + 1, j);
    let value: string;
    if (this.utf8Header) {
      try {
        value = this.utf8.decode(body);
      } catch {
        this.fail("a string is not valid UTF-8 (format 3.0 headers are UTF-8)", at);
      }
    } else {
      value = this.latin1.decode(body);
    }
    this.i = j + 1;
    return { kind: "str", at, end: this.i, value: value! };
  }

  /** A number, True/False/None, or an error naming the word. */
  private word(): PyValue {
    const at = this.i;
    let j = at;
    if (this.text[j] === 0x2d || this.text[j] === 0x2b) j++;
    const first = this.text[j];
    const numeric = first !== undefined && ((first >= 0x30 && first <= 0x39) || first === 0x2e);
    // Letters, digits, '_' and '.'; in a number also a sign straight after an exponent's 'e'.
    while (j < this.text.length) {
      const c = this.text[j]!;
      const prev = this.text[j - 1];
      if (isWordByte(c) || (numeric && (c === 0x2d || c === 0x2b) && (prev === 0x65 || prev === 0x45))) j++;
      else break;
    }
    this.i = j;
    const word = this.latin1.decode(this.text.subarray(at, j));
    if (word === "True" || word === "False") return { kind: "bool", at, end: j, value: word === "True" };
    if (word === "None") return { kind: "none", at, end: j };
    const int = /^([+-]?)(0|[1-9][0-9]*)(L?)$/.exec(word);
    if (int !== null && (int[3] === "" || this.allowLong)) {
      const magnitude = BigInt(int[2]!);
      return { kind: "int", at, end: j, value: int[1] === "-" ? -magnitude : magnitude };
    }
    if (/^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$/.test(word) || /^[+-]?(inf|nan)$/.test(word)) {
      return { kind: "float", at, end: j };
    }
    return this.fail(`unexpected ${/^[+-]?[0-9]/.test(word) ? "number" : "name"} ${word.length > 40 ? word.slice(0, 40) + "…" : word}`, at);
  }

  /** ( … ) or [ … ]. A parenthesised single value without a comma is that value, as in Python. */
  private sequence(depth: number): PyValue {
    const at = this.i;
    const open = this.text[at]!;
    const close = open === 0x28 ? 0x29 : 0x5d;
    const items: PyValue[] = [];
    let comma = false;
    this.i++;
    for (;;) {
      this.skipSpace();
      if (this.text[this.i] === close) break;
      if (items.length > 0 && !comma) this.fail(`expected ',' or '${String.fromCharCode(close)}', found ${this.describe(this.i)}`, this.i);
      items.push(this.value(depth + 1));
      this.skipSpace();
      comma = this.text[this.i] === 0x2c;
      if (comma) this.i++;
    }
    this.i++;
    if (open === 0x28 && items.length === 1 && !comma) return items[0]!;
    return { kind: open === 0x28 ? "tuple" : "list", at, end: this.i, items };
  }

  private dict(depth: number): PyValue {
    const at = this.i;
    const entries: { key: PyValue; value: PyValue }[] = [];
    let comma = false;
    this.i++;
    for (;;) {
      this.skipSpace();
      if (this.text[this.i] === 0x7d) break;
      if (entries.length > 0 && !comma) this.fail(`expected ',' or '}', found ${this.describe(this.i)}`, this.i);
      const key = this.value(depth + 1);
      this.skipSpace();
      if (this.text[this.i] !== 0x3a) this.fail(`expected ':' after a dict key, found ${this.describe(this.i)}`, this.i);
      this.i++;
      this.skipSpace();
      const value = this.value(depth + 1);
      entries.push({ key, value });
      this.skipSpace();
      comma = this.text[this.i] === 0x2c;
      if (comma) this.i++;
    }
    this.i++;
    return { kind: "dict", at, end: this.i, entries };
  }

  /** The source text of a value, shortened, for messages. */
  source(v: PyValue): string {
    const s = (this.utf8Header ? new TextDecoder() : this.latin1).decode(this.text.subarray(v.at, Math.min(v.end, v.at + 60)));
    return v.end - v.at > 60 ? `${s}…` : s;
  }
}

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
