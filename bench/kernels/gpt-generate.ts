// The GPT generation rows: greedy generate() of 64 tokens after a short prompt, with and without the
// KV cache on both backends, and plain JS (bench/lib/plain-gpt.ts) without a cache.

import * as sd from "../../src/index.js";
import { PlainGPT, plainGenerate } from "../lib/plain-gpt.js";
import { GPT_CHARS, GPT_CONFIG, GPT_PROMPT } from "../workloads/gpt-config.js";
import { quick } from "./config.js";
import { onBackend, type KernelContext } from "./context.js";
import type { Impl, Workload } from "./types.js";

/**
 * generate(model, tokenizer, prompt, { maxNewTokens: 64, greedy }) with and without the KV cache on
 * SIMD and scalar (the same seed-0 random weights), and plain JS without a cache. Checked: every impl
 * generates exactly the same token ids.
 */
export function gptGenerateWorkload(ctx: KernelContext, maxNewTokens: number): Workload {
  const id = `GPT generate ${maxNewTokens} tokens (greedy)`;
  const tokenizer = sd.Tokenizer.characters(GPT_CHARS);
  if (tokenizer.vocabSize !== GPT_CONFIG.vocabSize) throw new Error(`tokenizer has ${tokenizer.vocabSize} tokens, expected ${GPT_CONFIG.vocabSize}`);
  const prompt = tokenizer.encode(GPT_PROMPT);
  const promptText = tokenizer.decode(prompt);
  const models: sd.GPT[] = [];
  const impls: Impl[] = [];
  for (const useCache of [true, false]) {
    for (const { impl, backend } of ctx.backends) {
      const model = onBackend(backend, () => new sd.GPT({ ...GPT_CONFIG, seed: 0 }));
      models.push(model);
      let last: Int32Array = new Int32Array(0);
      const options = { maxNewTokens, useCache, greedy: true };
      const mode = useCache ? "KV cache" : "no cache";
      impls.push({
        impl, label: `${impl} · ${mode}`, mode,
        run: () => {
          sd.setBackend(backend);
          last = sd.generate(model, tokenizer, promptText, options).ids;
        },
        result: () => Float32Array.from(last),
      });
    }
  }
  const plain = new PlainGPT(GPT_CONFIG);
  onBackend(ctx.simd, () => plain.load(models[0]!.parameters().map((p) => ({ name: p.name, data: p.value.toFloat32Array() }))));
  let lastJs: Int32Array = new Int32Array(0);
  impls.push({
    impl: "js", label: "plain JS · no cache", mode: "no cache",
    run: () => void (lastJs = plainGenerate(plain, prompt, maxNewTokens)),
    result: () => Float32Array.from(lastJs),
  });
  return {
    id, group: "transformer", tokens: maxNewTokens, tol: 0, impls,
    slowTaskCapMs: quick ? 1 : 20000,
    // models alternate SIMD, scalar (the backends loop inside the cache loop).
    dispose: () => models.forEach((m, i) => onBackend(ctx.backends[i % 2]!.backend, () => m.dispose())),
  };
}
