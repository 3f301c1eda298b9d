import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { FormatError } from "../src/runtime/errors.js";
import { imagesAndLabels, loadIdxDir, oneHot, readIdx, readIdxSync, type IdxArray } from "../src/data/index.js";
import { formatError } from "./helpers/format-error.js";

// ---- building IDX files by hand (independent of the reader) ----

const CODES = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e } as const;
const SIZES = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 } as const;

function idx(dtype: keyof typeof CODES, shape: number[], values: number[]): Uint8Array {
  const size = SIZES[dtype];
  const out = new Uint8Array(4 + 4 * shape.length + values.length * size);
  const v = new DataView(out.buffer);
  out[2] = CODES[dtype];
  out[3] = shape.length;
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  let at = 4 + 4 * shape.length;
  for (const x of values) {
    switch (dtype) {
      case "uint8": v.setUint8(at, x); break;
      case "int8": v.setInt8(at, x); break;
      case "int16": v.setInt16(at, x, false); break;
      case "int32": v.setInt32(at, x, false); break;
      case "float32": v.setFloat32(at, x, false); break;
      case "float64": v.setFloat64(at, x, false); break;
    }
    at += size;
  }
  return out;
}

/** Raw header bytes: magic then big-endian dimensions. */
function head(type: number, dims: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d, false));
  return out;
}

const gz = (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes));
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
/** Overwrite a gzip file's ISIZE trailer field (uncompressed size mod 2^32). */
function setIsize(file: Uint8Array, isize: number): Uint8Array {
  const out = file.slice();
  new DataView(out.buffer).setUint32(out.length - 4, isize >>> 0, true);
  return out;
}


const pixels = Array.from({ length: 3 * 4 * 5 }, (_, i) => (i * 37 + 11) % 256);

describe("readIdx: valid files", () => {
  it("reads uint8 images 3×4×5, plain and gzipped, exactly", async () => {
    const file = idx("uint8", [3, 4, 5], pixels);
    for (const bytes of [file, gz(file)]) {
      const a = await readIdx(bytes);
      expect(a.dtype).toBe("uint8");
      expect(a.shape).toEqual([3, 4, 5]);
      expect(a.data).toBeInstanceOf(Uint8Array);
      expect(Array.from(a.data)).toEqual(pixels);
    }
    const s = readIdxSync(file);
    expect(Array.from(s.data)).toEqual(pixels);
    // A copy, not a view on the caller's bytes.
    file[16] ^= 0xff;
    expect(s.data[0]).toBe(pixels[0]);
  });

  it("reads labels (rank 1) and int8", async () => {
    const labels = await readIdx(gz(idx("uint8", [7], [0, 1, 2, 9, 5, 3, 3])));
    expect(labels.shape).toEqual([7]);
    expect(Array.from(labels.data)).toEqual([0, 1, 2, 9, 5, 3, 3]);
    const i8 = readIdxSync(idx("int8", [4], [-128, -1, 0, 127]));
    expect(i8.data).toBeInstanceOf(Int8Array);
    expect(Array.from(i8.data)).toEqual([-128, -1, 0, 127]);
  });

  it("decodes big-endian int16, int32, float32, float64 (plain and gzipped)", async () => {
    const cases: [keyof typeof CODES, number[], Function][] = [
      ["int16", [-32768, -2, -1, 0, 1, 258, 32767], Int16Array],
      ["int32", [-(2 ** 31), -65536, -1, 0, 1, 0x01020304, 2 ** 31 - 1], Int32Array],
      ["float32", [0, -0, 1.5, -3.25, Math.fround(0.1), Infinity, -Infinity, Math.fround(1e-45), Math.fround(-1.2e-38), 3.4028234663852886e38], Float32Array],
      ["float64", [0, -0, 0.1, -1e300, 5e-324, Math.PI, Infinity], Float64Array],
    ];
    for (const [dtype, values, ctor] of cases) {
      const file = idx(dtype, [values.length], values);
      for (const bytes of [file, gz(file)]) {
        const a = await readIdx(bytes);
        expect(a.dtype).toBe(dtype);
        expect(a.data).toBeInstanceOf(ctor);
        expect(Array.from(a.data)).toEqual(values);
        expect(Object.is(a.data[1], values[1]), `${dtype} -0`).toBe(true);
      }
    }
    // The big-endian byte order explicitly: 0x0102 is 258, not 513.
    const raw = cat(head(0x0b, [1]), new Uint8Array([0x01, 0x02]));
    expect(readIdxSync(raw).data[0]).toBe(258);
  });

  it("keeps float32 NaN payloads", async () => {
    const file = cat(head(0x0d, [2]), new Uint8Array([0x7f, 0xc0, 0x12, 0x34, 0xff, 0x80, 0x00, 0x01]));
    for (const bytes of [file, gz(file)]) {
      const a = await readIdx(bytes);
      expect(Array.from(new Uint32Array((a.data as Float32Array).slice().buffer))).toEqual([0x7fc01234, 0xff800001]);
    }
  });

  it("reads rank 2 float32 with odd sizes, and an empty array", async () => {
    const values = Array.from({ length: 3 * 7 }, (_, i) => Math.fround(i / 7 - 1));
    const a = await readIdx(gz(idx("float32", [3, 7], values)));
    expect(a.shape).toEqual([3, 7]);
    expect(Array.from(a.data)).toEqual(values);
    const empty = await readIdx(gz(idx("float64", [0, 5], [])));
    expect(empty.shape).toEqual([0, 5]);
    expect(empty.data.length).toBe(0);
  });

  it("reads a gzipped file larger than one decompressor chunk", async () => {
    const n = 300_000;
    const values = Array.from({ length: n }, (_, i) => (i * 7919) % 65536 - 32768);
    const a = await readIdx(gz(idx("int16", [n], values)));
    expect(a.data.length).toBe(n);
    expect(a.data[0]).toBe(values[0]);
    expect(a.data[n - 1]).toBe(values[n - 1]);
    expect(Array.from(a.data.subarray(123_456, 123_466))).toEqual(values.slice(123_456, 123_466));
  });
});

