import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { ArgumentError, FormatError, SimdnetError } from "../src/runtime/errors.js";
import {
  decodeGzippedText, decodeUtf8, EMBEDDED_CORPUS_DESCRIPTION, findInvalidUtf8, loadEmbeddedCorpus, readTextFile, splitText,
} from "../src/data/text.js";
import { Tokenizer } from "../src/transformer/tokenizer.js";

const scratch = mkdtempSync(join(tmpdir(), "simdnet-text-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("loadEmbeddedCorpus", () => {
  it("loads over 1 MB of text that starts with Genesis 1:1 and has a small character vocabulary", async () => {
    const text = await loadEmbeddedCorpus();
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(text.length).toBe(1_888_024); // data/corpus/README.md
    expect(text.startsWith("In the beginning God created the heaven and the earth.\nAnd the earth was without form")).toBe(true);
    expect(text.endsWith("speaking peace to all his seed.\n")).toBe(true); // Esther 10:3
    expect(text.split("\n").length - 1).toBe(12_870);
    expect(text).not.toContain("\r");
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
    const chars = Tokenizer.characters(text);
    expect(chars.vocabSize).toBeLessThan(100);
    expect(chars.vocabSize).toBe(62);
    expect(Tokenizer.words(text).vocabSize).toBeGreaterThan(10_000);
    expect(await loadEmbeddedCorpus()).toBe(text); // cached
    expect(EMBEDDED_CORPUS_DESCRIPTION).toContain("King James");
  });

  it("reports a missing corpus file with SimdnetError and a corrupt one with FormatError", async () => {
    // A copy of the loader in a scratch tree, so the shipped file is not touched.
    const root = join(scratch, "pkg");
    mkdirSync(join(root, "src", "data"), { recursive: true });
    mkdirSync(join(root, "src", "runtime"), { recursive: true });
    copyFileSync(new URL("../src/data/text.ts", import.meta.url), join(root, "src", "data", "text.ts"));
    copyFileSync(new URL("../src/runtime/errors.ts", import.meta.url), join(root, "src", "runtime", "errors.ts"));
    // The loader reads through `#simdnet/platform`, which the copy's own package.json maps.
    mkdirSync(join(root, "src", "runtime", "platform"), { recursive: true });
    for (const f of ["node.ts", "types.ts"]) {
      copyFileSync(new URL(`../src/runtime/platform/${f}`, import.meta.url), join(root, "src", "runtime", "platform", f));
    }
    writeFileSync(join(root, "package.json"), JSON.stringify({ type: "module", imports: { "#simdnet/platform": "./src/runtime/platform/node.ts" } }));
    const copy = (await import(join(root, "src", "data", "text.ts"))) as typeof import("../src/data/text.js");

    const missing = await rejection(copy.loadEmbeddedCorpus());
    expect(missing.name).toBe("SimdnetError");
    expect(missing.message).toContain("missing");
    expect(missing.message).toContain(join(root, "data", "corpus", "kjv.txt.gz"));

    mkdirSync(join(root, "data", "corpus"), { recursive: true });
    const good = gzipSync(Buffer.from("In the beginning\n"));
    const corrupt = Buffer.from(good);
    corrupt[12] ^= 0xff;
    writeFileSync(join(root, "data", "corpus", "kjv.txt.gz"), corrupt);
    const bad = await rejection(copy.loadEmbeddedCorpus());
    expect(bad.name).toBe("FormatError");
    expect(bad.message).toContain("kjv.txt.gz");

    writeFileSync(join(root, "data", "corpus", "kjv.txt.gz"), good); // not cached after a failure
    expect(await copy.loadEmbeddedCorpus()).toBe("In the beginning\n");
  });
});

describe("decodeGzippedText", () => {
  it("round-trips UTF-8 text through gzip, and rejects non-gzip, corrupt and truncated data", async () => {
    const text = "Ça va? 🐱 太初有道\n".repeat(1000);
    expect(await decodeGzippedText(gzipSync(Buffer.from(text)))).toBe(text);
    expect(await decodeGzippedText(new Uint8Array(readFileSync(new URL("../data/corpus/kjv.txt.gz", import.meta.url))))).toBe(
      await loadEmbeddedCorpus(),
    );

    const gz = gzipSync(Buffer.from(text));
    const notGzip = await rejection(decodeGzippedText(Buffer.from(text)));
    expect(notGzip).toBeInstanceOf(FormatError);
    expect(notGzip.message).toContain("not a gzip file");
    const flipped = Buffer.from(gz);
    flipped[gz.length >> 1] ^= 0x55;
    expect(await rejection(decodeGzippedText(flipped))).toBeInstanceOf(FormatError);
    expect(await rejection(decodeGzippedText(gz.subarray(0, gz.length - 10)))).toBeInstanceOf(FormatError);
    const invalidUtf8 = await rejection(decodeGzippedText(gzipSync(Buffer.from([0x61, 0x62, 0xff, 0x63])), "x.gz"));
    expect(invalidUtf8).toBeInstanceOf(FormatError);
    expect((invalidUtf8 as FormatError).offset).toBe(2);
  });
});

