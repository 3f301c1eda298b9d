// A strict JSON parser for headers and metadata that come from files people bring (safetensors
// headers, checkpoint configs, tokenizer JSON). JSON.parse is not enough for those:
//
// - it keeps the last of two equal keys, so `"dtype":"F16","dtype":"F32"` reads as F32 here while
//   the reference safetensors implementation rejects the file: two parsers that disagree on one file
//   are an attack surface. This parser rejects a duplicate key at every level;
// - it has no depth limit, and a 10,000-deep array made the error path (JSON.stringify of the value)
//   overflow the stack. This parser stops at `maxDepth` with a FormatError, without recursion;
// - a key such as "__proto__" is stored as an ordinary own property (never sets the prototype).
//
// Errors are FormatErrors that name what was parsed and the character index of the problem (callers
// that know the byte position of the text convert it with `byteOffsetOf`).

import { FormatError } from "../runtime/errors.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface StrictJsonOptions {
  /** Names the text in error messages, e.g. "safetensors header". */
  what: string;
  /** Deepest nesting of arrays and objects accepted (default 64). */
  maxDepth?: number;
  /** Most values (scalars, arrays and objects, counted as they are read) accepted; default unlimited. */
  maxValues?: number;
  /** Report offsets as `base + byte offset` (UTF-8) instead of character indices. */
  byteBase?: number;
}

export const JSON_DEFAULT_MAX_DEPTH = 64;

/** At most this many characters of file content are quoted in an error message. */
const PREVIEW_CHARS = 60;

/** A short, safe description of a value for an error message: bounded length, no deep recursion. */
export function preview(value: unknown): string {
  let text: string;
  if (typeof value === "string") return value.length > PREVIEW_CHARS ? `${JSON.stringify(value.slice(0, PREVIEW_CHARS))}…` : JSON.stringify(value);
  else if (Array.isArray(value)) {
    const items = value.slice(0, 8).map((v) => (v !== null && typeof v === "object" ? (Array.isArray(v) ? "[…]" : "{…}") : preview(v)));
    text = `[${items.join(",")}${value.length > 8 ? ",…" : ""}]`;
  } else if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    text = `{${keys.slice(0, 4).map((k) => preview(k)).join(",")}${keys.length > 4 ? ",…" : ""}}`;
  } else text = String(value);
  return text.length > PREVIEW_CHARS + 8 ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

