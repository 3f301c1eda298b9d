// Text for the transformer: the embedded corpus (the King James Bible, Genesis 1:1 – Esther 10:3,
// about 1.9 MB of plain text shipped gzipped in data/corpus/kjv.txt.gz; see data/corpus/README.md),
// UTF-8 text files, and a train/validation split.
//
// Only web APIs (TextDecoder, DecompressionStream); files are read through the host platform
// (`#simdnet/platform`: node:fs in Node, fetch in browsers), so this file runs unchanged in browsers.
// Depends only on runtime/.

import { platform } from "#simdnet/platform";
import { ArgumentError, FormatError, SimdnetError } from "../runtime/errors.js";

/** What the embedded corpus is, for logs and UIs. */
export const EMBEDDED_CORPUS_DESCRIPTION =
  "The King James Bible (public domain), Genesis 1:1 to Esther 10:3, one verse per line, from Debian's bible-kjv 4.38";

// Relative to src/data/ and dist/data/; a literal, so that bundlers emit the file as an asset.
const corpusUrl = () => new URL("../../data/corpus/kjv.txt.gz", import.meta.url);

/**
 * Where the first ill-formed UTF-8 sequence starts in `bytes` (the byte a strict decoder rejects
 * first: a stray continuation byte, an overlong or surrogate encoding, a code point above U+10FFFF,
 * or a sequence cut off by the end), or -1 if the bytes are valid UTF-8.
 */
export function findInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // UTF-16 surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i; // 0x80–0xC1 (continuation or overlong lead), 0xF5–0xFF
    if (i + need >= n) return i; // cut off by the end of the data
    const second = bytes[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) {
      const c = bytes[i + k]!;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Strict UTF-8 → string (a leading byte-order mark is dropped). Invalid UTF-8 throws a FormatError
 * whose `offset` is the byte where the first ill-formed sequence starts; `source` names the data in
 * the message (a file path, a URL).
 */
export function decodeUtf8(bytes: Uint8Array, source = "text"): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (cause) {
    const offset = findInvalidUtf8(bytes);
    const at = offset < 0 ? 0 : offset;
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
    const shown = Array.from(bytes.subarray(at, Math.min(at + 4, bytes.length)), (b) => `0x${b.toString(16).toUpperCase().padStart(2, "0")}`);
    throw new FormatError(`${source}: not valid UTF-8: ill-formed byte sequence starting ${shown.join(" ")} on line ${line}`, at, { cause });
  }
}

/**
 * The most decompressed bytes decodeGzippedText accepts by default: 512 MiB, about V8's longest string
 * (2^29 − 24 UTF-16 units), so more could not become one string anyway.
 */
export const TEXT_DEFAULT_MAX_BYTES = 2 ** 29;

export interface GzippedTextOptions {
  /**
   * Refuse a file that decompresses to more than this many bytes (default TEXT_DEFAULT_MAX_BYTES). A
   * gzip file can expand about 1000×, so this, not the file's size, bounds what an untrusted file costs.
   */
  maxBytes?: number;
}

/**
 * Gunzip and decode UTF-8 text with web APIs (DecompressionStream), in Node or a browser, e.g. the
 * bytes of a fetched `kjv.txt.gz`. A corrupt or truncated gzip stream throws a FormatError, and so does
 * one that decompresses to more than `maxBytes`: decompression stops there, before the rest is held.
 */
export async function decodeGzippedText(bytes: Uint8Array, source = "gzipped text", options: GzippedTextOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? TEXT_DEFAULT_MAX_BYTES;
  if (!(Number.isInteger(maxBytes) && maxBytes >= 0)) {
    throw new ArgumentError(`decodeGzippedText: maxBytes must be an integer >= 0, got ${String(maxBytes)}`);
  }
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw new FormatError(`${source}: not a gzip file (${bytes.length < 18 ? `only ${bytes.length} bytes` : "no gzip magic bytes 1F 8B"})`, 0);
  }
  // The trailer's ISIZE is the uncompressed size mod 2^32: a file that says it is too big is refused
  // before anything is decompressed (one that lies is caught while decompressing, below).
  const isizeAt = bytes.length - 4;
  const isize = new DataView(bytes.buffer, bytes.byteOffset + isizeAt, 4).getUint32(0, true);
  if (isize > maxBytes) {
    throw new FormatError(`${source}: the gzip trailer says it decompresses to ${isize} bytes (mod 2^32), more than maxBytes = ${maxBytes}`, isizeAt);
  }
  if (typeof DecompressionStream === "undefined") {
    throw new SimdnetError(`${source}: cannot decompress: this JavaScript runtime has no DecompressionStream`);
  }
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch (cause) {
      throw new FormatError(`${source}: the gzip stream is corrupt or truncated after ${total} decompressed bytes: ${(cause as Error).message}`, 0, { cause });
    }
    if (result.done) break;
    total += result.value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new FormatError(`${source}: decompresses to more than maxBytes = ${maxBytes} bytes (the trailer said ${isize}); stopped there`, 0);
    }
    chunks.push(result.value);
  }
  // DecompressionStream has checked the CRC; the size must match the trailer too.
  if (isize !== total % 2 ** 32) {
    throw new FormatError(`${source}: decompressed to ${total} bytes but the gzip trailer says ${isize} (mod 2^32); more than one gzip member or trailing data?`, isizeAt);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return decodeUtf8(all, source);
}

