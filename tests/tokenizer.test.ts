import { describe, expect, it } from "vitest";
import { ArgumentError, FormatError } from "../src/runtime/errors.js";
import { Tokenizer } from "../src/transformer/tokenizer.js";

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

const SAMPLES = {
  ascii: "In the beginning God created the heaven and the earth.\nAnd the earth was without form.",
  accents: "Ça a été déjà vu à Zürich — naïve façade, crème brûlée.",
  // Astral-plane code points (two UTF-16 units each), a ZWJ sequence and a flag.
  emoji: "cats 🐱🐈 and 👩‍👩‍👧 under 🇫🇷, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢!",
  cjk: "太初有道，道與神同在，道就是神。日本語のテキストも。한국어 텍스트",
};

describe("Tokenizer.characters", () => {
  it("round-trips ASCII, accents, emoji and CJK exactly", () => {
    for (const [name, text] of Object.entries(SAMPLES)) {
      const tok = Tokenizer.characters(text);
      const ids = tok.encode(text);
      expect(ids, name).toBeInstanceOf(Int32Array);
      expect(ids.length, name).toBe([...text].length); // one id per code point, not per UTF-16 unit
      expect(tok.decode(ids), name).toBe(text);
      expect(tok.decode(Array.from(ids)), name).toBe(text);
    }
  });

  it("has one token per distinct code point, sorted by code point (not by UTF-16 unit)", () => {
    // U+1F431 (🐱) is stored as surrogates D83D DC31, which sort below U+FF01 (！) as UTF-16 strings.
    const tok = Tokenizer.characters("！🐱ba a");
    expect(tok.tokens).toEqual([" ", "a", "b", "！", "🐱"]);
    expect(tok.vocabSize).toBe(5);
    expect(tok.kind).toBe("characters");
    expect(tok.idOf("🐱")).toBe(4);
    expect(tok.idOf("\uD83D")).toBeUndefined();
    expect(tok.idOf("zz")).toBeUndefined();
    expect(Object.isFrozen(tok.tokens)).toBe(true);
  });

  it("unknown characters throw by default, naming the character, its position and the vocabulary kind", () => {
    const tok = Tokenizer.characters("abc ");
    const error = thrown(() => tok.encode("ab 🐱c é"));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toContain('"🐱"');
    expect(error.message).toContain("U+1F431");
    expect(error.message).toContain("position 3");
    expect(error.message).toContain("text offset 3");
    expect(error.message).toContain("characters vocabulary");
    // The offset counts UTF-16 units (what String.prototype.slice takes), the position counts tokens.
    const astral = Tokenizer.characters("a🐱 ");
    const later = thrown(() => astral.encode("a🐱 é"));
    expect(later.message).toContain('"é"');
    expect(later.message).toContain("position 3");
    expect(later.message).toContain("text offset 4");
  });

  it('"replace" maps unknown characters to the unknown token only if the tokenizer has one', () => {
    const withUnk = Tokenizer.characters("abc", { unknown: "\uFFFD" });
    expect(withUnk.tokens).toEqual(["a", "b", "c", "\uFFFD"]);
    expect(withUnk.unknown).toBe("\uFFFD");
    expect(withUnk.decode(withUnk.encode("aXb🐱", { onUnknown: "replace" }))).toBe("a\uFFFDb\uFFFD");
    expect(() => withUnk.encode("aXb")).toThrow(ArgumentError); // default is still "error"

    const without = Tokenizer.characters("abc");
    const error = thrown(() => without.encode("ab", { onUnknown: "replace" }));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toMatch(/unknown token/);
    expect(() => without.encode("ab", { onUnknown: "skip" as "replace" })).toThrow(ArgumentError);
  });

  it("rejects an unknown token that is not exactly one code point", () => {
    expect(() => Tokenizer.characters("abc", { unknown: "<unk>" })).toThrow(ArgumentError);
    expect(() => Tokenizer.characters("abc", { unknown: "" })).toThrow(ArgumentError);
    expect(Tokenizer.characters("abc", { unknown: "🐱" }).idOf("🐱")).toBe(3);
  });

  it("handles empty text", () => {
    const tok = Tokenizer.characters("");
    expect(tok.vocabSize).toBe(0);
    expect(tok.encode("")).toEqual(new Int32Array(0));
    expect(tok.decode([])).toBe("");
    expect(() => tok.encode("a")).toThrow(ArgumentError);
    expect(thrown(() => tok.decode([0])).message).toContain("vocabulary is empty");
    expect(Tokenizer.characters("", { unknown: "?" }).tokens).toEqual(["?"]);
  });
});