describe("readIdx: the caller's bytes as Buffer, Uint8Array or a view at an odd offset", () => {
  // A file as fs.readFileSync returns it (a Buffer, possibly inside Node's shared pool), and as a
  // view at an odd offset inside a larger buffer fenced with bytes that must never be read or written.
  function asCallerViews(file: Uint8Array): { name: string; bytes: Uint8Array; fence: () => boolean }[] {
    const fenced = new Uint8Array(file.length + 13);
    fenced.fill(0xa5);
    fenced.set(file, 7);
    const view = fenced.subarray(7, 7 + file.length);
    const fenceIntact = () => fenced.subarray(0, 7).every((b) => b === 0xa5) && fenced.subarray(7 + file.length).every((b) => b === 0xa5);
    const pooled = Buffer.from(file); // small Buffers come from the shared pool: byteOffset != 0
    return [
      { name: "Uint8Array", bytes: file.slice(), fence: () => true },
      { name: "Buffer", bytes: pooled, fence: () => true },
      { name: "odd-offset view", bytes: view, fence: fenceIntact },
    ];
  }

  it("decodes every dtype the same way and leaves the input untouched", async () => {
    const cases: [keyof typeof CODES, number[]][] = [
      ["uint8", [0, 1, 255, 7]],
      ["int8", [-128, -1, 0, 127]],
      ["int16", [-32768, 258, 1, 32767]],
      ["int32", [-(2 ** 31), 0x01020304, -1, 7]],
      ["float32", [1, 2, 3, 4]],
      ["float64", [0.1, -2.5, 1e300, 4]],
    ];
    for (const [dtype, values] of cases) {
      for (const gzipped of [false, true]) {
        const file = gzipped ? gz(idx(dtype, [values.length], values)) : idx(dtype, [values.length], values);
        for (const { name, bytes, fence } of asCallerViews(file)) {
          const before = Array.from(bytes);
          const results = gzipped ? [await readIdx(bytes)] : [await readIdx(bytes), readIdxSync(bytes)];
          for (const a of results) {
            expect(Array.from(a.data), `${dtype} ${name} gz=${gzipped}`).toEqual(values);
          }
          expect(Array.from(bytes), `${dtype} ${name}: input unchanged`).toEqual(before);
          expect(fence(), `${dtype} ${name}: fence intact`).toBe(true);
        }
      }
    }
  });
});

