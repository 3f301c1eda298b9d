// Independent readers for the fuzzer: when a loader accepts a mutant, these decide from the raw bytes
// (without simdnet's parsers) whether the file is valid and what values it holds. Each returns a
// reason when the loader's result is wrong, or undefined when it is confirmed.

import { gunzipSync } from "node:zlib";

// ---- JSON: duplicate keys and depth, by recursive descent (accepted files are shallow) ----

/** Undefined if `text` is one JSON value without duplicate keys and at most `maxDepth` deep; else the reason. */
export function jsonProblem(text: string, maxDepth: number): string | undefined {
  let i = 0;
  const ws = () => { while (i < text.length && " \t\r\n".includes(text[i]!)) i++; };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (depth: number): void => {
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      if (depth >= maxDepth) throw new Error(`deeper than ${maxDepth}`);
      i++;
      ws();
      const keys = new Set<string>();
      const close = c === "{" ? "}" : "]";
      if (text[i] === close) { i++; return; }
      for (;;) {
        ws();
        if (c === "{") {
          const k = str();
          if (keys.has(k)) throw new Error(`duplicate key ${JSON.stringify(k).slice(0, 40)}`);
          keys.add(k);
          ws();
          if (text[i++] !== ":") throw new Error("expected :");
        }
        value(depth + 1);
        ws();
        const sep = text[i++];
        if (sep === close) return;
        if (sep !== ",") throw new Error("expected , or close");
      }
    }
    const m = /^(?:"(?:[^"\\\u0000-\u001f]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 200_000));
    if (!m) throw new Error(`bad value at ${i}`);
    i += m[0].length;
  };
  try {
    value(0);
    ws();
    if (i !== text.length) return "trailing text";
    JSON.parse(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): string | undefined => {
  if (a.length !== b.length) return `${what}: ${a.length} values, expected ${b.length}`;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return `${what}: value ${i} is ${a[i]}, expected ${b[i]}`;
  return undefined;
};

/** Float32 values with their exact bits from little-endian bytes. */
function f32le(bytes: Uint8Array, begin: number, end: number): Float32Array {
  const out = new Float32Array((end - begin) / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset + begin, end - begin);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < out.length; i++) u[i] = view.getUint32(4 * i, true);
  return out;
}

const sameFloatBits = (a: Float32Array, b: Float32Array, what: string): string | undefined => {
  if (a.length !== b.length) return `${what}: ${a.length} values, expected ${b.length}`;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return `${what}: bits of value ${i} differ`;
  return undefined;
};

// ---- IDX ----

const IDX_TYPES: Record<number, [string, number]> = { 8: ["uint8", 1], 9: ["int8", 1], 11: ["int16", 2], 12: ["int32", 4], 13: ["float32", 4], 14: ["float64", 8] };

export function checkIdx(bytes: Uint8Array, result: { dtype: string; shape: number[]; data: ArrayLike<number> }, gzipped: boolean): string | undefined {
  let raw = bytes;
  if (gzipped) {
    try {
      raw = new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      return `accepted, but zlib cannot gunzip it: ${(e as Error).message}`;
    }
  }
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) return "accepted a bad magic";
  const type = IDX_TYPES[raw[2]!];
  if (!type) return "accepted an unknown type code";
  const rank = raw[3]!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.length < 4 + 4 * rank) return "accepted a truncated header";
  const shape = Array.from({ length: rank }, (_, d) => view.getUint32(4 + 4 * d, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * rank;
  if (raw.length !== start + count * type[1]) return `accepted ${raw.length} bytes for shape [${shape}] of ${type[0]}`;
  if (result.dtype !== type[0] || result.shape.join() !== shape.join()) return `read ${result.dtype} [${result.shape}], the file holds ${type[0]} [${shape}]`;
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = start + i * type[1];
    values.push(type[0] === "uint8" ? view.getUint8(at) : type[0] === "int8" ? view.getInt8(at) : type[0] === "int16" ? view.getInt16(at, false)
      : type[0] === "int32" ? view.getInt32(at, false) : type[0] === "float32" ? view.getFloat32(at, false) : view.getFloat64(at, false));
  }
  if (type[0] === "float32" || type[0] === "float64") {
    // Compare bits: NaN payloads must survive too.
    const size = type[1];
    const got = new Uint8Array(result.data instanceof Float32Array || result.data instanceof Float64Array ? result.data.buffer.slice(result.data.byteOffset, result.data.byteOffset + count * size) : new ArrayBuffer(0));
    for (let i = 0; i < count; i++) {
      for (let b = 0; b < size; b++) if (got[i * size + b] !== raw[start + i * size + size - 1 - b]) return `value ${i}: bits differ from the file`;
    }
    return undefined;
  }
  return sameBits(result.data, values, "IDX data");
}

