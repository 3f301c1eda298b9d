// Generation: the KV cache changes the cost, never the tokens; text is decoded incrementally; a stream that the
// consumer stops early leaves no tensors behind.

import { beforeAll, describe, expect, it } from "vitest";
import { init, memory } from "../src/index.js";
import { GPT } from "../src/transformer/gpt.js";
import { generate, generateStream } from "../src/transformer/generate.js";
import { Tokenizer } from "../src/transformer/tokenizer.js";

beforeAll(async () => {
  await init();
});

const TEXT = "the cat sat on the mat and the dog sat on the log ";

describe("generate", () => {
  it("gives the same tokens with the KV cache as without, through window slides, greedy and sampled", () => {
    const tok = Tokenizer.characters(TEXT);
    // A context of 12 with 40 new tokens: the window slides several times (each slide re-prefills the caches).
    const model = new GPT({ vocabSize: tok.vocabSize, contextLength: 12, dModel: 16, heads: 4, layers: 2, seed: 5 });
    try {
      for (const sampling of [{ greedy: true }, { temperature: 0.9, topK: 6, seed: 3 }, { temperature: 1.3, seed: 11 }]) {
        const cached = generate(model, tok, "the c", { maxNewTokens: 40, ...sampling });
        const plain = generate(model, tok, "the c", { maxNewTokens: 40, useCache: false, ...sampling });
        expect(cached.newTokens).toBe(40);
        expect(Array.from(cached.ids)).toEqual(Array.from(plain.ids));
        expect(cached.text).toBe(plain.text);
      }
    } finally {
      model.dispose();
    }
  });

  it("decodes incrementally: the pieces put together are the decoded ids, for characters and for words", () => {
    const chars = Tokenizer.characters(TEXT);
    const words = Tokenizer.words(TEXT);
    for (const tok of [chars, words]) {
      const model = new GPT({ vocabSize: tok.vocabSize, contextLength: 16, dModel: 8, heads: 2, layers: 1, seed: 2 });
      try {
        const pieces: string[] = [];
        const g = generate(model, tok, "the cat", { maxNewTokens: 25, temperature: 1, seed: 7, onToken: (piece) => void pieces.push(piece) });
        expect(g.text).toBe(tok.decode(g.ids));
        expect(g.text).toBe(tok.decode(tok.encode("the cat")) + pieces.join(""));
        expect(g.completion).toBe(pieces.join(""));
        if (tok === words) expect(pieces.every((p) => p.startsWith(" ") && p.length > 1)).toBe(true);
      } finally {
        model.dispose();
      }
    }
  });
});

describe("generateStream", () => {
  it("yields the pieces generate() returns", async () => {
    const tok = Tokenizer.characters(TEXT);
    const model = new GPT({ vocabSize: tok.vocabSize, contextLength: 16, dModel: 8, heads: 2, layers: 2, seed: 9 });
    try {
      const pieces: string[] = [];
      for await (const piece of generateStream(model, tok, "the", { maxNewTokens: 20, seed: 1 })) pieces.push(piece);
      expect("the" + pieces.join("")).toBe(generate(model, tok, "the", { maxNewTokens: 20, seed: 1 }).text);
    } finally {
      model.dispose();
    }
  });

  it("disposes its KV caches when the consumer stops early, and nothing is left after model.dispose()", async () => {
    const tok = Tokenizer.characters(TEXT);
    const start = memory().numTensors;
    const model = new GPT({ vocabSize: tok.vocabSize, contextLength: 16, dModel: 8, heads: 2, layers: 3, seed: 4 });
    const withModel = memory().numTensors;
    let seen = 0;
    for await (const piece of generateStream(model, tok, "the", { maxNewTokens: 30 })) {
      expect(piece.length).toBe(1);
      // While the stream runs, its 2 × layers cache tensors are alive (and more: the layers' buffers).
      expect(memory().numTensors).toBeGreaterThanOrEqual(withModel + 2 * 3);
      if (++seen === 3) break;
    }
    // The caches are gone; only the model's own tensors and buffers remain.
    const afterBreak = memory().numTensors;
    const probe = generateStream(model, tok, "the", { maxNewTokens: 30 });
    await probe.next(); // one token in: caches alive
    expect(memory().numTensors).toBe(afterBreak + 2 * 3);
    await probe.return(undefined as never); // the consumer gives up without a for-await
    expect(memory().numTensors).toBe(afterBreak);
    // A consumer that throws inside for-await ends the stream too.
    await expect((async () => {
      for await (const _ of generateStream(model, tok, "the", { maxNewTokens: 30 })) throw new Error("consumer failed");
    })()).rejects.toThrow("consumer failed");
    expect(memory().numTensors).toBe(afterBreak);
    model.dispose();
    expect(memory().numTensors).toBe(start);
  });
});