describe("readTextFile and decodeUtf8", () => {
  it("reads UTF-8 files (dropping a byte-order mark)", async () => {
    const path = join(scratch, "ok.txt");
    writeFileSync(path, "\uFEFFhé 🐱\n太初\n", "utf8");
    expect(await readTextFile(path)).toBe("hé 🐱\n太初\n");
    writeFileSync(join(scratch, "empty.txt"), "");
    expect(await readTextFile(join(scratch, "empty.txt"))).toBe("");
  });

  it("rejects invalid UTF-8 with a FormatError naming the byte offset", async () => {
    const cases: [number[], number][] = [
      [[0x61, 0x62, 0x80, 0x63], 2], // stray continuation byte
      [[0x61, 0x0a, 0x62, 0xc3, 0x28], 3], // lead byte followed by a non-continuation
      [[0xc3, 0xa9, 0xc0, 0xaf], 2], // overlong encoding of "/"
      [[0x61, 0xe0, 0x80, 0xaf], 1], // overlong three-byte form
      [[0xed, 0xa0, 0x80], 0], // UTF-16 surrogate U+D800
      [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
      [[0x41, 0xf5, 0x80, 0x80, 0x80], 1], // F5 can never start a sequence
      [[0x61, 0x62, 0x63, 0xf0, 0x9f, 0x90], 3], // emoji cut off by the end of the file
      [[0xe2, 0x82, 0xac, 0x20, 0xff], 4], // € then 0xFF
    ];
    for (const [index, [bytes, offset]] of cases.entries()) {
      const data = new Uint8Array(bytes);
      expect(findInvalidUtf8(data), bytes.join(",")).toBe(offset);
      const path = join(scratch, `bad-${index}.txt`);
      writeFileSync(path, data);
      const error = await rejection(readTextFile(path));
      expect(error, bytes.join(",")).toBeInstanceOf(FormatError);
      expect((error as FormatError).offset).toBe(offset);
      expect(error.message).toContain(`byte offset ${offset}`);
      expect(error.message).toContain(path);
      expect(() => decodeUtf8(data)).toThrow(FormatError);
    }
    const lines = await rejection(readTextFile(join(scratch, "bad-1.txt")));
    expect(lines.message).toContain("0xC3 0x28");
    expect(lines.message).toContain("line 2");
  });

  it("agrees with the strict TextDecoder on random byte strings", () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    const decoder = new TextDecoder("utf-8", { fatal: true });
    for (let trial = 0; trial < 3000; trial++) {
      const bytes = Uint8Array.from({ length: 1 + (trial % 12) }, () => {
        const b = next();
        return trial % 3 === 0 ? b : b | 0x80; // mostly high bytes: many multi-byte cases
      });
      let valid = true;
      try {
        decoder.decode(bytes);
      } catch {
        valid = false;
      }
      const offset = findInvalidUtf8(bytes);
      expect(offset === -1, Array.from(bytes).join(",")).toBe(valid);
      if (!valid) {
        // The prefix before the offset is valid, and the decoder fails on what starts there.
        expect(() => decoder.decode(bytes.subarray(0, offset))).not.toThrow();
      }
    }
  });

  it("reports missing files and bad paths", async () => {
    expect(await rejection(readTextFile(join(scratch, "nope.txt")))).toBeInstanceOf(SimdnetError);
    expect(await rejection(readTextFile(""))).toBeInstanceOf(ArgumentError);
  });
});

describe("splitText", () => {
  it("holds out the last fraction of the code points", () => {
    const text = "0123456789";
    expect(splitText(text)).toEqual({ train: "012345678", validation: "9" });
    expect(splitText(text, 0.25)).toEqual({ train: "0123456", validation: "789" }); // Math.round(2.5) = 3
    expect(splitText(text, 0.5)).toEqual({ train: "01234", validation: "56789" });
  });

  it("never splits a surrogate pair and counts emoji as one code point", () => {
    const text = "ab🐱cd🐶ef🐭gh"; // 11 code points, 14 UTF-16 units
    for (let f = 0; f <= 1.0001; f += 0.05) {
      const fraction = Math.min(f, 1);
      const { train, validation } = splitText(text, fraction);
      expect(train + validation).toBe(text);
      expect([...validation].length).toBe(Math.round(fraction * 11));
      expect(/[\uD800-\uDFFF]/u.test(train)).toBe(false); // no lone surrogates
      expect(/[\uD800-\uDFFF]/u.test(validation)).toBe(false);
    }
  });

  it("splits the corpus 90/10 and handles edge cases", async () => {
    const text = await loadEmbeddedCorpus();
    const { train, validation } = splitText(text);
    expect(validation.length).toBe(Math.round(text.length * 0.1));
    expect(train.length + validation.length).toBe(text.length);
    expect(splitText("", 0.5)).toEqual({ train: "", validation: "" });
    expect(splitText("abc", 0)).toEqual({ train: "abc", validation: "" });
    expect(splitText("abc", 1)).toEqual({ train: "", validation: "abc" });
    for (const bad of [-0.1, 1.5, Number.NaN]) expect(() => splitText("abc", bad)).toThrow(ArgumentError);
  });
});
