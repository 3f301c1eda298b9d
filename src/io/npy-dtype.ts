// The element types a .npy file may hold (its 'descr') and their conversion to row-major float32.

import { pyRepr } from "./npy-literal.js";

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---- dtypes ----

type Kind = "f" | "i" | "u" | "b";
export interface Dtype { kind: Kind; size: number; little: boolean }

const SUPPORTED: Record<string, number[]> = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] };
const KIND_NAMES: Record<string, string> = {
  c: "complex", U: "unicode string", S: "byte string", a: "byte string", V: "void / raw bytes", O: "Python object",
  M: "datetime64", m: "timedelta64", f: "float", i: "int", u: "uint", b: "bool",
};
export const SUPPORTED_LIST = "float16/32/64 ('<f2' '<f4' '<f8'), int8–64 ('|i1' '<i2' '<i4' '<i8'), uint8–64 ('|u1' '<u2' '<u4' '<u8') and bool ('|b1'), little- ('<') or big-endian ('>')";

/** The dtype a descr string names, or the reason it is not supported. */
export function parseDescr(descr: string): Dtype | string {
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
export function decode(bytes: Uint8Array, start: number, count: number, dtype: Dtype): Float32Array {
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
export function fortranToRowMajor(src: Float32Array, shape: readonly number[]): Float32Array {
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
