import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArgumentError, FormatError, ShapeError, add, createBackend, getBackend, init, memory, tensor,
} from "../src/index.js";
import { readNpy, readNpyTensor, writeNpy } from "../src/io/index.js";
import { randomFloats } from "./helpers/compare.js";
import { formatError } from "./helpers/format-error.js";

// ---- helpers, independent of the reader and writer ----

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
const fromBits = (words: number[]) => new Float32Array(new Uint32Array(words).buffer);
const prod = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

const latin1 = (s: string) => Uint8Array.from(s, (c) => {
  const code = c.charCodeAt(0);
  if (code > 255) throw new Error(`not latin-1: ${c}`);
  return code;
});

const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

/** A Python tuple literal: (), (3,), (2, 3). */
const tuple = (shape: readonly (number | string)[]) => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`);

/** The header numpy writes (without its padding). */
const dict = (descr: string, shape: readonly (number | string)[], fortran = false) =>
  `{'descr': '${descr}', 'fortran_order': ${fortran ? "True" : "False"}, 'shape': ${tuple(shape)}, }`;

/**
 * A .npy file around a header text we choose: magic, version, u16 (1.0) or u32 (2.0, 3.0) length,
 * the header (latin-1, or UTF-8 for 3.0) padded with spaces and '\n' to 64 unless `pad` is false.
 */
function npyFile(header: string, data: Uint8Array | number = 0, opts: { version?: number; pad?: boolean } = {}): Uint8Array {
  const major = opts.version ?? 1;
  const text = major === 3 ? new TextEncoder().encode(header) : latin1(header);
  const prefix = major === 1 ? 10 : 12;
  const n = opts.pad === false ? text.length : Math.ceil((prefix + text.length + 1) / 64) * 64 - prefix;
  const head = new Uint8Array(prefix + n).fill(0x20, prefix);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const v = new DataView(head.buffer);
  if (major === 1) v.setUint16(8, n, true);
  else v.setUint32(8, n, true);
  head.set(text, prefix);
  if (opts.pad !== false) head[prefix + n - 1] = 0x0a;
  return cat(head, typeof data === "number" ? new Uint8Array(data) : data);
}

/** Where the data starts in a padded file of this header. */
const dataStartOf = (header: string, version = 1) => {
  const prefix = version === 1 ? 10 : 12;
  return Math.ceil((prefix + new TextEncoder().encode(header).length + 1) / 64) * 64;
};

type Val = number | bigint;

/** Raw bytes of values in a descr. float16 and float32 are given as bit patterns. */
function encode(descr: string, values: readonly Val[]): Uint8Array {
  const le = descr[0] !== ">";
  const kind = descr[1]!;
  const size = Number(descr.slice(2));
  const out = new Uint8Array(values.length * size);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    const at = i * size;
    switch (`${kind}${size}`) {
      case "f2": v.setUint16(at, x as number, le); break;
      case "f4": v.setUint32(at, x as number, le); break;
      case "f8": v.setFloat64(at, x as number, le); break;
      case "i1": v.setInt8(at, x as number); break;
      case "u1": case "b1": v.setUint8(at, x as number); break;
      case "i2": v.setInt16(at, x as number, le); break;
      case "u2": v.setUint16(at, x as number, le); break;
      case "i4": v.setInt32(at, x as number, le); break;
      case "u4": v.setUint32(at, x as number, le); break;
      case "i8": v.setBigInt64(at, x as bigint, le); break;
      case "u8": v.setBigUint64(at, x as bigint, le); break;
      default: throw new Error(`encode: ${descr}`);
    }
  });
  return out;
}

/** An integer rounded once to the nearest float32 (ties to even), by exact integer arithmetic. */
function bigToF32(v: bigint): number {
  const negative = v < 0n;
  const m = negative ? -v : v;
  const length = m.toString(2).length;
  if (length <= 24) return Number(v);
  const drop = BigInt(length - 24);
  let top = m >> drop;
  const rest = m - (top << drop);
  const half = 1n << (drop - 1n);
  if (rest > half || (rest === half && (top & 1n) === 1n)) top += 1n;
  const x = Number(top) * 2 ** Number(drop);
  return negative ? -x : x;
}

// Values whose float32 bits must survive: NaN payloads, ±0, ±Inf, subnormals, extremes.
const SPECIAL_BITS = [
  0x7fc00000, 0x7fc01234, 0xffc00001, 0x7f800001, 0xff812345, 0x00000000, 0x80000000, 0x7f800000, 0xff800000,
  0x00000001, 0x807fffff, 0x00400000, 0x7f7fffff, 0xff7fffff, 0x00800000, 0x3f800000, 0xbeaaaaab,
];
const SPECIAL = fromBits(SPECIAL_BITS);

/** float16 bit patterns and their values, worked out by hand. */
const HALF: [number, number][] = [
  [0x0000, 0], [0x8000, -0], [0x3c00, 1], [0xc000, -2], [0x7bff, 65504], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24],
  [0x0400, 2 ** -14], [0x7c00, Infinity], [0xfc00, -Infinity], [0x7e00, NaN], [0x3555, 0.333251953125], [0xb800, -0.5],
];

// Every supported kind with the values to store and what they read back as (float32).
const TRICKY = 2n ** 60n + 2n ** 36n + 1n; // through a float64 first this would round down to 2^60
const KINDS: { kind: string; size: number; values: Val[]; expected: number[] }[] = [
  { kind: "f", size: 2, values: HALF.map(([b]) => b), expected: HALF.map(([, x]) => x) },
  { kind: "f", size: 4, values: SPECIAL_BITS, expected: Array.from(SPECIAL) },
  {
    kind: "f", size: 8,
    values: [0, -0, 0.1, -1e300, 5e-324, Math.PI, Infinity, -Infinity, NaN, 3.4028235677973366e38, 1 + 2 ** -24, 1 + 2 ** -24 + 2 ** -50],
    expected: [0, -0, Math.fround(0.1), -Infinity, 0, Math.fround(Math.PI), Infinity, -Infinity, NaN, Infinity, 1, 1 + 2 ** -23],
  },
  { kind: "i", size: 1, values: [-128, -1, 0, 1, 127], expected: [-128, -1, 0, 1, 127] },
  { kind: "u", size: 1, values: [0, 1, 128, 255], expected: [0, 1, 128, 255] },
  { kind: "b", size: 1, values: [0, 1, 1, 0, 2], expected: [0, 1, 1, 0, 1] },
  { kind: "i", size: 2, values: [-32768, -2, -1, 0, 1, 258, 32767], expected: [-32768, -2, -1, 0, 1, 258, 32767] },
  { kind: "u", size: 2, values: [0, 258, 65535], expected: [0, 258, 65535] },
  {
    kind: "i", size: 4, values: [-(2 ** 31), -1, 0, 0x01020304, 16777217, 2 ** 31 - 1],
    expected: [-(2 ** 31), -1, 0, 0x01020304, 16777216, 2 ** 31],
  },
  { kind: "u", size: 4, values: [0, 1, 16777219, 2 ** 32 - 1], expected: [0, 1, 16777220, 2 ** 32] },
  {
    kind: "i", size: 8,
    values: [-(2n ** 63n), -1n, 0n, 258n, 2n ** 53n + 1n, TRICKY, -TRICKY, 2n ** 63n - 1n, -(2n ** 21n) * 2n ** 32n - 1n],
    expected: [-(2 ** 63), -1, 0, 258, 2 ** 53, 2 ** 60 + 2 ** 37, -(2 ** 60 + 2 ** 37), 2 ** 63, -(2 ** 53)],
  },
  {
    kind: "u", size: 8, values: [0n, 12345n, 2n ** 32n + 7n, TRICKY, 2n ** 64n - 1n, 2n ** 53n * 2n],
    expected: [0, 12345, 2 ** 32, 2 ** 60 + 2 ** 37, 2 ** 64, 2 ** 54],
  },
];

function orders(size: number): string[] {
  return size === 1 ? ["|", "<", ">"] : ["<", ">"];
}

/** Every element of a [2,3,4] array, row-major, and the same array stored column-major. */
const ROW_MAJOR_234: number[] = [];
const COL_MAJOR_234: number[] = [];
for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) ROW_MAJOR_234.push(100 * i + 10 * j + k);
for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) COL_MAJOR_234.push(100 * i + 10 * j + k);

// ---- Python, found once: the live cross-checks run where python3 is (numpy's only where it is importable);
// python-fixtures.test.ts runs the same comparisons on committed files everywhere ----

function findPython(): string | undefined {
  for (const candidate of ["python3", "python"]) {
    try {
      execFileSync(candidate, ["-c", "import ast, json, struct"], { stdio: "ignore" });
      return candidate;
    } catch {
      // not installed
    }
  }
  return undefined;
}
const PYTHON = findPython();
const NUMPY_VERSION = (() => {
  if (PYTHON === undefined) return undefined;
  try {
    return execFileSync(PYTHON, ["-c", "import numpy; print(numpy.__version__)"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
})();

function python(script: string, args: string[]): any {
  if (PYTHON === undefined) throw new Error("python3 (standard library only) is needed for the .npy cross-checks, and none was found");
  return JSON.parse(execFileSync(PYTHON, ["-c", script, ...args], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 }));
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function newDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "simdnet-npy-"));
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  await init();
});

// Odd shapes for the writer: 1, 3, 17, 65×3, 0-d, zero-size dimensions; and the special bit patterns.
const ROUND_TRIP: { shape: number[]; data: Float32Array }[] = [
  { shape: [1], data: new Float32Array([42.5]) },
  { shape: [3], data: randomFloats(3, 1) },
  { shape: [17], data: SPECIAL },
  { shape: [65, 3], data: randomFloats(195, 2) },
  { shape: [], data: new Float32Array([-7.25]) },
  { shape: [0], data: new Float32Array(0) },
  { shape: [2, 0, 3], data: new Float32Array(0) },
  { shape: [3, 1, 1, 2], data: randomFloats(6, 3) },
];

describe("writeNpy / readNpy", () => {
  it("round-trips odd shapes bit-exactly", () => {
    for (const { shape, data } of ROUND_TRIP) {
      const file = writeNpy(data, shape);
      const back = readNpy(file);
      expect(back.shape, formatShapeOf(shape)).toEqual(shape);
      expect(back.dtype).toBe("<f4");
      expect(back.fortranOrder).toBe(false);
      expect(back.data).toBeInstanceOf(Float32Array);
      expect(bits(back.data), formatShapeOf(shape)).toEqual(bits(data));
    }
  });

  it("lays the file out as numpy.save does: 1.0, '<f4', C order, space padding, '\\n', data at a multiple of 64", () => {
    for (const { shape, data } of ROUND_TRIP) {
      const file = writeNpy(data, shape);
      expect(Array.from(file.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      const n = file[8]! | (file[9]! << 8);
      expect((10 + n) % 64).toBe(0);
      const text = new TextDecoder("latin1").decode(file.subarray(10, 10 + n));
      // numpy: sorted keys, repr'd values, room for the first axis to grow to 21 digits, then padding.
      const body = dict("<f4", shape);
      const growth = shape.length > 0 ? " ".repeat(21 - String(shape[0]).length) : "";
      expect(text.startsWith(body + growth)).toBe(true);
      expect(text.endsWith("\n")).toBe(true);
      expect(text.slice(body.length, -1)).toMatch(/^ *$/);
      expect(text.length - 1 - body.length - growth.length).toBeGreaterThan(0); // numpy always pads at least 1
      expect(text.length - 1 - body.length - growth.length).toBeLessThanOrEqual(64);
      expect(file.length).toBe(10 + n + 4 * data.length);
      const v = new DataView(file.buffer, 10 + n);
      for (let i = 0; i < data.length; i++) expect(v.getUint32(4 * i, true)).toBe(bits(data)[i]);
    }
    // The exact header for a familiar case.
    const file = writeNpy(new Float32Array(6), [2, 3]);
    const body = dict("<f4", [2, 3]);
    expect(body.length).toBe(59);
    expect(new TextDecoder().decode(file.subarray(10, 128))).toBe(`${body}${" ".repeat(20)}${" ".repeat(118 - 59 - 20 - 1)}\n`);
    expect(file.length).toBe(128 + 24);
  });

  it("writes format 2.0 when the header outgrows a u16 length, and reads it back", () => {
    const shape = new Array<number>(30_000).fill(1);
    const file = writeNpy(new Float32Array([3.5]), shape);
    expect([file[6], file[7]]).toEqual([2, 0]);
    const n = new DataView(file.buffer).getUint32(8, true);
    expect(n).toBeGreaterThan(65_535);
    expect((12 + n) % 64).toBe(0);
    expect(file[12 + n - 1]).toBe(0x0a);
    const back = readNpy(file);
    expect(back.shape).toEqual(shape);
    expect(Array.from(back.data)).toEqual([3.5]);
  });

  it("takes a Tensor or { shape, data }, and makes Tensors on the current or a given backend", async () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    const file = writeNpy(t);
    expect(file).toEqual(writeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]));
    const again = readNpyTensor(file);
    expect(again.backend).toBe(getBackend());
    expect(again.shape).toEqual([2, 3]);
    expect(again.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    // An NpyArray is a { shape, data }: write what was read.
    const read = readNpy(file);
    expect(writeNpy(read)).toEqual(file);
    // 0-d and zero-size tensors.
    const scalar = readNpyTensor(writeNpy(new Float32Array([9]), []));
    expect(scalar.shape).toEqual([]);
    expect(scalar.toArray()).toBe(9);
    const emptyT = readNpyTensor(writeNpy(new Float32Array(0), [4, 0]));
    expect(emptyT.shape).toEqual([4, 0]);
    expect(emptyT.size).toBe(0);
    // A given backend.
    const other = await createBackend({ build: "scalar" });
    const there = readNpyTensor(npyFile(dict(">i2", [2]), encode(">i2", [-3, 300])), { backend: other });
    expect(there.backend).toBe(other);
    expect(Array.from(there.toFloat32Array())).toEqual([-3, 300]);
    for (const x of [t, again, scalar, emptyT, there]) x.dispose();
  });

  it("accepts an ArrayBuffer, and a view at an odd offset of a larger buffer; returns copies", () => {
    const file = writeNpy(randomFloats(5, 4), [5]);
    const ab = file.slice().buffer;
    expect(bits(readNpy(ab).data)).toEqual(bits(randomFloats(5, 4)));
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    const back = readNpy(big.subarray(3));
    expect(bits(back.data)).toEqual(bits(randomFloats(5, 4)));
    expect(back.data.byteOffset).toBe(0);
    big.fill(0);
    expect(bits(back.data)).toEqual(bits(randomFloats(5, 4)));
    // Non-ASCII-free header, but from a view that does not start the buffer: an f8 file too.
    const f8 = npyFile(dict(">f8", [2]), encode(">f8", [1.5, -2]));
    const big8 = new Uint8Array(f8.length + 1);
    big8.set(f8, 1);
    expect(Array.from(readNpy(big8.subarray(1)).data)).toEqual([1.5, -2]);
  });

  it("rejects bad input to the writer", () => {
    expect(() => writeNpy(new Float32Array(3), [2, 2])).toThrow(ShapeError);
    expect(() => writeNpy(new Float32Array(3), [2, 2])).toThrow(/3 values but shape \[2,2\] holds 4/);
    expect(() => writeNpy(new Float32Array(0), [-1])).toThrow(ShapeError);
    expect(() => writeNpy(new Float32Array(2), [2.5])).toThrow(/dimensions must be non-negative integers/);
    expect(() => writeNpy(new Float64Array(2) as unknown as Float32Array, [2])).toThrow(ArgumentError);
    expect(() => (writeNpy as unknown as (d: Float32Array) => Uint8Array)(new Float32Array(2))).toThrow(/needs a shape/);
    expect(() => readNpy("abc" as unknown as Uint8Array)).toThrow(ArgumentError);
  });
});

function formatShapeOf(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

describe("readNpy: every dtype, both byte orders, versions, Fortran order", () => {
  it("reads every supported descr in little- and big-endian byte order", () => {
    let checked = 0;
    for (const { kind, size, values, expected } of KINDS) {
      for (const order of orders(size)) {
        const descr = `${order}${kind}${size}`;
        const file = npyFile(dict(descr, [values.length]), encode(descr, values));
        const a = readNpy(file);
        expect(a.dtype).toBe(descr);
        expect(a.shape).toEqual([values.length]);
        expect(Array.from(a.data), descr).toEqual(expected.map((x) => Math.fround(x)));
        if (kind === "f" && size === 4) expect(bits(a.data), descr).toEqual(SPECIAL_BITS);
        checked++;
      }
    }
    expect(checked).toBe(2 + 2 + 2 + 3 + 3 + 3 + 2 + 2 + 2 + 2 + 2 + 2);
    // The big-endian order explicitly: 0x0102 is 258, not 513.
    expect(readNpy(npyFile(dict(">u2", [1]), new Uint8Array([1, 2]))).data[0]).toBe(258);
    expect(readNpy(npyFile(dict("<u2", [1]), new Uint8Array([1, 2]))).data[0]).toBe(513);
  });

  it("rounds 64-bit integers once, correctly, to float32 (as numpy's astype does)", () => {
    const values: bigint[] = [];
    let x = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < 2000; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
      values.push(x >> BigInt(i % 64)); // magnitudes across the whole range
    }
    values.push(2n ** 64n - 1n, 2n ** 63n, 2n ** 53n, 2n ** 53n - 1n, 2n ** 24n + 1n, TRICKY);
    const unsigned = readNpy(npyFile(dict("<u8", [values.length]), encode("<u8", values)));
    expect(Array.from(unsigned.data)).toEqual(values.map((v) => Math.fround(bigToF32(v))));
    const signedValues = values.map((v) => BigInt.asIntN(64, v));
    const signed = readNpy(npyFile(dict(">i8", [values.length]), encode(">i8", signedValues)));
    expect(Array.from(signed.data)).toEqual(signedValues.map((v) => Math.fround(bigToF32(v))));
  });

  it("reads 0-d arrays and zero-size dimensions", () => {
    const scalar = readNpy(npyFile(dict("<f8", []), encode("<f8", [-2.5])));
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data)).toEqual([-2.5]);
    const s16 = readNpy(npyFile(dict("|b1", []), encode("|b1", [1])));
    expect(Array.from(s16.data)).toEqual([1]);
    for (const shape of [[0], [3, 0], [0, 5, 2], [4, 0, 0]]) {
      const a = readNpy(npyFile(dict("<i8", shape, true), 0));
      expect(a.shape).toEqual(shape);
      expect(a.data.length).toBe(0);
      expect(a.fortranOrder).toBe(true);
    }
  });

  it("reads format 2.0 and 3.0 headers (u32 length; 3.0 is UTF-8), and Python 2's 'L' suffix in 1.0/2.0", () => {
    for (const version of [1, 2, 3]) {
      const a = readNpy(npyFile(dict(">i4", [2, 3]), encode(">i4", [1, -2, 3, -4, 5, -6]), { version }));
      expect(a.shape).toEqual([2, 3]);
      expect(Array.from(a.data)).toEqual([1, -2, 3, -4, 5, -6]);
    }
    // Header with no padding at all and unusual (but legal) whitespace and key order.
    const loose = "{ \"shape\" : ( 2 , 1 , ) ,\t'fortran_order':True,'descr':'<f4'}";
    expect(Array.from(readNpy(npyFile(loose, encode("<f4", [0x3f800000, 0x40000000]), { pad: false })).data)).toEqual([1, 2]);
    for (const version of [1, 2]) {
      const py2 = "{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 1L), }";
      expect(readNpy(npyFile(py2, encode("<f8", [1, 2, 3]), { version })).shape).toEqual([3, 1]);
    }
  });

  it("converts Fortran order to row-major", () => {
    for (const descr of ["<i2", ">f8", "|u1", ">f4"]) {
      const values = descr.endsWith("f4") ? Array.from(new Uint32Array(new Float32Array(COL_MAJOR_234).buffer)) : COL_MAJOR_234;
      const a = readNpy(npyFile(dict(descr, [2, 3, 4], true), encode(descr, values)));
      expect(a.fortranOrder).toBe(true);
      expect(a.shape).toEqual([2, 3, 4]);
      expect(Array.from(a.data), descr).toEqual(ROW_MAJOR_234);
    }
    // 65×3: element (i, j) stored at i + 65·j.
    const cols: number[] = [];
    for (let j = 0; j < 3; j++) for (let i = 0; i < 65; i++) cols.push(i * 3 + j);
    const b = readNpy(npyFile(dict("<u2", [65, 3], true), encode("<u2", cols)));
    expect(Array.from(b.data)).toEqual(Array.from({ length: 195 }, (_, k) => k));
    // Rank 0 and 1 are the same in either order.
    expect(Array.from(readNpy(npyFile(dict("<i4", [3], true), encode("<i4", [7, 8, 9]))).data)).toEqual([7, 8, 9]);
    expect(Array.from(readNpy(npyFile(dict("<i4", [], true), encode("<i4", [7]))).data)).toEqual([7]);
  });
});

describe("Python cross-checks", () => {
  it.runIf(PYTHON !== undefined)("Python (standard library struct, ast) writes a file in numpy's exact layout that readNpy reads", async () => {
    const dir = await newDir();
    const script = String.raw`