// ---- safetensors ----

export interface IndependentSafetensors {
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  metadata: Record<string, string>;
}

/** Read a safetensors file of F32 tensors independently, or say why it is invalid. */
export function readSafetensorsIndependently(bytes: Uint8Array): IndependentSafetensors | string {
  if (bytes.length < 8) return "shorter than 8 bytes";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > bytes.length - 8) return "header past the end";
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return "header is not UTF-8";
  }
  const problem = jsonProblem(text, 3);
  if (problem) return `header JSON: ${problem}`;
  const header = JSON.parse(text) as Record<string, unknown>;
  if (typeof header !== "object" || header === null || Array.isArray(header)) return "header is not an object";
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const spans: [number, number][] = [];
  const dataStart = 8 + n;
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return "metadata is not an object";
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== "string") return "metadata value is not a string";
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true }); // k may be "__proto__"
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== "object" || e === null || e.dtype !== "F32") return `tensor ${name}: not F32`;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return `tensor ${name}: bad shape`;
    const o = e.data_offsets;
    if (!Array.isArray(o) || o.length !== 2 || !o.every((d) => Number.isSafeInteger(d) && d >= 0) || o[0] > o[1]) return `tensor ${name}: bad offsets`;
    const count = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (o[1] - o[0] !== 4 * count) return `tensor ${name}: size does not match the shape`;
    if (dataStart + o[1] > bytes.length) return `tensor ${name}: past the end`;
    spans.push([o[0], o[1]]);
    tensors.set(name, { shape: e.shape as number[], data: f32le(bytes, dataStart + o[0], dataStart + o[1]) });
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cursor = 0;
  for (const [b, e] of spans) {
    if (b !== cursor) return "tensors do not tile the data section";
    cursor = e;
  }
  if (cursor !== bytes.length - dataStart) return "bytes left over after the tensors";
  return { tensors, metadata };
}

export function checkSafetensors(bytes: Uint8Array, result: { tensors: Record<string, { shape: number[]; data: Float32Array }>; metadata: Record<string, string> }): string | undefined {
  const ref = readSafetensorsIndependently(bytes);
  if (typeof ref === "string") return `accepted an invalid file: ${ref}`;
  const names = Object.keys(result.tensors);
  if (names.length !== ref.tensors.size) return `read ${names.length} tensors, the file has ${ref.tensors.size}`;
  for (const name of names) {
    const want = ref.tensors.get(name);
    if (!want) return `read a tensor ${name} the file does not have`;
    const got = result.tensors[name]!;
    if (got.shape.join() !== want.shape.join()) return `tensor ${name}: shape [${got.shape}], the file says [${want.shape}]`;
    const bad = sameFloatBits(got.data, want.data, `tensor ${name}`);
    if (bad) return bad;
  }
  if (JSON.stringify(Object.entries(result.metadata)) !== JSON.stringify(Object.entries(ref.metadata))) return "metadata differs";
  return undefined;
}

// ---- .npy ----

