// Tokens, as the tutorial introduces them: the text is broken into little pieces, each piece gets an
// id in a fixed vocabulary, and the model sees only the ids. Two vocabularies:
//
// - characters: every distinct code point of the training text (sorted by code point). Small (the
//   King James Bible has well under 100), never splits a character, decodes exactly.
// - words: the text split on whitespace (as the tutorial's word examples do), most frequent words
//   first; decoding joins words with single spaces, so line breaks and runs of spaces are not kept.
//
// Unknown tokens are explicit: by default encode() throws an ArgumentError that names the token and
// where it is; with { onUnknown: "replace" } it maps the token to the tokenizer's unknown token, which
// exists only if the tokenizer was built with { unknown: … }. Depends only on runtime/.

import { ArgumentError, FormatError } from "../runtime/errors.js";
// Backend-free like this file: json.ts depends only on runtime/errors.
import { parseStrictJson, preview } from "../io/json.js";

export type TokenizerKind = "characters" | "words";

export interface CharacterTokenizerOptions {
  /** A single code point to stand for characters not in the vocabulary, e.g. "\uFFFD". */
  unknown?: string;
}

export interface WordTokenizerOptions {
  /** Keep at most this many tokens (the unknown token counts as one): the most frequent words, ties by first appearance. */
  maxVocab?: number;
  /** A word (no whitespace) to stand for words not in the vocabulary, e.g. "<unk>". It gets id 0. */
  unknown?: string;
}

export interface EncodeOptions {
  /** "error" (default): throw on a token outside the vocabulary; "replace": use the unknown token. */
  onUnknown?: "error" | "replace";
}

/** What toJSON() writes and fromJSON() reads (e.g. in a checkpoint's metadata). */
export interface TokenizerJSON {
  format: "simdnet-tokenizer";
  version: 1;
  kind: TokenizerKind;
  tokens: string[];
  unknown?: string;
}

const JSON_FORMAT = "simdnet-tokenizer";
/** The format needs depth 2 (object → tokens array); anything deeper is not a tokenizer. */
const TOKENIZER_MAX_DEPTH = 8;
const WORD = /\S+/gu;
const WHITESPACE = /\s/u;

function quote(token: string): string {
  return JSON.stringify(token);
}