import json, struct, sys, os
out = sys.argv[1]

def header(descr, fortran, shape):
    d = {'descr': descr, 'fortran_order': fortran, 'shape': shape}
    h = '{' + ''.join("'%s': %r, " % (k, d[k]) for k in sorted(d)) + '}'
    if len(shape) > 0:
        h += ' ' * (21 - len(repr(shape[-1 if fortran else 0])))
    return h

def wrap(h, version):
    fmt = '<H' if version == (1, 0) else '<I'
    b = h.encode('utf8' if version == (3, 0) else 'latin1')
    hlen = len(b) + 1
    pad = 64 - ((6 + 2 + struct.calcsize(fmt) + hlen) % 64)
    return b'\x93NUMPY' + bytes(version) + struct.pack(fmt, hlen + pad) + b + b' ' * pad + b'\n'

def column_major(values, shape):
    # values are row-major; return them in Fortran order
    n = len(values)
    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    out = []
    def walk(d, index):
        if d < 0:
            out.append(values[sum(i * s for i, s in zip(index, strides))])
            return
        for i in range(shape[d]):
            walk(d - 1, [i] + index)
    if n:
        walk(len(shape) - 1, [])
    return out

cases = [
    ('f8_2x3', '<f8', 'd', False, (2, 3), [0.1 * i - 0.25 for i in range(6)], (1, 0)),
    ('i4_be_fortran', '>i4', 'i', True, (3, 2, 2), [(-1) ** i * i * 1000003 for i in range(12)], (1, 0)),
    ('f4_scalar', '<f4', 'f', False, (), [-7.5], (1, 0)),
    ('u1_empty', '|u1', 'B', False, (0, 4), [], (1, 0)),
    ('i8_big', '<i8', 'q', False, (5,), [2 ** 62 + 2 ** 38 + 1, -2 ** 63, 2 ** 53 + 1, 5, -(2 ** 40) - 3], (1, 0)),
    ('u8_be', '>u8', 'Q', False, (2,), [2 ** 64 - 1, 3], (1, 0)),
    ('f2_v2', '>f2', 'e', False, (4,), [1.0, -0.5, 65504.0, 2.0 ** -24], (2, 0)),
    ('b1_v3', '|b1', '?', True, (2, 2), [True, False, False, True], (3, 0)),
    ('i2_65x3', '<i2', 'h', False, (65, 3), [i * 3 - 100 for i in range(195)], (1, 0)),
]
manifest = {}
for name, descr, code, fortran, shape, values, version in cases:
    order = '>' if descr[0] == '>' else '<'
    stored = column_major(values, shape) if fortran else values
    data = struct.pack(order + '%d%s' % (len(stored), code), *stored)
    path = os.path.join(out, name + '.npy')
    with open(path, 'wb') as f:
        f.write(wrap(header(descr, fortran, shape), version) + data)
    manifest[name] = {'path': path, 'descr': descr, 'fortran': fortran, 'shape': list(shape), 'version': list(version),
                      'values': [repr(int(v)) if isinstance(v, (int, bool)) else repr(v) for v in values]}
