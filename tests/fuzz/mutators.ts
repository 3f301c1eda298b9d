// Mutations of valid files: byte-level (bit flips, bytes set to boundary values, truncation,
// appended junk, non-UTF-8 bytes) and text-level for the JSON inside headers and metadata (numbers
// replaced by huge, negative, non-integer or overflowing values; duplicated keys; deep nesting;
// strings changed; structure characters deleted).

import type { FuzzRandom } from "./random.js";

export function flipBits(rng: FuzzRandom, bytes: Uint8Array, from = 0, to = bytes.length): Uint8Array {
  const out = bytes.slice();
  if (to <= from) return out;
  const n = 1 + rng.int(8);
  for (let i = 0; i < n; i++) out[from + rng.int(to - from)]! ^= 1 << rng.int(8);
  return out;
}

const BOUNDARY_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe, 0x20, 0x22, 0x5c, 0xc0, 0xed];

export function setBytes(rng: FuzzRandom, bytes: Uint8Array, from = 0, to = bytes.length): Uint8Array {
  const out = bytes.slice();
  if (to <= from) return out;
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) out[from + rng.int(to - from)] = rng.pick(BOUNDARY_BYTES);
  return out;
}

export function truncate(rng: FuzzRandom, bytes: Uint8Array): Uint8Array {
  return bytes.slice(0, rng.int(bytes.length));
}

export function append(rng: FuzzRandom, bytes: Uint8Array): Uint8Array {
  const extra = rng.chance(0.5) ? 1 + rng.int(8) : 1 + rng.int(300);
  const out = new Uint8Array(bytes.length + extra);
  out.set(bytes);
  for (let i = bytes.length; i < out.length; i++) out[i] = rng.int(256);
  return out;
}

/** A 32-bit field at `at` set to a value that breaks length arithmetic. */
export function setU32(rng: FuzzRandom, bytes: Uint8Array, at: number, littleEndian: boolean): Uint8Array {
  const out = bytes.slice();
  if (at + 4 > out.length) return out;
  const view = new DataView(out.buffer);
  const old = view.getUint32(at, littleEndian);
  const values = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, old + 1, old - 1, old * 2, old + 8, 0x10000, 20_000_000];
  view.setUint32(at, rng.pick(values) >>> 0, littleEndian);
  return out;
}

export const HOSTILE_NUMBERS = [
  "0", "-1", "1.5", "-0", "1e308", "1e400", "4294967296", "4294967295", "2147483648", "9007199254740993",
  "20000000", "3000000", "65537", "1e-7", "0.0", "1E2", "-9007199254740991", "65", "3", "17", "2",
];

/** Replace one number in `text` by a hostile value (or something that is not a number). */
export function replaceNumber(rng: FuzzRandom, text: string): string {
  const spots: [number, number][] = [];
  for (const m of text.matchAll(/-?\d+(\.\d+)?([eE][+-]?\d+)?/g)) spots.push([m.index!, m[0].length]);
  if (spots.length === 0) return text;
  const [at, len] = rng.pick(spots);
  const value = rng.chance(0.9) ? rng.pick(HOSTILE_NUMBERS) : rng.pick(["NaN", "Infinity", "null", '"7"', "true", "[]", "{}", "01", "+1", ".5"]);
  return text.slice(0, at) + value + text.slice(at + len);
}

/** Repeat one `"key":value` member right after itself (the value may be a string, number or array). */
export function duplicateKey(rng: FuzzRandom, text: string): string {
  const spots: { at: number; end: number }[] = [];
  for (const m of text.matchAll(/"(?:[^"\\]|\\.)*"\s*:\s*("(?:[^"\\]|\\.)*"|-?[\d.eE+-]+|\[[^\[\]{}]*\]|true|false|null)/g)) {
    spots.push({ at: m.index!, end: m.index! + m[0].length });
  }
  if (spots.length === 0) return text;
  const { at, end } = rng.pick(spots);
  const member = text.slice(at, end);
  return rng.chance(0.5) ? `${text.slice(0, end)},${member}${text.slice(end)}` : `${text.slice(0, at)}${member.replace(/:.*$/s, ":0")},${text.slice(at)}`;
}

/** Wrap one value (after a colon or inside an array) in many arrays or objects. */
export function nestDeep(rng: FuzzRandom, text: string): string {
  const colons: number[] = [];
  for (let i = text.indexOf(":"); i >= 0; i = text.indexOf(":", i + 1)) colons.push(i);
  if (colons.length === 0) return rng.chance(0.5) ? "[".repeat(50_000) : "[".repeat(10_000) + "]".repeat(10_000);
  const at = rng.pick(colons) + 1;
  const depth = rng.pick([5, 9, 65, 1000, 10_000, 100_000]);
  const [open, close] = rng.chance(0.5) ? ["[", "]"] : ['{"k":', "}"];
  const balanced = rng.chance(0.8);
  // Insert the opening brackets before the value and the closing ones where the value ends (roughly:
  // before the next comma or closing bracket); unbalanced versions end the text early.
  let end = at;
  let level = 0;
  for (; end < text.length; end++) {
    const c = text[end]!;
    if (c === "[" || c === "{") level++;
    else if (c === "]" || c === "}") {
      if (level === 0) break;
      level--;
    } else if (c === "," && level === 0) break;
    else if (c === '"') {
      end++;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
    }
  }
  return text.slice(0, at) + open.repeat(depth) + text.slice(at, end) + (balanced ? close.repeat(depth) : "") + text.slice(end);
}

/** Change one string literal: empty, very long, control characters, escapes, another known word. */
export function changeString(rng: FuzzRandom, text: string, words: readonly string[] = []): string {
  const spots: [number, number][] = [];
  for (const m of text.matchAll(/"(?:[^"\\]|\\.)*"/g)) spots.push([m.index!, m[0].length]);
  if (spots.length === 0) return text;
  const [at, len] = rng.pick(spots);
  const choices = ['""', `"${"x".repeat(70_000)}"`, '"\\u0000"', '"\\ud800"', '"a\\"b"', '"\\q"', '"__proto__"', '"constructor"', "\"\t\"", ...words.map((w) => JSON.stringify(w))];
  return text.slice(0, at) + rng.pick(choices) + text.slice(at + len);
}

/** Delete or insert one structural character. */
export function breakStructure(rng: FuzzRandom, text: string): string {
  const at = rng.int(text.length + 1);
  return rng.chance(0.5) ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + rng.pick(["{", "}", "[", "]", ",", ":", '"', "\\"]) + text.slice(at);
}

/** One of the text mutations above. */
export function mutateJsonText(rng: FuzzRandom, text: string, words: readonly string[] = []): string {
  switch (rng.int(5)) {
    case 0: return replaceNumber(rng, text);
    case 1: return duplicateKey(rng, text);
    case 2: return nestDeep(rng, text);
    case 3: return changeString(rng, text, words);
    default: return breakStructure(rng, text);
  }
}

/** Invalid UTF-8 bytes written into `bytes` within [from, to). */
export function breakUtf8(rng: FuzzRandom, bytes: Uint8Array, from: number, to: number): Uint8Array {
  const out = bytes.slice();
  if (to <= from) return out;
  const seqs = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]];
  const seq = rng.pick(seqs);
  const at = from + rng.int(Math.max(1, to - from - seq.length));
  seq.forEach((b, i) => { if (at + i < to) out[at + i] = b; });
  return out;
}
