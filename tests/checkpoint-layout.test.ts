// loadCheckpoint checks a file against a layout worked out from the config alone
// (checkpoint-layout.ts); that layout must be exactly what GPT.parameters() builds.

import { beforeAll, describe, expect, it } from "vitest";
import { GPT, init } from "../src/index.js";
import { gptModelBytes, gptParameterShapes, parseCheckpointConfig } from "../src/transformer/checkpoint-layout.js";

beforeAll(async () => {
  await init();
});

describe("the checkpoint layout mirrors GPT.parameters()", () => {
  const configs = [
    { vocabSize: 5, contextLength: 3, dModel: 4, heads: 1, layers: 1 },
    { vocabSize: 17, contextLength: 9, dModel: 6, heads: 3, layers: 3, positional: "learned" as const },
    { vocabSize: 3, contextLength: 1, dModel: 8, heads: 2, layers: 2, tieEmbeddings: false },
    { vocabSize: 1, contextLength: 65, dModel: 2, heads: 2, layers: 1, positional: "learned" as const, tieEmbeddings: false, seed: 9 },
  ];
  for (const config of configs) {
    it(JSON.stringify(config), () => {
      const model = new GPT(config);
      try {
        const parsed = parseCheckpointConfig(JSON.stringify(model.config));
        expect(parsed).toEqual(model.config);
        const shapes = gptParameterShapes(parsed);
        expect(shapes).toEqual(model.parameters().map((p) => [p.name, p.value.shape]));
        const params = model.parameters().reduce((n, p) => n + p.value.size, 0);
        const table = parsed.positional === "sinusoidal" ? config.contextLength * config.dModel : 0;
        expect(gptModelBytes(parsed, shapes)).toBe(4 * (2 * params + table));
      } finally {
        model.dispose();
      }
    });
  }
});