print(json.dumps(manifest))
`;
    const manifest = python(script, [dir]) as Record<string, { path: string; descr: string; fortran: boolean; shape: number[]; version: number[]; values: string[] }>;
    expect(Object.keys(manifest)).toHaveLength(9);
    for (const [name, m] of Object.entries(manifest)) {
      const raw = new Uint8Array(await readFile(m.path));
      expect(raw[6], name).toBe(m.version[0]);
      const a = readNpy(raw);
      expect(a.dtype, name).toBe(m.descr);
      expect(a.shape, name).toEqual(m.shape);
      expect(a.fortranOrder, name).toBe(m.fortran);
      // Python printed the exact values in row-major order; round them to float32 here.
      const expected = m.values.map((s) => (/^-?\d+$/.test(s) ? Math.fround(bigToF32(BigInt(s))) : Math.fround(Number(s))));
      expect(Array.from(a.data), name).toEqual(expected);
    }
    // The value a float64 detour would get wrong: 2^62 + 2^38 + 1 is above the float32 halfway point.
    const big = readNpy(new Uint8Array(await readFile(manifest.i8_big!.path)));
    expect(big.data[0]).toBe(2 ** 62 + 2 ** 39);
  });

  it.runIf(PYTHON !== undefined)("Python (standard library struct + ast.literal_eval) reads what writeNpy wrote: values, header and alignment", async () => {
    const dir = await newDir();
    const cases = [...ROUND_TRIP, { shape: new Array<number>(30_000).fill(1), data: new Float32Array([0.5]) }];
    const paths: string[] = [];
    for (const [i, { shape, data }] of cases.entries()) {
      const path = join(dir, `w${i}.npy`);
      await writeFile(path, writeNpy(data, shape));
      paths.push(path);
    }
    const script = String.raw`
