// Gzipped text from an untrusted source (issue 9's rule: no allocation larger than the file justifies):
// a gzip file can expand about 1000×, so decodeGzippedText bounds the decompressed size by `maxBytes`,
// refuses a trailer that announces more before decompressing, and stops a stream that lies about it.

import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ArgumentError, FormatError, TEXT_DEFAULT_MAX_BYTES, decodeGzippedText } from "../src/index.js";

/** Bytes 0–3 from the end are ISIZE (little-endian): overwrite them to make the trailer lie. */
function withIsize(gz: Uint8Array, isize: number): Uint8Array {
  const out = Uint8Array.from(gz);
  new DataView(out.buffer).setUint32(out.length - 4, isize, true);
  return out;
}

describe("decodeGzippedText limits", () => {
  const text = "In the beginning was the word. ".repeat(1000); // 31,000 bytes
  const gz = new Uint8Array(gzipSync(text));

  it("decodes within the limit, including exactly at it", async () => {
    expect(await decodeGzippedText(gz)).toBe(text);
    expect(await decodeGzippedText(gz, "t", { maxBytes: text.length })).toBe(text);
    expect(TEXT_DEFAULT_MAX_BYTES).toBe(2 ** 29);
  });

  it("refuses a file whose trailer announces more than maxBytes, before decompressing, naming the offset", async () => {
    const err = await decodeGzippedText(gz, "corpus.gz", { maxBytes: text.length - 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toBe(`corpus.gz: the gzip trailer says it decompresses to ${text.length} bytes (mod 2^32), more than maxBytes = ${text.length - 1} (at byte offset ${gz.length - 4})`);
    expect((err as FormatError).offset).toBe(gz.length - 4);
  });

  it("stops a gzip bomb whose trailer lies (64 MiB of zeros in 64 KiB, trailer says 10) at maxBytes, holding little", async () => {
    const bomb = withIsize(new Uint8Array(gzipSync(new Uint8Array(64 * 2 ** 20), { level: 9 })), 10);
    expect(bomb.length).toBeLessThan(128 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    const err = await decodeGzippedText(bomb, "bomb.gz", { maxBytes: 2 ** 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toMatch(/^bomb\.gz: decompresses to more than maxBytes = 1048576 bytes \(the trailer said 10\); stopped there/);
    // What was decompressed before the stop is at most maxBytes plus one chunk (64 KiB), not 64 MiB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 2 ** 20);
  });

  it("a trailer that understates the size is a typed error when within the limit (the stream's own size check)", async () => {
    const err = await decodeGzippedText(withIsize(gz, 5), "t").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toMatch(/^t: the gzip stream is corrupt or truncated after \d+ decompressed bytes/);
  });

  it("rejects a maxBytes that is not a non-negative integer", async () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      await expect(decodeGzippedText(gz, "t", { maxBytes: bad })).rejects.toBeInstanceOf(ArgumentError);
    }
  });
});
