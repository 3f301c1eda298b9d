// The default `simdnet train-gpt` run, as the command runs it (about 4 minutes on one core; its speed
// is measured by `npm run bench`, not asserted here): it must reach a held-out loss below 2.0 nats per
// character on the embedded corpus (a character unigram model sits near 3), and its sample must read
// like the corpus.
import { describe, expect, it } from "vitest";
import { DEFAULT_GPT_TRAINING, EMBEDDED_TEXT_NAME, init, loadEmbeddedCorpus, trainGpt } from "../src/index.js";

describe("the default train-gpt run", () => {
  it("reaches a held-out loss below 2.0 nats/char and samples text made of the corpus's words", async () => {
    await init();
    const result = await trainGpt(DEFAULT_GPT_TRAINING, { text: await loadEmbeddedCorpus(), textName: EMBEDDED_TEXT_NAME, sampleTokens: 300 });
    expect(result.evals[0]!.loss).toBeGreaterThan(3); // it started from nothing
    expect(result.finalEvalLoss).toBeLessThan(2.0);

    const corpusWords = new Set((await loadEmbeddedCorpus()).split(/\s+/).map((w) => w.replace(/[^A-Za-z]/g, "")));
    const sampleWords = result.sample.split(/\s+/).map((w) => w.replace(/[^A-Za-z]/g, "")).filter((w) => w.length > 0);
    expect(sampleWords.length).toBeGreaterThan(30);
    const known = sampleWords.filter((w) => corpusWords.has(w)).length / sampleWords.length;
    expect(known, `sample: ${result.sample}`).toBeGreaterThan(0.6);
    result.model.dispose();
  }, 900_000);
});
