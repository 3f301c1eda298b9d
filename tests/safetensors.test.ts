import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ShapeError, ArgumentError } from "../src/runtime/errors.js";
import { readSafetensors, writeSafetensors } from "../src/io/index.js";
import { randomFloats } from "./helpers/compare.js";
import { formatError } from "./helpers/format-error.js";

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
const fromBits = (words: number[]) => new Float32Array(new Uint32Array(words).buffer);

/** Split a file into its header length, header JSON text and data section, with a few lines of our own. */
function parts(file: Uint8Array): { n: number; text: string; header: Record<string, any>; data: Uint8Array } {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const n = v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
  const text = new TextDecoder().decode(file.subarray(8, 8 + n));
  return { n, text, header: JSON.parse(text), data: file.subarray(8 + n) };
}

/** A file with a header we write by hand (padded to 8) and the given data section. */
function handmade(header: unknown, data: Uint8Array | number = 0): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  const section = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + n + section.length).fill(0x20, 8, 8 + n);
  new DataView(out.buffer).setUint32(0, n, true);
  out.set(json, 8);
  out.set(section, 8 + n);
  return out;
}


// Values whose bits must survive: NaN payloads (quiet and signalling, both signs), ±0, ±Inf,
// subnormals, the extremes.
const SPECIAL = fromBits([
  0x7fc00000, 0x7fc01234, 0xffc00001, 0x7f800001, 0xff812345, 0x00000000, 0x80000000, 0x7f800000, 0xff800000,
  0x00000001, 0x807fffff, 0x00400000, 0x7f7fffff, 0xff7fffff, 0x00800000, 0x3f800000, 0xbeaaaaab,
]);

function sample(): Record<string, { shape: number[]; data: Float32Array }> {
  return {
    special: { shape: [SPECIAL.length], data: SPECIAL },
    "layer.0.weight": { shape: [3, 17], data: randomFloats(51, 1) },
    one: { shape: [1], data: new Float32Array([42.5]) },
    three: { shape: [3, 1], data: randomFloats(3, 2) },
    empty: { shape: [0, 4], data: new Float32Array(0) },
    scalar: { shape: [], data: new Float32Array([-7]) },
    "ünï/cödé ✓": { shape: [2], data: new Float32Array([1, 2]) },
  };
}