import ast, json, struct, sys
res = []
for path in sys.argv[1:]:
    raw = open(path, 'rb').read()
    assert raw[:6] == b'\x93NUMPY', path
    major, minor = raw[6], raw[7]
    if major == 1:
        (n,) = struct.unpack('<H', raw[8:10]); start = 10
    else:
        (n,) = struct.unpack('<I', raw[8:12]); start = 12
    text = raw[start:start + n].decode('latin1')
    h = ast.literal_eval(text)
    assert isinstance(h, dict) and sorted(h) == ['descr', 'fortran_order', 'shape'], h
    count = 1
    for d in h['shape']:
        count *= d
    data = raw[start + n:]
    res.append({'version': [major, minor], 'descr': h['descr'], 'fortran_order': h['fortran_order'],
                'shape': list(h['shape']), 'shape_is_tuple': isinstance(h['shape'], tuple),
                'data_start': start + n, 'ends_newline': text.endswith('\n'), 'data_bytes': len(data), 'count': count,
                'bits': list(struct.unpack('<%dI' % count, data)),
                'floats': [repr(x) for x in struct.unpack('<%df' % count, data)]})
print(json.dumps(res))
`;
    const printed = python(script, paths) as any[];
    expect(printed).toHaveLength(cases.length);
    for (const [i, { shape, data }] of cases.entries()) {
      const p = printed[i];
      const what = shape.length > 10 ? `rank ${shape.length}` : formatShapeOf(shape);
      expect(p.version, what).toEqual(shape.length > 10 ? [2, 0] : [1, 0]);
      expect(p.descr).toBe("<f4");
      expect(p.fortran_order).toBe(false);
      expect(p.shape_is_tuple).toBe(true);
      expect(p.shape, what).toEqual(shape);
      expect(p.data_start % 64, what).toBe(0);
      expect(p.ends_newline).toBe(true);
      expect(p.data_bytes).toBe(4 * data.length);
      expect(p.bits, what).toEqual(bits(data));
    }
    // Python's own float rendering agrees with ours for ordinary values.
    const w = printed[3];
    for (let i = 0; i < 195; i++) expect(Number(w.floats[i])).toBe(ROUND_TRIP[3]!.data[i]);
  });

  const numpyName = NUMPY_VERSION !== undefined
    ? `numpy ${NUMPY_VERSION} is importable: numpy.load reads writeNpy files (byte-identical to numpy.save) and readNpy reads numpy.save files of every dtype`
    : "numpy is not importable: numpy.load/numpy.save cross-checks skipped (the standard-library checks above ran)";
  (NUMPY_VERSION !== undefined ? it : it.skip)(numpyName, async () => {
    const dir = await newDir();
    const written: string[] = [];
    for (const [i, { shape, data }] of ROUND_TRIP.entries()) {
      const path = join(dir, `w${i}.npy`);
      await writeFile(path, writeNpy(data, shape));
      written.push(path);
    }
    const script = String.raw`