/** A name from a file, cut to a bounded length for an error message (unquoted). */
export function clip(text: string): string {
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

/** Number of UTF-8 bytes in text[0, index): turns a character index into a byte offset. */
export function byteOffsetOf(text: string, index: number): number {
  let bytes = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

interface Frame {
  container: JsonValue[] | Record<string, JsonValue>;
  /** The key waiting for its value (objects only). */
  key: string | undefined;
  /** Index of the opening bracket, to find the first of two equal keys for the error message. */
  start: number;
}

/**
 * Parse `text` as one JSON value. Throws a FormatError for a syntax error, a duplicate key in any
 * object, or nesting deeper than `maxDepth`.
 */
export function parseStrictJson(text: string, options: StrictJsonOptions): JsonValue {
  const maxDepth = options.maxDepth ?? JSON_DEFAULT_MAX_DEPTH;
  const fail = (message: string, index: number): never => {
    const at = options.byteBase === undefined ? index : options.byteBase + byteOffsetOf(text, index);
    const where = options.byteBase === undefined ? ` (character ${index})` : "";
    throw new FormatError(`${options.what}: ${message}${where}`, options.byteBase === undefined ? undefined : at);
  };
  const n = text.length;
  const maxValues = options.maxValues ?? Infinity;
  let values = 0;
  let i = 0;
  const skipSpace = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const readString = (): string => {
    // text[i] is the opening quote. Plain strings are sliced; strings with escapes go through
    // JSON.parse of just that string, which checks the escapes.
    const start = i;
    let escaped = false;
    let j = i + 1;
    for (;;) {
      if (j >= n) fail("unterminated string", start);
      const c = text.charCodeAt(j);
      if (c === 0x22) break;
      if (c < 0x20) fail("control character inside a string", j);
      if (c === 0x5c) {
        escaped = true;
        j += 2;
      } else j++;
    }
    i = j + 1;
    if (!escaped) return text.slice(start + 1, j);
    try {
      return JSON.parse(text.slice(start, j + 1)) as string;
    } catch {
      return fail("invalid escape in a string", start);
    }
  };
  const readScalar = (): JsonValue => {
    const c = text.charCodeAt(i);
    if (c === 0x22) return readString();
    if (text.startsWith("true", i)) { i += 4; return true; }
    if (text.startsWith("false", i)) { i += 5; return false; }
    if (text.startsWith("null", i)) { i += 4; return null; }
    // Fast path for plain non-negative integers (shapes, offsets): digits not followed by . e E.
    if (c >= 0x31 && c <= 0x39) {
      let j = i + 1;
      while (j < n && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
      const next = text.charCodeAt(j);
      if (next !== 0x2e && next !== 0x65 && next !== 0x45) {
        const value = Number(text.slice(i, j));
        i = j;
        return value;
      }
    }
    if (c === 0x30) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0x30 && next <= 0x39) && next !== 0x2e && next !== 0x65 && next !== 0x45) {
        i++;
        return 0;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null || m[0].length === 0) return fail(i >= n ? "unexpected end of text" : `unexpected character ${preview(text[i])}`, i);
    i += m[0].length;
    return Number(m[0]);
  };

  const stack: Frame[] = [];
  let result: JsonValue | undefined;
  let done = false;
  // Each turn reads one value (opening a container pushes a frame) or closes containers.
  skipSpace();
  while (!done) {
    let value: JsonValue;
    let haveValue = false;
    if (++values > maxValues) fail(`more than ${maxValues} values`, i);
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) { // { [
      if (stack.length >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`, i);
      const start = i;
      i++;
      skipSpace();
      const isObject = c === 0x7b;
      const container: JsonValue[] | Record<string, JsonValue> = isObject ? {} : [];
      if (text.charCodeAt(i) === (isObject ? 0x7d : 0x5d)) { // empty
        i++;
        value = container;
        haveValue = true;
      } else {
        stack.push({ container, key: undefined, start });
        if (isObject) readKey(stack[stack.length - 1]!);
        continue;
      }
    } else {
      value = readScalar();
      haveValue = true;
    }
    // Store the value, then close every container that ends here.
    while (haveValue) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        result = value!;
        done = true;
        break;
      }
      if (Array.isArray(top.container)) top.container.push(value!);
      else if (top.key === "__proto__") Object.defineProperty(top.container, top.key, { value, enumerable: true, writable: true, configurable: true });
      else top.container[top.key!] = value!;
      skipSpace();
      const next = text.charCodeAt(i);
      const closer = Array.isArray(top.container) ? 0x5d : 0x7d;
      if (next === 0x2c) { // ,
        i++;
        skipSpace();
        if (!Array.isArray(top.container)) readKey(top);
        haveValue = false;
      } else if (next === closer) {
        i++;
        stack.pop();
        value = top.container;
      } else {
        fail(i >= n ? "unexpected end of text" : `expected "," or "${String.fromCharCode(closer)}", got ${preview(text[i])}`, i);
      }
    }
  }
  skipSpace();
  if (i < n) fail(`unexpected ${preview(text.slice(i, i + 10))} after the JSON value`, i);
  return result!;

  function readKey(frame: Frame): void {
    if (text.charCodeAt(i) !== 0x22) fail(i >= n ? "unexpected end of text" : `expected a quoted key, got ${preview(text[i])}`, i);
    const at = i;
    const key = readString();
    const obj = frame.container as Record<string, JsonValue>;
    if (Object.prototype.hasOwnProperty.call(obj, key)) {
      const first = text.indexOf(JSON.stringify(key), frame.start);
      const firstAt = options.byteBase === undefined ? first : options.byteBase + byteOffsetOf(text, first);
      fail(`duplicate key ${preview(key)}${first >= 0 && first < at ? ` (first at ${options.byteBase === undefined ? "character" : "byte"} ${firstAt})` : ""}`, at);
    }
    skipSpace();
    if (text.charCodeAt(i) !== 0x3a) fail(`expected ":" after key ${preview(key)}`, i);
    i++;
    skipSpace();
    frame.key = key;
  }
}

/** A JSON object (not an array or null). */
export function isJsonObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
