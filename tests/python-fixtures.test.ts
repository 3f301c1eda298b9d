// Files written by numpy and by Python (tests/fixtures/python/make_fixtures.py), committed, so these
// comparisons with Python's own writers run on machines with neither python3 nor numpy. The live
// cross-checks (Python reading what we write) are in npy.test.ts and safetensors.test.ts and run
// where python3 is present.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readNpy, readSafetensors, writeNpy, writeSafetensors } from "../src/io/index.js";

const dir = new URL("./fixtures/python/", import.meta.url);
const read = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const manifest = JSON.parse(readFileSync(new URL("manifest.json", dir), "utf8")) as {
  numpy: string;
  npy: Record<string, { descr: string; shape: number[]; fortran: boolean; bits: number[]; writerCheck: boolean }>;
  safetensors: Record<string, { metadata: Record<string, string>; tensors: Record<string, { shape: number[]; bits: number[] }> }>;
};
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const fromBits = (b: number[]) => new Float32Array(new Uint32Array(b).buffer);

describe(`.npy files written by numpy ${manifest.numpy}`, () => {
  const entries = Object.entries(manifest.npy);

  it("the manifest lists every committed .npy file, all 21 dtypes in both memory orders", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".npy")).map((f) => f.slice(0, -4)).sort();
    expect(files).toEqual(entries.map(([n]) => n).sort());
    expect(entries.filter(([n]) => n.startsWith("f_")).every(([, m]) => m.fortran)).toBe(true);
    expect(entries.filter(([n]) => n.startsWith("f_"))).toHaveLength(21);
  });

  it.each(entries)("readNpy reads %s: dtype, shape, order and every value as float32", (name, m) => {
    const a = readNpy(read(`${name}.npy`));
    expect(a.dtype).toBe(m.descr);
    expect(a.shape).toEqual(m.shape);
    expect(a.fortranOrder).toBe(m.fortran);
    expect(bits(a.data)).toEqual(m.bits);
  });

  const writerCases = entries.filter(([, m]) => m.writerCheck);
  it.each(writerCases)("writeNpy writes exactly numpy.save's bytes for %s", (name, m) => {
    expect(writerCases.length).toBeGreaterThanOrEqual(9);
    const ours = writeNpy(fromBits(m.bits), m.shape);
    expect(Buffer.from(ours).equals(Buffer.from(read(`${name}.npy`)))).toBe(true);
  });
});

describe("a safetensors file written by Python", () => {
  const m = manifest.safetensors.model!;

  it("readSafetensors reads its tensors and UTF-8 metadata", () => {
    const file = readSafetensors(read("model.safetensors"));
    expect(file.metadata).toEqual(m.metadata);
    expect(Object.keys(file.tensors).sort()).toEqual(Object.keys(m.tensors).sort());
    for (const [name, t] of Object.entries(m.tensors)) {
      expect(file.tensors[name]!.shape, name).toEqual(t.shape);
      expect(bits(file.tensors[name]!.data), name).toEqual(t.bits);
    }
  });

  it("writeSafetensors, given the same tensors and metadata, writes a file that reads back identically", () => {
    const tensors = Object.fromEntries(Object.entries(m.tensors).map(([k, t]) => [k, { shape: t.shape, data: fromBits(t.bits) }]));
    const back = readSafetensors(writeSafetensors(tensors, m.metadata));
    const python = readSafetensors(read("model.safetensors"));
    for (const name of Object.keys(m.tensors)) expect(bits(back.tensors[name]!.data)).toEqual(bits(python.tensors[name]!.data));
    expect(back.metadata).toEqual(python.metadata);
  });
});