import io, json, os, sys
import numpy as np
out = sys.argv[1]
paths = sys.argv[2:]
res = {'load': [], 'saved': {}}
for path in paths:
    a = np.load(path)
    buf = io.BytesIO()
    np.save(buf, a)
    res['load'].append({'dtype': str(a.dtype), 'shape': list(a.shape), 'c': bool(a.flags.c_contiguous),
                        'bits': a.reshape(-1).view('<u4').tolist(), 'same_bytes': buf.getvalue() == open(path, 'rb').read()})
rng = np.random.default_rng(7)
descrs = ['<f2', '>f2', '<f4', '>f4', '<f8', '>f8', '|i1', '|u1', '|b1', '<i2', '>i2', '<u2', '>u2',
          '<i4', '>i4', '<u4', '>u4', '<i8', '>i8', '<u8', '>u8']
def sample(descr, n):
    dt = np.dtype(descr)
    if dt.kind == 'f':
        x = rng.standard_normal(n) * 1000.0
        x[:3] = [0.1, -0.0, 65504.0]
        return x.astype(dt)
    if dt.kind == 'b':
        return rng.integers(0, 2, n).astype(dt)
    info = np.iinfo(dt)
    x = rng.integers(info.min, info.max, n, dtype=dt.newbyteorder('='), endpoint=True)
    x[:2] = [info.min, info.max]
    return x.astype(dt)