describe("readIdx: malformed files raise FormatError with the offset", () => {
  it("wrong magic: non-zero first bytes, unknown type code, rank 0", async () => {
    await formatError(() => readIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0])), 0, /byte 0 must be 0x00, got 0x01/);
    await formatError(() => readIdx(new Uint8Array([0, 3, 8, 1, 0, 0, 0, 0])), 1, /byte 1 must be 0x00, got 0x03/);
    await formatError(() => readIdx(new Uint8Array([0, 0, 0x0a, 1, 0, 0, 0, 0])), 2, /unknown type code 0x0a, expected one of 0x08/);
    await formatError(() => readIdx(new Uint8Array([0, 0, 8, 0])), 3, /rank .* at least 1, got 0/);
    // The same checks inside a gzip stream.
    await formatError(() => readIdx(gz(new Uint8Array([0, 0, 0x07, 1, 0, 0, 0, 1, 5]))), 2, /decompressed IDX data.*unknown type code 0x07/);
    // Gzip bytes given to the synchronous reader: a hint, not a mystery.
    await formatError(() => readIdxSync(gz(idx("uint8", [1], [1]))), 0, /byte 0 must be 0x00, got 0x1f .*gzip.*readIdx/);
  });

  it("truncated header", async () => {
    await formatError(() => readIdx(new Uint8Array([0, 0])), 2, /truncated header: the 4-byte magic needs 4 bytes, the data has 2/);
    await formatError(() => readIdx(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0])), 8, /truncated header: dimension 1 of 3 .*needs 16 bytes and the data has 10/);
    await formatError(() => readIdx(gz(new Uint8Array([0, 0, 8, 2, 0, 0, 0, 2]))), 8, /decompressed IDX data: truncated header: dimension 1 of 2/);
  });

  it("dimension product beyond 2^53 or beyond maxBytes", async () => {
    const huge = head(0x08, [0xffffffff, 0xffffffff, 0xffffffff]);
    await formatError(() => readIdx(huge, { maxBytes: Infinity }), 8, /dimensions \[4294967295,4294967295\]… multiply to more than 2\^53 elements/);
    await formatError(() => readIdx(huge), 4, /dimensions \[4294967295\]… of uint8 need at least 4294967311 bytes, more than maxBytes/);
    const big = head(0x0e, [1024, 1024, 1024]); // 8 GiB of float64
    await formatError(() => readIdx(big), 12, /need at least 8589934608 bytes, more than maxBytes = 1073741824/);
    await formatError(() => readIdx(idx("uint8", [100], new Array(100).fill(0)), { maxBytes: 64 }), 4, /need at least 108 bytes, more than maxBytes = 64/);
  });

  it("data shorter or longer than the header promises", async () => {
    const file = idx("uint8", [3, 4, 5], pixels); // 16 + 60 bytes
    await formatError(() => readIdx(file.subarray(0, 70)), 70, /data too short: shape \[3,4,5\] of uint8 needs 60 data bytes \(76 in all\), got 54/);
    await formatError(() => readIdx(cat(file, new Uint8Array(3))), 76, /data too long: .*needs 60 data bytes \(76 in all\), got 63/);
    const f32 = idx("float32", [2, 3], [1, 2, 3, 4, 5, 6]); // 12 + 24
    await formatError(() => readIdx(f32.subarray(0, 35)), 35, /data too short: shape \[2,3\] of float32 needs 24/);
  });

  it("gzip: data shorter or longer than promised (trailer consistent) is refused", async () => {
    const short = cat(head(0x08, [3, 4, 5]), new Uint8Array(50)); // 66 of 76 bytes
    // ISIZE honestly says 66, the header says 76: refused as soon as the header is seen.
    await formatError(() => readIdx(gz(short)), gz(short).length - 4, /header promises 76 bytes .*gzip trailer says .* 66 bytes/);
    // Forge ISIZE to agree with the header: the decompressor's own length check (or ours) fails.
    const forged = setIsize(gz(short), 76);
    await expect(readIdx(forged)).rejects.toThrow(FormatError);
    await expect(readIdx(forged)).rejects.toThrow(/gzip stream is corrupt or truncated|data too short/);
  });

  it("gzip whose header promises 2^31 bytes: refused from a tiny file without allocating it", async () => {
    const file = gz(cat(head(0x08, [2 ** 31]), new Uint8Array(16)));
    expect(file.length).toBeLessThan(64);
    const before = process.memoryUsage().arrayBuffers;
    await formatError(() => readIdx(file), 4, /decompressed IDX data: dimensions \[2147483648\] of uint8 need at least 2147483656 bytes, more than maxBytes = 1073741824/);
    // With the limit lifted, the trailer (24 bytes) contradicts the header.
    await formatError(() => readIdx(file, { maxBytes: 2 ** 40 }), file.length - 4, /header promises 2147483656 bytes .* trailer says .* 24 bytes/);
    // With a forged trailer that agrees, decompression runs and finds the data short; nothing near 2 GiB is ever held.
    const forged = setIsize(file, 2 ** 31 + 8);
    await expect(readIdx(forged, { maxBytes: 2 ** 40 })).rejects.toThrow(/gzip stream is corrupt or truncated|data too short/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });

  it("gzip ISIZE above maxBytes is refused before decompressing", async () => {
    const file = setIsize(gz(idx("uint8", [4], [1, 2, 3, 4])), 2 ** 31);
    await formatError(() => readIdx(file), file.length - 4, /trailer says it decompresses to 2147483648 bytes .*more than maxBytes/);
  });

  it("gzip that decompresses to more than promised stops early", async () => {
    // Header promises 3×4×5 = 76 bytes; the stream holds 64 MiB. The trailer is forged to agree with
    // the header, so only the running count can catch it, and it must stop early.
    const payload = cat(idx("uint8", [3, 4, 5], pixels), new Uint8Array(64 * 2 ** 20));
    const file = setIsize(gz(payload), 76);
    expect(file.length).toBeLessThan(200_000);
    const before = process.memoryUsage().arrayBuffers;
    await formatError(() => readIdx(file), 76, /decompressed IDX data: data too long: more than the 76 bytes the IDX header promises \(shape \[3,4,5\] of uint8\); stopped decompressing after \d+/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(48 * 2 ** 20);
  });

  it("corrupt or truncated gzip stream", async () => {
    const file = gz(idx("uint8", [3, 4, 5], pixels));
    await formatError(() => readIdx(file.subarray(0, 12)), 12, /truncated: a gzip stream has at least 20 bytes, got 12/);
    // Deflate data cut short, trailer kept; or the trailer itself cut off: some FormatError, never garbage.
    const cut = cat(file.subarray(0, file.length - 12), file.subarray(file.length - 8));
    await expect(readIdx(cut)).rejects.toThrow(FormatError);
    await expect(readIdx(file.subarray(0, file.length - 3))).rejects.toThrow(FormatError);
    const badCrc = file.slice();
    badCrc[badCrc.length - 6] ^= 0xff; // CRC32
    await formatError(() => readIdx(badCrc), 0, /gzip stream is corrupt/);
  });
});