let corpusCache: Promise<string> | undefined;

async function readCorpus(): Promise<string> {
  let where = "data/corpus/kjv.txt.gz in the simdnet package";
  let bytes: Uint8Array;
  try {
    const url = corpusUrl(); // throws where import.meta.url is gone (an esbuild iife bundle)
    where = platform.describeUrl(url);
    bytes = await platform.readUrl(url);
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    throw new SimdnetError(
      code === "ENOENT"
        ? `loadEmbeddedCorpus: the corpus file is missing: ${where} (it ships with simdnet in data/corpus/; reinstall the package, or regenerate it with scripts/make-corpus.sh)`
        : `loadEmbeddedCorpus: cannot load ${where}: ${code ?? (cause as Error).message} (with a bundler that does not emit ` +
          "files referenced as new URL(…, import.meta.url), such as esbuild, fetch kjv.txt.gz yourself and pass its bytes to decodeGzippedText)",
      { cause },
    );
  }
  // A server may send the .gz file with `Content-Encoding: gzip` (Vite's dev server does), and the
  // browser then hands over the text already decompressed: take it as it is.
  if (bytes.length >= 2 && !(bytes[0] === 0x1f && bytes[1] === 0x8b)) return decodeUtf8(bytes, where);
  return decodeGzippedText(bytes, where);
}

/**
 * The embedded text corpus (see EMBEDDED_CORPUS_DESCRIPTION and data/corpus/README.md), about 1.9 MB
 * of plain ASCII text, one verse per line: read from the package in Node, fetched relative to this
 * module in browsers (517 KB gzipped). Loaded once per process or page.
 */
export async function loadEmbeddedCorpus(): Promise<string> {
  corpusCache ??= readCorpus();
  try {
    return await corpusCache;
  } catch (error) {
    corpusCache = undefined; // a later call may succeed (e.g. after the file is restored)
    throw error;
  }
}

/**
 * Node only: a UTF-8 text file as a string (a leading byte-order mark is dropped). Invalid UTF-8 is
 * a FormatError whose `offset` is the byte where the first ill-formed sequence starts.
 */
export async function readTextFile(path: string): Promise<string> {
  if (typeof path !== "string" || path.length === 0) throw new ArgumentError(`readTextFile: path must be a non-empty string, got ${JSON.stringify(path)}`);
  if (!platform.readFile) throw new SimdnetError("readTextFile reads from the file system and needs Node; in a browser, decode fetched bytes with decodeUtf8");
  let bytes: Uint8Array;
  try {
    bytes = await platform.readFile(path);
  } catch (cause) {
    throw new SimdnetError(`readTextFile: cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  return decodeUtf8(bytes, path);
}

/**
 * Hold out the last `heldOutFraction` of `text` for validation: validation gets the last
 * round(fraction × N) of its N code points, train the rest. The cut never splits a surrogate pair.
 */
export function splitText(text: string, heldOutFraction = 0.1): { train: string; validation: string } {
  if (typeof text !== "string") throw new ArgumentError(`splitText: text must be a string, got ${typeof text}`);
  if (typeof heldOutFraction !== "number" || !(heldOutFraction >= 0 && heldOutFraction <= 1)) {
    throw new ArgumentError(`splitText: heldOutFraction must be a number in [0, 1], got ${String(heldOutFraction)}`);
  }
  const isPair = (i: number) => {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= text.length) return false;
    const d = text.charCodeAt(i + 1);
    return d >= 0xdc00 && d <= 0xdfff;
  };
  let codePoints = 0;
  for (let i = 0; i < text.length; i += isPair(i) ? 2 : 1) codePoints++;
  const trainCodePoints = codePoints - Math.round(heldOutFraction * codePoints);
  let cut = 0;
  for (let k = 0; k < trainCodePoints; k++) cut += isPair(cut) ? 2 : 1;
  return { train: text.slice(0, cut), validation: text.slice(cut) };
}