def save(name, a, version=None):
    path = os.path.join(out, name + '.npy')
    with open(path, 'wb') as f:
        np.lib.format.write_array(f, a, version=version)
    res['saved'][name] = {'path': path, 'descr': a.dtype.str, 'shape': list(a.shape),
                          'fortran': bool(a.flags.f_contiguous and not a.flags.c_contiguous),
                          'bits': np.ascontiguousarray(a.astype(np.float32)).reshape(-1).view('<u4').tolist()}
for d in descrs:
    save('c' + d[1:] + ('be' if d[0] == '>' else ''), sample(d, 3 * 17).reshape(3, 17))
    save('f' + d[1:] + ('be' if d[0] == '>' else ''), np.asfortranarray(sample(d, 2 * 3 * 5).reshape(2, 3, 5)))
save('scalar', np.array(2.5, dtype='>f8'))
save('empty', np.zeros((0, 3), dtype='<i8'))
save('v2', sample('<f4', 12).reshape(4, 3), version=(2, 0))
save('v3', sample('>i2', 12).reshape(3, 4), version=(3, 0))
np.save(os.path.join(out, 'plain.npy'), np.arange(10, dtype=np.float32))
res['saved']['plain'] = {'path': os.path.join(out, 'plain.npy'), 'descr': '<f4', 'shape': [10], 'fortran': False,
                         'bits': np.arange(10, dtype=np.float32).view('<u4').tolist()}