describe("imagesAndLabels, oneHot", () => {
  const images = readIdxSync(idx("uint8", [3, 4, 5], pixels));
  const labels = readIdxSync(idx("uint8", [3], [7, 0, 9]));

  it("scales pixels by 1/255 and keeps labels", () => {
    const d = imagesAndLabels(images, labels);
    expect([d.count, d.rows, d.cols]).toEqual([3, 4, 5]);
    expect(d.images).toBeInstanceOf(Float32Array);
    expect(Array.from(d.images)).toEqual(pixels.map((p) => Math.fround(p / 255)));
    expect(Array.from(d.labels)).toEqual([7, 0, 9]);
    expect(Math.min(...d.images)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...d.images)).toBeLessThanOrEqual(1);
  });

  it("label/image count mismatch names both counts", async () => {
    const four = readIdxSync(idx("uint8", [4], [1, 2, 3, 4]));
    await formatError(() => imagesAndLabels(images, four), 4, /4 labels but the images file has 3 images/);
  });

  it("wrong dtype, wrong rank, label >= 10", async () => {
    const f32: IdxArray = { dtype: "float32", shape: [3, 4, 5], data: new Float32Array(60) };
    await formatError(() => imagesAndLabels(f32, labels), 2, /images: expected uint8 pixels .*got float32/);
    const rank2 = readIdxSync(idx("uint8", [12, 5], pixels));
    await formatError(() => imagesAndLabels(rank2, labels), 3, /images: expected rank 3 .*got rank 2 with shape \[12,5\]/);
    const labels2 = readIdxSync(idx("uint8", [3, 1], [1, 2, 3]));
    await formatError(() => imagesAndLabels(images, labels2), 3, /labels: expected rank 1/);
    const bad = readIdxSync(idx("uint8", [3], [1, 10, 2]));
    await formatError(() => imagesAndLabels(images, bad), 9, /label 1 is 10, expected a class in 0..9/);
  });

  it("oneHot", () => {
    expect(Array.from(oneHot(new Uint8Array([2, 0]), 3))).toEqual([0, 0, 1, 1, 0, 0]);
    const h = oneHot(new Uint8Array([9, 4]));
    expect(h.length).toBe(20);
    expect(h[9]).toBe(1);
    expect(h[14]).toBe(1);
    expect(h.reduce((a, b) => a + b, 0)).toBe(2);
    expect(() => oneHot(new Uint8Array([3]), 3)).toThrow(/label 0 is 3, expected a class in 0..2/);
  });
});