const NPY_KINDS: Record<string, (v: DataView, at: number, le: boolean) => number> = {
  f4: (v, at, le) => v.getFloat32(at, le), f8: (v, at, le) => v.getFloat64(at, le),
  i1: (v, at) => v.getInt8(at), u1: (v, at) => v.getUint8(at), b1: (v, at) => (v.getUint8(at) === 0 ? 0 : 1),
  i2: (v, at, le) => v.getInt16(at, le), u2: (v, at, le) => v.getUint16(at, le),
  i4: (v, at, le) => v.getInt32(at, le), u4: (v, at, le) => v.getUint32(at, le),
  i8: (v, at, le) => Number(v.getBigInt64(at, le)), u8: (v, at, le) => Number(v.getBigUint64(at, le)),
  f2: (v, at, le) => {
    const h = v.getUint16(at, le);
    const e = (h >> 10) & 31;
    const m = h & 1023;
    const s = h & 0x8000 ? -1 : 1;
    return e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  },
};

export function checkNpy(bytes: Uint8Array, result: { shape: number[]; data: Float32Array }): string | undefined {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) return "accepted a bad magic";
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  const len = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  let dict = new TextDecoder().decode(bytes.subarray(start, start + len));
  // In Python, parentheses around a single parenthesised value are grouping, not a tuple: ((2, 3)) is (2, 3).
  for (let prev = ""; prev !== dict;) {
    prev = dict;
    dict = dict.replace(/\(\s*(\([^()]*\))\s*\)/, "$1");
  }
  // Python literal → JSON: quotes, booleans, tuples.
  const json = dict.replace(/'/g, '"').replace(/\bTrue\b/g, "true").replace(/\bFalse\b/g, "false").replace(/\(/g, "[").replace(/\)/g, "]").replace(/,\s*([\]}])/g, "$1").replace(/L\b/g, "");
  let h: { descr?: unknown; fortran_order?: unknown; shape?: unknown };
  try {
    h = JSON.parse(json.trim());
  } catch {
    return `accepted a header the oracle cannot read: ${dict.slice(0, 80)}`;
  }
  if (typeof h.descr !== "string" || typeof h.fortran_order !== "boolean" || !Array.isArray(h.shape)) return "accepted a header without descr/fortran_order/shape";
  const m = /^([<>|=])([fiub])(\d)$/.exec(h.descr);
  if (!m) return `accepted descr ${h.descr}`;
  const kind = NPY_KINDS[m[2]! + m[3]!];
  if (!kind) return `accepted descr ${h.descr}`;
  const size = Number(m[3]);
  const le = m[1] !== ">";
  const shape = h.shape as number[];
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - start - len !== count * size) return "accepted a data length that does not match the shape";
  if (result.shape.join() !== shape.join()) return `read shape [${result.shape}], the file says [${shape}]`;
  // float32 values are moved as bits: a signalling NaN read through a JS number comes back quiet.
  const values = new Float32Array(count);
  const bits = new Uint32Array(values.buffer);
  const isF4 = m[2] === "f" && size === 4;
  for (let i = 0; i < count; i++) {
    if (isF4) bits[i] = view.getUint32(start + len + i * size, le);
    else values[i] = kind(view, start + len + i * size, le);
  }
  let rowMajor = values;
  if (h.fortran_order && shape.length > 1) {
    rowMajor = new Float32Array(count);
    const rowBits = new Uint32Array(rowMajor.buffer);
    const strides = shape.map((_, d) => shape.slice(0, d).reduce((a, b) => a * b, 1));
    for (let i = 0; i < count; i++) {
      let rest = i;
      let from = 0;
      for (let d = shape.length - 1; d >= 0; d--) {
        from += (rest % shape[d]!) * strides[d]!;
        rest = Math.floor(rest / shape[d]!);
      }
      rowBits[i] = bits[from]!;
    }
  }
  // Float16/64 conversions may differ in NaN payload; compare values (NaN equal to NaN).
  return m[2] === "f" && size === 4 ? sameFloatBits(result.data, rowMajor, "npy data") : sameBits(result.data, rowMajor, "npy data");
}