function codePointName(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

function isSingleCodePoint(s: string): boolean {
  if (s.length === 0 || s.length > 2) return false;
  const cp = s.codePointAt(0)!;
  return s.length === (cp > 0xffff ? 2 : 1);
}

function checkText(op: string, text: unknown): asserts text is string {
  if (typeof text !== "string") throw new ArgumentError(`${op}: text must be a string, got ${typeof text}`);
}

function checkUnknownOption(kind: TokenizerKind, unknown: unknown): string | undefined {
  if (unknown === undefined) return undefined;
  const op = `Tokenizer.${kind}`;
  if (typeof unknown !== "string") throw new ArgumentError(`${op}: unknown must be a string, got ${typeof unknown}`);
  if (kind === "characters" && !isSingleCodePoint(unknown)) {
    throw new ArgumentError(`${op}: unknown must be a single character (one code point), got ${quote(unknown)}`);
  }
  if (kind === "words" && (unknown.length === 0 || WHITESPACE.test(unknown))) {
    throw new ArgumentError(`${op}: unknown must be a non-empty word without whitespace, got ${quote(unknown)}`);
  }
  return unknown;
}

export class Tokenizer {
  /** "characters" or "words". */
  readonly kind: TokenizerKind;
  /** The vocabulary: token i has id i. */
  readonly tokens: readonly string[];
  /** The token that stands for unknown ones (also in `tokens`), if the tokenizer has one. */
  readonly unknown: string | undefined;
  private readonly ids: Map<string, number>;

  private constructor(kind: TokenizerKind, tokens: string[], unknown: string | undefined) {
    this.kind = kind;
    this.tokens = Object.freeze(tokens.slice());
    this.unknown = unknown;
    this.ids = new Map();
    tokens.forEach((t, i) => this.ids.set(t, i));
  }

  /**
   * One token per distinct code point of `text`, sorted by code point. With `unknown` (one code
   * point, e.g. "\uFFFD"), that character is in the vocabulary too and encode() can map unknown
   * characters to it.
   */
  static characters(text: string, options: CharacterTokenizerOptions = {}): Tokenizer {
    checkText("Tokenizer.characters", text);
    const unknown = checkUnknownOption("characters", options.unknown);
    const seen = new Set<number>();
    for (const ch of text) seen.add(ch.codePointAt(0)!);
    if (unknown !== undefined) seen.add(unknown.codePointAt(0)!);
    const codePoints = Array.from(seen).sort((a, b) => a - b);
    return new Tokenizer("characters", codePoints.map((cp) => String.fromCodePoint(cp)), unknown);
  }

  /**
   * One token per distinct whitespace-separated word of `text`, most frequent first (ties: first
   * appearance first). `maxVocab` keeps only that many tokens, counting the unknown token, which
   * (if given) has id 0.
   */
  static words(text: string, options: WordTokenizerOptions = {}): Tokenizer {
    checkText("Tokenizer.words", text);
    const unknown = checkUnknownOption("words", options.unknown);
    const { maxVocab } = options;
    if (maxVocab !== undefined && !(Number.isInteger(maxVocab) && maxVocab >= 1)) {
      throw new ArgumentError(`Tokenizer.words: maxVocab must be an integer >= 1, got ${maxVocab}`);
    }
    // Map iteration order is insertion order = order of first appearance.
    const counts = new Map<string, number>();
    for (const match of text.matchAll(WORD)) {
      const w = match[0];
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    if (unknown !== undefined) counts.delete(unknown);
    const firstSeen = new Map<string, number>();
    let order = 0;
    for (const w of counts.keys()) firstSeen.set(w, order++);
    const words = Array.from(counts.keys()).sort(
      (a, b) => counts.get(b)! - counts.get(a)! || firstSeen.get(a)! - firstSeen.get(b)!,
    );
    const tokens = unknown === undefined ? words : [unknown, ...words];
    if (maxVocab !== undefined && tokens.length > maxVocab) tokens.length = maxVocab;
    return new Tokenizer("words", tokens, unknown);
  }

  /** Rebuild a tokenizer from toJSON()'s output (an object or its JSON text). */
  static fromJSON(json: TokenizerJSON | string): Tokenizer {
    // Text is parsed strictly (no duplicate keys at any level, nesting at most TOKENIZER_MAX_DEPTH),
    // since it usually comes from a file.
    const value: unknown = typeof json === "string" ? parseStrictJson(json, { what: "Tokenizer.fromJSON", maxDepth: TOKENIZER_MAX_DEPTH }) : json;
    const bad = (what: string) => new FormatError(`Tokenizer.fromJSON: ${what}`);
    if (typeof value !== "object" || value === null) throw bad(`expected an object, got ${value === null ? "null" : typeof value}`);
    const v = value as Record<string, unknown>;
    if (v.format !== JSON_FORMAT) throw bad(`format must be ${quote(JSON_FORMAT)}, got ${preview(v.format)}`);
    if (v.version !== 1) throw bad(`unsupported version ${preview(v.version)} (this simdnet reads version 1)`);
    if (v.kind !== "characters" && v.kind !== "words") throw bad(`kind must be "characters" or "words", got ${preview(v.kind)}`);
    const kind = v.kind;
    if (!Array.isArray(v.tokens)) throw bad(`tokens must be an array of strings`);
    const tokens: string[] = [];
    const seen = new Set<string>();
    v.tokens.forEach((t: unknown, i: number) => {
      if (typeof t !== "string") throw bad(`token ${i} must be a string, got ${typeof t}`);
      if (kind === "characters" && !isSingleCodePoint(t)) throw bad(`token ${i} (${preview(t)}) is not a single character`);
      if (kind === "words" && (t.length === 0 || WHITESPACE.test(t))) throw bad(`token ${i} (${preview(t)}) is not a word without whitespace`);
      if (seen.has(t)) throw bad(`token ${i} (${preview(t)}) appears twice`);
      seen.add(t);
      tokens.push(t);
    });
    let unknown: string | undefined;
    if (v.unknown !== undefined) {
      if (typeof v.unknown !== "string" || !seen.has(v.unknown)) {
        throw bad(`unknown (${preview(v.unknown)}) must be one of the tokens`);
      }
      unknown = v.unknown;
    }
    return new Tokenizer(kind, tokens, unknown);
  }

  /** Number of tokens; ids are 0 … vocabSize − 1. */
  get vocabSize(): number {
    return this.tokens.length;
  }

  /** The id of `token`, or undefined if it is not in the vocabulary. */
  idOf(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** Text → ids. Unknown tokens throw (default) or become the unknown token's id ({ onUnknown: "replace" }). */
  encode(text: string, options: EncodeOptions = {}): Int32Array {
    checkText("Tokenizer.encode", text);
    const onUnknown = options.onUnknown ?? "error";
    if (onUnknown !== "error" && onUnknown !== "replace") {
      throw new ArgumentError(`Tokenizer.encode: onUnknown must be "error" or "replace", got ${JSON.stringify(onUnknown)}`);
    }
    let replacement = -1;
    if (onUnknown === "replace") {
      if (this.unknown === undefined) {
        throw new ArgumentError(
          `Tokenizer.encode: onUnknown "replace" needs an unknown token, and this ${this.kind} tokenizer has none ` +
            `(build it with { unknown: ${this.kind === "words" ? '"<unk>"' : '"\\uFFFD"'} })`,
        );
      }
      replacement = this.ids.get(this.unknown)!;
    }
    const out = new Int32Array(this.kind === "characters" ? text.length : (text.length + 1) >> 1);
    let n = 0;
    const unknownToken = (token: string, offset: number): never => {
      const what = this.kind === "characters" ? `character ${quote(token)} (${codePointName(token)})` : `word ${quote(token)}`;
      throw new ArgumentError(
        `Tokenizer.encode: unknown ${what} at position ${n} (token index; text offset ${offset}): ` +
          `not in the ${this.kind} vocabulary of ${this.vocabSize} tokens` +
          (this.unknown === undefined
            ? ""
            : `; pass { onUnknown: "replace" } to map it to the unknown token ${quote(this.unknown)}`),
      );
    };
    if (this.kind === "characters") {
      let offset = 0;
      for (const ch of text) {
        const id = this.ids.get(ch);
        if (id !== undefined) out[n] = id;
        else if (replacement >= 0) out[n] = replacement;
        else unknownToken(ch, offset);
        n++;
        offset += ch.length;
      }
    } else {
      for (const match of text.matchAll(WORD)) {
        const w = match[0];
        const id = this.ids.get(w);
        if (id !== undefined) out[n] = id;
        else if (replacement >= 0) out[n] = replacement;
        else unknownToken(w, match.index!);
        n++;
      }
    }
    return out.slice(0, n);
  }

  /** Ids → text: characters concatenated, or words joined with single spaces. */
  decode(ids: ArrayLike<number>): string {
    if (ids === null || typeof ids !== "object" || typeof ids.length !== "number") {
      throw new ArgumentError(`Tokenizer.decode: ids must be an array of integers, got ${ids === null ? "null" : typeof ids}`);
    }
    const parts: string[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(Number.isInteger(id) && id >= 0 && id < this.tokens.length)) {
        throw new ArgumentError(
          `Tokenizer.decode: id ${id} at position ${i} is not a token id of this ${this.kind} tokenizer (${this.tokens.length === 0 ? "the vocabulary is empty" : `valid ids: 0 … ${this.tokens.length - 1}`})`,
        );
      }
      parts[i] = this.tokens[id]!;
    }
    return parts.join(this.kind === "characters" ? "" : " ");
  }

  toJSON(): TokenizerJSON {
    const json: TokenizerJSON = { format: JSON_FORMAT, version: 1, kind: this.kind, tokens: this.tokens.slice() };
    if (this.unknown !== undefined) json.unknown = this.unknown;
    return json;
  }
}