describe("writeSafetensors / readSafetensors", () => {
  it("round-trips bit-exactly, with metadata", () => {
    const tensors = sample();
    const file = writeSafetensors(tensors, { format: "pt", note: "héllo \"quoted\"" });
    const back = readSafetensors(file);
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const r = back.tensors[name]!;
      expect(r.dtype).toBe("F32");
      expect(r.shape, name).toEqual(t.shape);
      expect(r.data).toBeInstanceOf(Float32Array);
      expect(r.data.byteOffset % 4).toBe(0);
      expect(bits(r.data), name).toEqual(bits(t.data));
    }
    expect(back.metadata).toEqual({ format: "pt", note: "héllo \"quoted\"" });
    // Copies, not views on the file.
    file.fill(0, file.length - 8);
    expect(back.tensors["ünï/cödé ✓"]!.data[1]).toBe(2);
  });

  it("reads views on a larger buffer at an odd offset, and without metadata", () => {
    const file = writeSafetensors({ x: { shape: [5], data: randomFloats(5, 3) } });
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    const back = readSafetensors(big.subarray(3));
    expect(bits(back.tensors.x!.data)).toEqual(bits(randomFloats(5, 3)));
    expect(back.metadata).toEqual({});
    expect(parts(file).header.__metadata__).toBeUndefined();
  });

  it("lays the header out as documented: u64 LE length, JSON, space padding, 8-aligned data in order", () => {
    const tensors = sample();
    const file = writeSafetensors(tensors, { format: "pt" });
    const { n, text, header, data } = parts(file);
    expect(file[4]! | file[5]! | file[6]! | file[7]!).toBe(0); // high word of the u64
    expect((8 + n) % 8).toBe(0);
    expect(text).toMatch(/^\{.*\} *$/s);
    expect(new TextEncoder().encode(text.trimEnd()).length).toBeGreaterThan(n - 8); // padding only to the next multiple of 8
    expect(header.__metadata__).toEqual({ format: "pt" });
    let offset = 0;
    for (const [name, t] of Object.entries(tensors)) {
      expect(header[name], name).toEqual({ dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] });
      // Little-endian float32 at those offsets.
      const v = new DataView(data.buffer, data.byteOffset + offset, 4 * t.data.length);
      for (let i = 0; i < t.data.length; i++) expect(v.getUint32(4 * i, true)).toBe(bits(t.data)[i]);
      offset += 4 * t.data.length;
    }
    expect(data.length).toBe(offset);
    expect(Object.keys(header)).toEqual([...Object.keys(tensors), "__metadata__"]);
  });

  it("rejects bad input to the writer", () => {
    expect(() => writeSafetensors({ a: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(ShapeError);
    expect(() => writeSafetensors({ a: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(/"a" has 3 values but shape \[2,2\] holds 4/);
    expect(() => writeSafetensors({ a: { shape: [-1], data: new Float32Array(0) } })).toThrow(ShapeError);
    expect(() => writeSafetensors({ __metadata__: { shape: [1], data: new Float32Array(1) } })).toThrow(ArgumentError);
    expect(() => writeSafetensors({}, { n: 3 as unknown as string })).toThrow(/metadata "n" must be a string/);
  });

  it("Python (standard library struct + json) reads what the writer wrote", async (ctx) => {
    let python: string | undefined;
    for (const candidate of ["python3", "python"]) {
      try {
        execFileSync(candidate, ["-c", "import struct, json"], { stdio: "ignore" });
        python = candidate;
        break;
      } catch {
        // not installed
      }
    }
    if (python === undefined) ctx.skip();
    const dir = await mkdtemp(join(tmpdir(), "simdnet-st-"));
    try {
      const tensors = sample();
      const path = join(dir, "model.safetensors");
      await writeFile(path, writeSafetensors(tensors, { format: "pt", "ключ": "значение" }));
      const script = [
        "import json, struct, sys",
        "raw = open(sys.argv[1], 'rb').read()",
        "(n,) = struct.unpack('<Q', raw[:8])",
        "assert (8 + n) % 8 == 0",
        "header = json.loads(raw[8:8 + n].decode('utf-8'))",
        "meta = header.pop('__metadata__', {})",
        "out = {'metadata': meta, 'tensors': {}}",
        "for name, info in header.items():",
        "    b, e = info['data_offsets']",
        "    chunk = raw[8 + n + b:8 + n + e]",
        "    count = (e - b) // 4",
        "    out['tensors'][name] = {'dtype': info['dtype'], 'shape': info['shape'], 'bits': list(struct.unpack('<%dI' % count, chunk)),",
        "                            'floats': [repr(x) for x in struct.unpack('<%df' % count, chunk)]}",
        "print(json.dumps(out))",
      ].join("\n");
      const printed = JSON.parse(execFileSync(python!, ["-c", script, path], { encoding: "utf8" }));
      expect(printed.metadata).toEqual({ format: "pt", "ключ": "значение" });
      expect(Object.keys(printed.tensors).sort()).toEqual(Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        const p = printed.tensors[name];
        expect(p.dtype).toBe("F32");
        expect(p.shape).toEqual(t.shape);
        expect(p.bits, name).toEqual(bits(t.data));
      }
      // Python's own float rendering agrees with ours for ordinary values.
      const w = printed.tensors["layer.0.weight"];
      for (let i = 0; i < 51; i++) expect(Number(w.floats[i])).toBe(tensors["layer.0.weight"]!.data[i]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("readSafetensors: malformed files raise FormatError with the offset", () => {
  const good = () => writeSafetensors({ a: { shape: [2], data: new Float32Array([1, 2]) }, b: { shape: [3], data: new Float32Array([3, 4, 5]) } });

  it("truncated: shorter than the length field, or cut inside the header or data", async () => {
    await formatError(() => readSafetensors(new Uint8Array(5)), 0, /file is 5 bytes, too short for the 8-byte header length/);
    const file = good();
    const { n } = parts(file);
    await formatError(() => readSafetensors(file.subarray(0, 20)), 0, new RegExp(`header length ${n} reaches past the end of the file \\(20 bytes leave 12`));
    // Cut in the data: the tensors now reach past the end.
    await formatError(() => readSafetensors(file.subarray(0, file.length - 2)), 8 + parts(file).text.indexOf('"b"'), /tensor "b": data_offsets \[8, 20\] reach past the data section \(18 bytes/);
  });

  it("header length past the end or over 100 MB (checked before reading)", async () => {
    const file = good();
    const huge = file.slice();
    new DataView(huge.buffer).setUint32(4, 1, true); // + 2^32
    await formatError(() => readSafetensors(huge), 0, /header length \d+ is larger than the 100000000-byte limit/);
    const past = file.slice();
    new DataView(past.buffer).setUint32(0, file.length, true);
    await formatError(() => readSafetensors(past), 0, new RegExp(`header length ${file.length} reaches past the end`));
  });

  it("bad JSON, bad UTF-8, not an object", async () => {
    await formatError(() => readSafetensors(handmade('{"a": {"dtype": "F32",')), 8 + 24, /safetensors header: unexpected end of text/);
    const badUtf8 = handmade('{"a":1}');
    badUtf8[10] = 0xff;
    await formatError(() => readSafetensors(badUtf8), 8, /header is not valid UTF-8/);
    await formatError(() => readSafetensors(handmade("[1, 2]")), 8, /must be a JSON object, got an array/);
  });

  it("wrong dtype names the dtype and the tensor", async () => {
    const file = handmade({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, w: { dtype: "F16", shape: [2], data_offsets: [4, 8] } }, 8);
    const n = parts(file).n;
    await formatError(() => readSafetensors(file), 8 + n + 4, /tensor "w" has dtype F16; only F32 is supported/);
  });

  it("missing or malformed fields", async () => {
    // Offsets in the header point at the tensor's name ("a" starts at byte 1 of the JSON).
    await formatError(() => readSafetensors(handmade({ a: { shape: [1], data_offsets: [0, 4] } }, 4)), 9, /tensor "a": missing or non-string dtype/);
    await formatError(() => readSafetensors(handmade({ a: { dtype: "F32", data_offsets: [0, 4] } }, 4)), 9, /tensor "a": shape must be a list of non-negative integers, got undefined/);
    await formatError(() => readSafetensors(handmade({ a: { dtype: "F32", shape: [1.5], data_offsets: [0, 4] } }, 4)), 9, /shape must be a list/);
    await formatError(() => readSafetensors(handmade({ a: { dtype: "F32", shape: [1] } }, 4)), 9, /data_offsets must be \[begin, end\]/);
    await formatError(() => readSafetensors(handmade({ a: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, 4)), 9, /data_offsets must be \[begin, end\] with 0 <= begin <= end, got \[4,0\]/);
    await formatError(() => readSafetensors(handmade({ a: 5 })), 9, /tensor "a": expected an object/);
    await formatError(() => readSafetensors(handmade({ __metadata__: { k: 1 } })), 9, /metadata "k" must be a string, got 1/);
  });

  it("offsets out of range", async () => {
    const file = handmade({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } }, 8);
    const at = 8 + parts(file).text.indexOf('"b"');
    await formatError(() => readSafetensors(file), at, /tensor "b": data_offsets \[8, 12\] reach past the data section \(8 bytes/);
  });

  it("size not matching the shape", async () => {
    const file = handmade({ a: { dtype: "F32", shape: [2, 2], data_offsets: [0, 12] } }, 12);
    await formatError(() => readSafetensors(file), 8 + parts(file).n, /tensor "a": shape \[2,2\] of F32 needs 16 bytes, data_offsets \[0, 12\] hold 12/);
  });

  it("overlapping offsets, gaps, and bytes left over", async () => {
    const overlap = handmade({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, 12);
    await formatError(() => readSafetensors(overlap), 8 + parts(overlap).n + 4, /tensor "b" \(bytes \[4, 12\]\) overlaps tensor "a" \(which ends at 8\)/);
    const gap = handmade({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } }, 12);
    await formatError(() => readSafetensors(gap), 8 + parts(gap).n + 4, /gap in the data section: bytes \[4, 8\] belong to no tensor \(before tensor "b"\)/);
    const startGap = handmade({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, 8);
    await formatError(() => readSafetensors(startGap), 8 + parts(startGap).n, /gap in the data section: bytes \[0, 4\]/);
    const extra = handmade({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, 6);
    await formatError(() => readSafetensors(extra), 8 + parts(extra).n + 4, /data section has 6 bytes but the tensors cover only 4/);
    // Empty tensors may sit at a boundary, but not inside another tensor.
    const emptyOk = handmade({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, e: { dtype: "F32", shape: [0], data_offsets: [4, 4] } }, 4);
    expect(readSafetensors(emptyOk).tensors.e!.data.length).toBe(0);
    const emptyInside = handmade({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, e: { dtype: "F32", shape: [0], data_offsets: [4, 4] } }, 8);
    await formatError(() => readSafetensors(emptyInside), 8 + parts(emptyInside).n + 4, /tensor "e" .* overlaps tensor "a"/);
  });

  it("duplicate names (which JSON.parse would silently merge)", async () => {
    const text = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    await formatError(() => readSafetensors(handmade(text, 4)), 8 + text.lastIndexOf('"a"'), /duplicate key "a" \(first at byte 9\)/);
    // Nested keys and strings containing quotes and braces do not confuse the scan.
    const tricky = '{"x\\"}{":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"x\\"}{":"a,\\"b\\":{"}}';
    const back = readSafetensors(handmade(tricky, 4));
    expect(Object.keys(back.tensors)).toEqual(['x"}{']);
    expect(back.metadata).toEqual({ 'x"}{': 'a,"b":{' });
  });

  it("a __proto__ tensor name is an ordinary name", () => {
    const back = readSafetensors(handmade('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4));
    expect(Object.keys(back.tensors)).toEqual(["__proto__"]);
    const again = readSafetensors(writeSafetensors(back.tensors));
    expect(Object.keys(again.tensors)).toEqual(["__proto__"]);
  });
});