describe("loadIdxDir", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const newDir = async () => {
    const d = await mkdtemp(join(tmpdir(), "simdnet-idx-"));
    dirs.push(d);
    return d;
  };
  const testPixels = Array.from({ length: 2 * 4 * 5 }, (_, i) => 255 - i);

  it("finds the four files in any of the usual spellings, gzipped or not", async () => {
    const dir = await newDir();
    await writeFile(join(dir, "train-images-idx3-ubyte.gz"), gz(idx("uint8", [3, 4, 5], pixels)));
    await writeFile(join(dir, "train-labels.idx1-ubyte"), idx("uint8", [3], [1, 2, 3]));
    await writeFile(join(dir, "t10k-images.idx3-ubyte.gz"), gz(idx("uint8", [2, 4, 5], testPixels)));
    await writeFile(join(dir, "t10k-labels-idx1-ubyte"), idx("uint8", [2], [9, 8]));
    const { train, test } = await loadIdxDir(dir);
    expect([train.count, train.rows, train.cols]).toEqual([3, 4, 5]);
    expect(Array.from(train.labels)).toEqual([1, 2, 3]);
    expect(train.images[5]).toBe(Math.fround(pixels[5]! / 255));
    expect(test.count).toBe(2);
    expect(Array.from(test.labels)).toEqual([9, 8]);
    expect(test.images[0]).toBe(1);
  });

  it("names the missing file, and the file a FormatError is about", async () => {
    const dir = await newDir();
    await writeFile(join(dir, "train-images-idx3-ubyte"), idx("uint8", [3, 4, 5], pixels));
    await writeFile(join(dir, "train-labels-idx1-ubyte"), idx("uint8", [2], [1, 2]));
    await writeFile(join(dir, "t10k-images-idx3-ubyte"), idx("uint8", [2, 4, 5], testPixels));
    await expect(loadIdxDir(dir)).rejects.toThrow(/t10k-labels-idx1-ubyte is missing from .*looked for t10k-labels-idx1-ubyte, t10k-labels-idx1-ubyte.gz, t10k-labels.idx1-ubyte, t10k-labels.idx1-ubyte.gz/);
    await writeFile(join(dir, "t10k-labels-idx1-ubyte"), idx("uint8", [2], [1, 2]).subarray(0, 9));
    const e = await formatError(() => loadIdxDir(dir), 9, /t10k-labels-idx1-ubyte: data too short/);
    expect(e.message.match(/at byte offset/g)).toHaveLength(1);
    await writeFile(join(dir, "t10k-labels-idx1-ubyte"), idx("uint8", [2], [1, 2]));
    await formatError(() => loadIdxDir(dir), 4, /train-labels-idx1-ubyte: labels: the labels file has 2 labels but the images file has 3 images/);
    await expect(loadIdxDir(join(dir, "nope"))).rejects.toThrow(/cannot read the directory .*nope: ENOENT/);
  });
});