print(json.dumps(res))
`;
    const res = python(script, [dir, ...written]);
    for (const [i, { shape, data }] of ROUND_TRIP.entries()) {
      const l = res.load[i];
      expect(l.dtype).toBe("float32");
      expect(l.shape).toEqual(shape);
      expect(l.c).toBe(true);
      expect(l.bits).toEqual(bits(data));
      expect(l.same_bytes, `numpy.save writes the same bytes for ${formatShapeOf(shape)}`).toBe(true);
    }
    const saved = Object.entries(res.saved as Record<string, { path: string; descr: string; shape: number[]; fortran: boolean; bits: number[] }>);
    expect(saved.length).toBe(2 * 21 + 5);
    for (const [name, s] of saved) {
      const a = readNpy(new Uint8Array(await readFile(s.path)));
      expect(a.dtype, name).toBe(s.descr);
      expect(a.shape, name).toEqual(s.shape);
      expect(a.fortranOrder, name).toBe(s.fortran);
      expect(bits(a.data), name).toEqual(s.bits);
    }
    expect(saved.filter(([, s]) => s.fortran)).toHaveLength(21);
  });
});

describe("readNpy: malformed files raise FormatError with the offset", () => {
  const good = () => writeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]); // 128 bytes up to the data + 24
  const H = 10; // where a 1.0 header starts

  it("truncated at every length: always a FormatError, naming where", async () => {
    const file = good();
    expect(file.length).toBe(152);
    for (let n = 0; n < file.length; n++) {
      let error: unknown;
      try {
        readNpy(file.subarray(0, n));
      } catch (e) {
        error = e;
      }
      expect(error, `cut at ${n}`).toBeInstanceOf(FormatError);
      expect((error as FormatError).offset, `cut at ${n}`).toBeTypeOf("number");
    }
    for (const n of [0, 3, 5]) await formatError(() => readNpy(file.subarray(0, n)), n, new RegExp(`truncated: the file has ${n} bytes, too short for the 6-byte magic`));
    for (const n of [6, 7]) await formatError(() => readNpy(file.subarray(0, n)), n, /ends inside the format version/);
    await formatError(() => readNpy(file.subarray(0, 9)), 9, /truncated: the file has 9 bytes and ends inside the 2-byte header length \(bytes 8–9\)/);
    for (const n of [10, 40, 127]) {
      await formatError(() => readNpy(file.subarray(0, n)), 8, new RegExp(`header length 118 reaches past the end of the file \\(${n} bytes leave ${n - 10} after the length field\\)`));
    }
    for (const n of [128, 140, 151]) {
      await formatError(() => readNpy(file.subarray(0, n)), n, new RegExp(`data too short: shape \\[2,3\\] of '<f4' needs 24 data bytes after the header \\(which ends at byte 128\\), the file has ${n - 128}`));
    }
    // Format 2.0: the length field is 4 bytes.
    const v2 = npyFile(dict("<f4", [1]), encode("<f4", [0]), { version: 2 });
    await formatError(() => readNpy(v2.subarray(0, 11)), 11, /ends inside the 4-byte header length \(bytes 8–11\)/);
    for (let n = 0; n < v2.length; n++) expect(() => readNpy(v2.subarray(0, n))).toThrow(FormatError);
  });

  it("bad magic, with a hint for .npz (zip) files", async () => {
    const file = good();
    const bad = file.slice();
    bad[5] = 0x58; // X
    await formatError(() => readNpy(bad), 5, /bad magic: byte 5 must be 0x59 .*got 0x58/);
    await formatError(() => readNpy(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0])), 0, /bad magic: byte 0 must be 0x93 .*got 0x50 \(this looks like a zip archive, e\.g\. an \.npz/);
    await formatError(() => readNpy(new TextEncoder().encode("NUMPY")), 0, /byte 0 must be 0x93/);
    await formatError(() => readNpy(new Uint8Array([0x93, 0x4e, 0x55])), 3, /too short for the 6-byte magic/);
  });

  it("bad version", async () => {
    for (const [major, minor, at, message] of [
      [0, 0, 6, /unsupported format version 0\.0: expected 1\.0, 2\.0 or 3\.0/],
      [4, 0, 6, /unsupported format version 4\.0/],
      [255, 0, 6, /unsupported format version 255\.0/],
      [1, 1, 7, /unsupported format version 1\.1: expected 1\.0/],
      [3, 2, 7, /unsupported format version 3\.2: expected 3\.0/],
    ] as const) {
      const file = good();
      file[6] = major;
      file[7] = minor;
      await formatError(() => readNpy(file), at, message);
    }
  });

  it("header length beyond the file", async () => {
    const file = good();
    new DataView(file.buffer).setUint16(8, 1000, true);
    await formatError(() => readNpy(file), 8, /header length 1000 reaches past the end of the file \(152 bytes leave 142 after the length field\)/);
    const v2 = npyFile(dict("<f4", [1]), encode("<f4", [0]), { version: 3 });
    new DataView(v2.buffer).setUint32(8, 0xffffffff, true);
    await formatError(() => readNpy(v2), 8, /header length 4294967295 reaches past the end/);
  });

  it("header that is not a dict literal, or not the literal subset (nothing is evaluated)", async () => {
    const cases: [string, number, RegExp][] = [
      ["[1, 2]", 0, /expected a dict with keys 'descr', 'fortran_order' and 'shape', got a list: \[1, 2\]/],
      ["'descr'", 0, /got a string/],
      ["(3)", 1, /got an integer: 3/],
      ["", 0, /expected a value, found the end of the header/],
      ["   \n", 4, /expected a value, found the end of the header/],
      ["__import__('os').system('rm -rf /')", 0, /unexpected name __import__/],
      ["dict(descr='<f4')", 0, /unexpected name dict/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } x", 60, /unexpected 'x' after the end of the literal/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}", 59, /unexpected '}' after the end/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}", 53, /expected ',' or '\)', found '3'/],
      ["{'descr': '<f4' 'fortran_order': False}", 16, /expected ',' or '}', found '''/],
      ["{'descr' '<f4'}", 9, /expected ':' after a dict key, found '''/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", 58, /expected a value, found the end of the header/],
      ["{'descr': '<f4}", 10, /unterminated string/],
      ["{'descr': '<f4\n'}", 10, /unterminated string \(a line break inside it\)/],
      ["{'descr': '<f4\\x', 'fortran_order': False}", 14, /backslash escapes in strings are not supported/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (0x10,), }", 51, /unexpected number 0x10/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (1_000,), }", 51, /unexpected number 1_000/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }", 51, /unexpected number 2L/], // 'L' only in 1.0/2.0: see below
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), \u00e9}", 56, /expected a value, found byte 0xe9/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (2,)}", 56, /the key 'shape' appears twice/],
      ["{1: 2, 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 1, /dict keys must be strings, got an integer: 1/],
      ["{'descr': '<f4', 'fortran_order': False}", 0, /the key 'shape' is missing/],
      ["{'fortran_order': False, 'shape': (2,)}", 0, /the key 'descr' is missing/],
      ["{}", 0, /the key 'descr' is missing/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", 56, /unexpected key 'extra': the keys must be exactly 'descr', 'fortran_order' and 'shape'/],
      ["{'Descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 1, /unexpected key 'Descr'/],
      [`{'descr': '<f4', 'fortran_order': False, 'shape': ${"(".repeat(100)}${")".repeat(100)}}`, 50 + 31, /nested more than 32 levels deep/],
    ];
    for (const [header, at, message] of cases) {
      const file = npyFile(header, 8, { version: header.includes("2L") ? 3 : 1, pad: false });
      await formatError(() => readNpy(file), (header.includes("2L") ? 12 : H) + at, message);
    }
    // Format 3.0 is UTF-8: a string that is not is refused at the string.
    const bad = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, { version: 3 });
    bad[12 + 11] = 0xff; // inside '<f4'
    await formatError(() => readNpy(bad), 12 + 10, /a string is not valid UTF-8 \(format 3\.0 headers are UTF-8\)/);
    // 1.0 is latin-1: the same byte is 'ÿ', and the descr is named as unsupported.
    const latin = npyFile("{'descr': '<f\u00ff4', 'fortran_order': False, 'shape': (2,), }", 8);
    await formatError(() => readNpy(latin), H + 10, /unsupported descr '<fÿ4' \(float\)/);
  });

  it("shape entries: negative, float, not integers, huge, and products beyond 2^53 or maxBytes (before allocating)", async () => {
    const shapeAt = H + "{'descr': '<f4', 'fortran_order': False, 'shape': ".length;
    const cases: [string, number, RegExp][] = [
      ["(-1,)", 1, /shape entry 0 is -1; dimensions must be non-negative/],
      ["(2, -3)", 4, /shape entry 1 is -3; dimensions must be non-negative/],
      ["(2.5,)", 1, /shape entry 0 is a float \(2\.5\), expected a non-negative integer/],
      ["(2, 1e3)", 4, /shape entry 1 is a float \(1e3\)/],
      ["(2, 3.)", 4, /shape entry 1 is a float \(3\.\)/],
      ["('3',)", 1, /shape entry 0 is a string \('3'\)/],
      ["(True, 2)", 1, /shape entry 0 is a bool \(True\)/],
      ["(None,)", 1, /shape entry 0 is None/],
      ["((2, 3),)", 1, /shape entry 0 is a tuple \(\(2, 3\)\)/],
      ["(4611686018427387904, 4611686018427387904)", 1, /shape entry 0 is 4611686018427387904, larger than 2\^53 - 1/],
      ["(9007199254740992,)", 1, /shape entry 0 is 9007199254740992, larger than 2\^53 - 1/],
      ["(67108864, 67108864, 67108864)", 21, /shape \[67108864,67108864,67108864\] holds more than 2\^53 elements/],
      ["(67108864, 67108864, 67108864, 1)", 21, /shape \[67108864,67108864,67108864\]… holds more than 2\^53 elements/],
      ["(1099511627776,)", 0, /shape \[1099511627776\] holds 1099511627776 elements, 4398046511104 bytes as float32, more than maxBytes = 4294967296/],
      ["[2, 3]", 0, /'shape' must be a tuple of integers, got a list: \[2, 3\]/],
      ["3", 0, /'shape' must be a tuple of integers, got an integer: 3/],
      ["(3)", 1, /'shape' must be a tuple of integers, got an integer: 3/],
      ["None", 0, /'shape' must be a tuple of integers, got None/],
    ];
    const before = process.memoryUsage().arrayBuffers;
    for (const [shape, at, message] of cases) {
      const file = npyFile(`{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`, 16);
      await formatError(() => readNpy(file), shapeAt + at, message);
    }
    // With the limit lifted, a huge but representable shape still allocates nothing: the data is short.
    const huge = npyFile(dict("|u1", [2 ** 40, 1000]), 10);
    await formatError(() => readNpy(huge, { maxBytes: Infinity }), huge.length, /data too short: shape \[1099511627776,1000\] of '\|u1' needs 1099511627776000 data bytes/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
    // maxBytes is honoured for small files too.
    const small = npyFile(dict("|u1", [100]), 100);
    await formatError(() => readNpy(small, { maxBytes: 64 }), shapeAt, /holds 100 elements, 400 bytes as float32, more than maxBytes = 64/);
    expect(readNpy(small, { maxBytes: 400 }).data.length).toBe(100);
  });

  it("fortran_order and descr of the wrong type", async () => {
    const fortranAt = H + "{'descr': '<f4', 'fortran_order': ".length;
    for (const [value, message] of [["'False'", /got a string: 'False'/], ["0", /got an integer: 0/], ["None", /got None/]] as const) {
      const file = npyFile(`{'descr': '<f4', 'fortran_order': ${value}, 'shape': (2,), }`, 8);
      await formatError(() => readNpy(file), fortranAt, new RegExp(`'fortran_order' must be True or False, ${message.source}`));
    }
    const file = npyFile("{'descr': 4, 'fortran_order': False, 'shape': (2,), }", 8);
    await formatError(() => readNpy(file), H + 10, /'descr' must be a string such as '<f4', got an integer: 4/);
  });

  it("unsupported descr is named: complex, object, strings, datetimes, structured, byte order", async () => {
    const descrAt = H + "{'descr': ".length;
    const cases: [string, RegExp][] = [
      ["'<c8'", /unsupported descr '<c8' \(complex\): supported are float16\/32\/64/],
      ["'<c16'", /unsupported descr '<c16' \(complex\)/],
      ["'|O'", /unsupported descr '\|O' \(Python object\)/],
      ["'O'", /unsupported descr 'O' \(Python object\)/],
      ["'<U3'", /unsupported descr '<U3' \(unicode string\)/],
      ["'|S5'", /unsupported descr '\|S5' \(byte string\)/],
      ["'|V16'", /unsupported descr '\|V16' \(void \/ raw bytes\)/],
      ["'<M8[ns]'", /unsupported descr '<M8\[ns\]' \(datetime64\)/],
      ["'<m8[s]'", /unsupported descr '<m8\[s\]' \(timedelta64\)/],
      ["'<f16'", /unsupported descr '<f16' \(float\)/],
      ["'<i3'", /unsupported descr '<i3' \(int\)/],
      ["'float32'", /unsupported descr 'float32'/],
      ["''", /unsupported descr ''/],
      ["[('x', '<f4'), ('y', '<i4')]", /unsupported descr \[\('x', '<f4'\), \('y', '<i4'\)\]: structured dtypes \(a list of fields\) are not supported/],
      ["'|f4'", /descr '\|f4' of 4-byte values must give the byte order, '<' \(little-endian\) or '>' \(big-endian\)/],
      ["'f8'", /descr 'f8' of 8-byte values must give the byte order/],
      ["'=f4'", /descr '=f4' has native byte order '='/],
    ];
    for (const [descr, message] of cases) {
      const file = npyFile(`{'descr': ${descr}, 'fortran_order': False, 'shape': (2,), }`, 8);
      await formatError(() => readNpy(file), descrAt, message);
    }
  });

  it("data size not matching shape × itemsize: too few or extra trailing bytes", async () => {
    const header = dict("<f8", [3, 2]);
    const start = dataStartOf(header);
    expect(start).toBe(128);
    const short = npyFile(header, 47);
    await formatError(() => readNpy(short), start + 47, /data too short: shape \[3,2\] of '<f8' needs 48 data bytes after the header \(which ends at byte 128\), the file has 47/);
    const long = npyFile(header, 51);
    await formatError(() => readNpy(long), start + 48, /data too long: shape \[3,2\] of '<f8' needs 48 data bytes .*the file has 51: 3 bytes left over/);
    const extraOnEmpty = npyFile(dict("<f4", [0, 3]), 1);
    await formatError(() => readNpy(extraOnEmpty), dataStartOf(dict("<f4", [0, 3])), /data too long: shape \[0,3\] of '<f4' needs 0 data bytes .*1 bytes left over/);
    const scalarShort = npyFile(dict("<i8", []), 4);
    await formatError(() => readNpy(scalarShort), dataStartOf(dict("<i8", [])) + 4, /data too short: shape \[\] of '<i8' needs 8 data bytes/);
    await formatError(() => readNpy(writeNpy(new Float32Array(6), [2, 3]).subarray(0, 151)), 151, /data too short/);
  });

  it("leaves the runtime usable: failed reads allocate no tensors, and ops work afterwards", async () => {
    const before = memory();
    const bad = [
      good().subarray(0, 70),
      npyFile(dict("<c8", [2]), 16),
      npyFile(`{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }`, 16),
      npyFile(dict("<f4", [2, 3]), 25),
    ];
    for (const file of bad) {
      expect(() => readNpyTensor(file)).toThrow(FormatError);
      expect(() => readNpy(file)).toThrow(FormatError);
    }
    const after = memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    const a = readNpyTensor(good());
    const b = readNpyTensor(npyFile(dict(">i2", [2, 3]), encode(">i2", [10, 20, 30, 40, 50, 60])));
    const c = add(a, b);
    expect(c.toArray()).toEqual([[11, 22, 33], [44, 55, 66]]);
    for (const t of [a, b, c]) t.dispose();
    expect(memory().numTensors).toBe(before.numTensors);
  });
});