describe("Tokenizer.words", () => {
  it("splits on any whitespace; decoding joins with single spaces", () => {
    const text = "  the cat\tsat on\n\nthe  mat  ";
    const tok = Tokenizer.words(text);
    const ids = tok.encode(text);
    expect(ids.length).toBe(6);
    expect(tok.decode(ids)).toBe("the cat sat on the mat");
    expect(tok.kind).toBe("words");
  });

  it("orders words by frequency, ties by first appearance", () => {
    const tok = Tokenizer.words("b a c a d b a e");
    // a ×3, b ×2, then c, d, e once each in order of appearance
    expect(tok.tokens).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("maxVocab keeps the most frequent words, counting the unknown token (id 0)", () => {
    const text = "z y x y x x w v w x";
    expect(Tokenizer.words(text, { maxVocab: 3 }).tokens).toEqual(["x", "y", "w"]);
    const tok = Tokenizer.words(text, { maxVocab: 3, unknown: "<unk>" });
    expect(tok.tokens).toEqual(["<unk>", "x", "y"]);
    expect(tok.vocabSize).toBe(3);
    expect(tok.decode(tok.encode(text, { onUnknown: "replace" }))).toBe("<unk> y x y x x <unk> <unk> <unk> x");
    // maxVocab larger than the vocabulary changes nothing.
    expect(Tokenizer.words(text, { maxVocab: 100 }).tokens).toEqual(["x", "y", "w", "z", "v"]);
    for (const bad of [0, -1, 2.5, Number.NaN]) {
      const error = thrown(() => Tokenizer.words(text, { maxVocab: bad }));
      expect(error).toBeInstanceOf(ArgumentError);
      expect(error.message).toContain("maxVocab");
    }
  });

  it("round-trips words with accents, emoji and CJK (whitespace normalised)", () => {
    for (const [name, text] of Object.entries(SAMPLES)) {
      const tok = Tokenizer.words(text);
      expect(tok.decode(tok.encode(text)), name).toBe(text.trim().split(/\s+/u).join(" "));
    }
  });

  it("unknown words throw by default, naming the word, its position and the vocabulary kind", () => {
    const tok = Tokenizer.words("in the beginning", { unknown: "<unk>" });
    const error = thrown(() => tok.encode("in the  end"));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toContain('"end"');
    expect(error.message).toContain("position 2");
    expect(error.message).toContain("text offset 8");
    expect(error.message).toContain("words vocabulary");
    expect(error.message).toContain('onUnknown: "replace"');
    expect(Array.from(tok.encode("in the  end", { onUnknown: "replace" }))).toEqual([1, 2, 0]);
    expect(() => Tokenizer.words("a b").encode("a c", { onUnknown: "replace" })).toThrow(ArgumentError);
  });

  it("the unknown word is not duplicated when it occurs in the text, and must not contain whitespace", () => {
    const tok = Tokenizer.words("<unk> a <unk> a a", { unknown: "<unk>" });
    expect(tok.tokens).toEqual(["<unk>", "a"]);
    expect(() => Tokenizer.words("a", { unknown: "two words" })).toThrow(ArgumentError);
    expect(() => Tokenizer.words("a", { unknown: "" })).toThrow(ArgumentError);
  });

  it("handles empty and all-whitespace text", () => {
    for (const text of ["", "  \n\t "]) {
      const tok = Tokenizer.words(text);
      expect(tok.vocabSize).toBe(0);
      expect(tok.encode(text).length).toBe(0);
      expect(tok.decode(new Int32Array(0))).toBe("");
    }
    expect(Tokenizer.words("", { unknown: "<unk>" }).tokens).toEqual(["<unk>"]);
  });
});

describe("Tokenizer.decode", () => {
  it("rejects ids outside [0, vocabSize) and non-integers, naming the id and its position", () => {
    const tok = Tokenizer.characters("abc");
    for (const [ids, id, pos] of [
      [[0, 1, 3], 3, 2],
      [[-1], -1, 0],
      [[0, 1.5], 1.5, 1],
      [[2, 2, 2, Number.NaN], Number.NaN, 3],
    ] as [number[], number, number][]) {
      const error = thrown(() => tok.decode(ids));
      expect(error).toBeInstanceOf(ArgumentError);
      expect(error.message).toContain(`id ${id}`);
      expect(error.message).toContain(`position ${pos}`);
      expect(error.message).toContain("0 … 2");
    }
  });
});

describe("Tokenizer JSON", () => {
  it("round-trips through toJSON / JSON text / fromJSON", () => {
    const tokenizers = [
      Tokenizer.characters(SAMPLES.emoji + SAMPLES.cjk, { unknown: "\uFFFD" }),
      Tokenizer.characters(SAMPLES.ascii),
      Tokenizer.words(SAMPLES.ascii + " " + SAMPLES.accents, { maxVocab: 10, unknown: "<unk>" }),
      Tokenizer.words(""),
    ];
    for (const tok of tokenizers) {
      for (const json of [tok.toJSON(), JSON.stringify(tok), JSON.parse(JSON.stringify(tok))]) {
        const back = Tokenizer.fromJSON(json);
        expect(back.kind).toBe(tok.kind);
        expect(back.tokens).toEqual(tok.tokens);
        expect(back.unknown).toBe(tok.unknown);
        const text = tok.decode(Array.from({ length: tok.vocabSize }, (_, i) => i));
        expect(Array.from(back.encode(text))).toEqual(Array.from(tok.encode(text)));
      }
    }
  });

  it("rejects malformed JSON with FormatError", () => {
    const good = Tokenizer.words("a b c", { unknown: "<unk>" }).toJSON();
    const cases: unknown[] = [
      "{not json",
      null,
      42,
      { ...good, format: "other" },
      { ...good, version: 2 },
      { ...good, kind: "bytes" },
      { ...good, tokens: "abc" },
      { ...good, tokens: ["a", 1] },
      { ...good, tokens: ["a", "a"] },
      { ...good, tokens: ["a b"] },
      { ...good, unknown: "<missing>" },
      { ...Tokenizer.characters("ab").toJSON(), tokens: ["ab"] },
    ];
    for (const json of cases) {
      expect(() => Tokenizer.fromJSON(json as string), JSON.stringify(json)).toThrow(FormatError);
    }
  });
});
