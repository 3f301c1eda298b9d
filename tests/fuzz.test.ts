// The loader fuzzer, short version (npm run fuzz -- --per-format 10000 is the long one): a few
// hundred seeded mutants of valid files per format, each loaded as Uint8Array, Buffer and offset
// view. Every mutant must end in a typed error or in a result an independent reader confirms, with
// no tensors left behind, bounded memory, an unchanged input, and a runtime that still computes.

import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../src/index.js";
import { allFormats } from "./fuzz/formats.js";
import { fuzzFormat } from "./fuzz/run.js";

const PER_FORMAT = 400;
const SEED = 20261204;

beforeAll(async () => {
  await init();
});

// Formats build their sample files on the backend, so they are made inside each test (after init).
const FORMATS = ["idx", "idx.gz", "text.gz", "npy", "safetensors", "NeuralNetwork", "GPT checkpoint", "tokenizer JSON"];

describe("fuzzing every loader", () => {
  it("covers every format", () => {
    expect(allFormats().map((f) => f.name)).toEqual(FORMATS);
  });

  for (const name of FORMATS) {
    it(`${name}: ${PER_FORMAT} mutants`, async () => {
      const format = allFormats().find((f) => f.name === name)!;
      const report = await fuzzFormat(format, { perFormat: PER_FORMAT, seed: SEED });
      expect(report.failures).toEqual([]);
      // The mutations reach both outcomes: some mutants are still valid files, most are rejected.
      expect(report.accepted).toBeGreaterThan(0);
      expect(report.mutants - report.accepted).toBeGreaterThan(PER_FORMAT / 2);
    });
  }
});
