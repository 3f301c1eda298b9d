// The header of a .npy file is a Python dict literal; this is the small strict parser for the
// literal subset numpy writes (no eval), with the byte offset of every value for error messages.

import { FormatError } from "../runtime/errors.js";

/** Deepest nesting of (), [] and {} the parser follows (numpy's own headers nest 1–3 deep). */
const MAX_DEPTH = 32;

// ---- the header: a strict parser for the Python literals numpy writes ----

export type PyValue =
  | { kind: "str"; at: number; end: number; value: string }
  | { kind: "int"; at: number; end: number; value: bigint }
  | { kind: "float"; at: number; end: number }
  | { kind: "bool"; at: number; end: number; value: boolean }
  | { kind: "none"; at: number; end: number }
  | { kind: "tuple" | "list"; at: number; end: number; items: PyValue[] }
  | { kind: "dict"; at: number; end: number; entries: { key: PyValue; value: PyValue }[] };

export const KIND_WORDS: Record<PyValue["kind"], string> = {
  str: "a string", int: "an integer", float: "a float", bool: "a bool", none: "None",
  tuple: "a tuple", list: "a list", dict: "a dict",
};

/** A Python repr of a string, for messages: 'abc'. */
export function pyRepr(s: string): string {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;
const isWordByte = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e;

/**
 * Parses the header bytes into literals with the offset (into the file) of each. Accepts strings
 * without escapes, integers (with the 'L' suffix Python 2 wrote, in versions 1.0 and 2.0), floats
 * (only to name them in errors), True/False/None, tuples, lists and dicts, and whitespace between
 * tokens. Anything else is a FormatError at its offset.
 */
export class HeaderParser {
  private i = 0;
  private readonly latin1 = new TextDecoder("latin1");
  private readonly utf8 = new TextDecoder("utf-8", { fatal: true });

  constructor(private readonly text: Uint8Array, private readonly base: number, private readonly utf8Header: boolean, private readonly allowLong: boolean) {}

  private fail(message: string, at: number): never {
    throw new FormatError(`npy: header: ${message}`, this.base + at);
  }

  private skipSpace(): void {
    while (this.i < this.text.length && isSpace(this.text[this.i]!)) this.i++;
  }

  private describe(at: number): string {
    if (at >= this.text.length) return "the end of the header";
    const c = this.text[at]!;
    return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, "0")}`;
  }

  parseAll(): PyValue {
    this.skipSpace();
    const value = this.value(0);
    this.skipSpace();
    if (this.i < this.text.length) this.fail(`unexpected ${this.describe(this.i)} after the end of the literal`, this.i);
    return value;
  }

  private value(depth: number): PyValue {
    const at = this.i;
    if (at >= this.text.length) this.fail("expected a value, found the end of the header", at);
    const c = this.text[at]!;
    if (c === 0x27 || c === 0x22) return this.string();
    if (c === 0x28 || c === 0x5b || c === 0x7b) {
      if (depth >= MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} levels deep`, at);
      return c === 0x7b ? this.dict(depth) : this.sequence(depth);
    }
    if (isWordByte(c) || c === 0x2d || c === 0x2b) return this.word();
    return this.fail(`expected a value, found ${this.describe(at)}`, at);
  }

  private string(): PyValue {
    const at = this.i;
    const quote = this.text[at]!;
    let j = at + 1;
    while (j < this.text.length && this.text[j] !== quote) {
      const c = this.text[j]!;
      if (c === 0x5c) this.fail("backslash escapes in strings are not supported", j);
      if (c === 0x0a || c === 0x0d) this.fail("unterminated string (a line break inside it)", at);
      j++;
    }
    if (j >= this.text.length) this.fail("unterminated string", at);
    const body = this.text.subarray(at + 1, j);
    let value: string;
    if (this.utf8Header) {
      try {
        value = this.utf8.decode(body);
      } catch {
        this.fail("a string is not valid UTF-8 (format 3.0 headers are UTF-8)", at);
      }
    } else {
      value = this.latin1.decode(body);
    }
    this.i = j + 1;
    return { kind: "str", at, end: this.i, value: value! };
  }

  /** A number, True/False/None, or an error naming the word. */
  private word(): PyValue {
    const at = this.i;
    let j = at;
    if (this.text[j] === 0x2d || this.text[j] === 0x2b) j++;
    const first = this.text[j];
    const numeric = first !== undefined && ((first >= 0x30 && first <= 0x39) || first === 0x2e);
    // Letters, digits, '_' and '.'; in a number also a sign straight after an exponent's 'e'.
    while (j < this.text.length) {
      const c = this.text[j]!;
      const prev = this.text[j - 1];
      if (isWordByte(c) || (numeric && (c === 0x2d || c === 0x2b) && (prev === 0x65 || prev === 0x45))) j++;
      else break;
    }
    this.i = j;
    const word = this.latin1.decode(this.text.subarray(at, j));
    if (word === "True" || word === "False") return { kind: "bool", at, end: j, value: word === "True" };
    if (word === "None") return { kind: "none", at, end: j };
    const int = /^([+-]?)(0|[1-9][0-9]*)(L?)$/.exec(word);
    if (int !== null && (int[3] === "" || this.allowLong)) {
      const magnitude = BigInt(int[2]!);
      return { kind: "int", at, end: j, value: int[1] === "-" ? -magnitude : magnitude };
    }
    if (/^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$/.test(word) || /^[+-]?(inf|nan)$/.test(word)) {
      return { kind: "float", at, end: j };
    }
    return this.fail(`unexpected ${/^[+-]?[0-9]/.test(word) ? "number" : "name"} ${word.length > 40 ? word.slice(0, 40) + "…" : word}`, at);
  }

  /** ( … ) or [ … ]. A parenthesised single value without a comma is that value, as in Python. */
  private sequence(depth: number): PyValue {
    const at = this.i;
    const open = this.text[at]!;
    const close = open === 0x28 ? 0x29 : 0x5d;
    const items: PyValue[] = [];
    let comma = false;
    this.i++;
    for (;;) {
      this.skipSpace();
      if (this.text[this.i] === close) break;
      if (items.length > 0 && !comma) this.fail(`expected ',' or '${String.fromCharCode(close)}', found ${this.describe(this.i)}`, this.i);
      items.push(this.value(depth + 1));
      this.skipSpace();
      comma = this.text[this.i] === 0x2c;
      if (comma) this.i++;
    }
    this.i++;
    if (open === 0x28 && items.length === 1 && !comma) return items[0]!;
    return { kind: open === 0x28 ? "tuple" : "list", at, end: this.i, items };
  }

  private dict(depth: number): PyValue {
    const at = this.i;
    const entries: { key: PyValue; value: PyValue }[] = [];
    let comma = false;
    this.i++;
    for (;;) {
      this.skipSpace();
      if (this.text[this.i] === 0x7d) break;
      if (entries.length > 0 && !comma) this.fail(`expected ',' or '}', found ${this.describe(this.i)}`, this.i);
      const key = this.value(depth + 1);
      this.skipSpace();
      if (this.text[this.i] !== 0x3a) this.fail(`expected ':' after a dict key, found ${this.describe(this.i)}`, this.i);
      this.i++;
      this.skipSpace();
      const value = this.value(depth + 1);
      entries.push({ key, value });
      this.skipSpace();
      comma = this.text[this.i] === 0x2c;
      if (comma) this.i++;
    }
    this.i++;
    return { kind: "dict", at, end: this.i, entries };
  }

  /** The source text of a value, shortened, for messages. */
  source(v: PyValue): string {
    const s = (this.utf8Header ? new TextDecoder() : this.latin1).decode(this.text.subarray(v.at, Math.min(v.end, v.at + 60)));
    return v.end - v.at > 60 ? `${s}…` : s;
  }
}
