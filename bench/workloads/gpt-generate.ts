// GPT generation, greedy, 64 new tokens after an 8-token prompt, on the default model with seed-0
// random weights: one call = the prompt's prefill plus 64 tokens (the window slides once, at 64
// tokens, re-running its last 32). Two workloads:
//   "KV cache": simdnet generate(…, { useCache: true }); tfjs with its own cache (bench/peers/tfjs-gpt.ts:
//               K and V preallocated per layer, rows written by tensorScatterUpdate); plain JS has no
//               cached generator (row says so).
//   "no cache": every token re-runs the forward over the window; simdnet useCache: false, plain JS
//               bench/lib/plain-gpt.ts plainGenerate, tfjs the same forward as its training.
// Reference: bench/lib/plain-gpt.ts plainGenerate (plain JS, the window rule of useCache: false), run
// once per process and shared by both workloads. Check: every implementation — each simdnet build
// included — generates exactly its ids (tol 0; greedy argmax on random weights has no near-ties here).

import * as sd from "../../src/index.js";
import { quick, suite, type BenchContext } from "../harness/context.js";
import type { Impl, Workload } from "../harness/types.js";
import { PlainGPT, plainGenerate } from "../lib/plain-gpt.js";
import type { GptPeerModel } from "../peers/types.js";
import { addBuilds, addPeers, newWorkload } from "./common.js";
import { fullConfig, GPT_CHARS, GPT_CONFIG, GPT_PROMPT, paramsOf } from "./gpt-config.js";

export const GEN_TOKENS = 64;

/** The reference ids, computed on first use (one plain-JS generation: seconds). */
let referenceIds: Int32Array | undefined;

export async function gptGenerateWorkload(ctx: BenchContext, useCache: boolean): Promise<Workload> {
  const mode = useCache ? "KV cache" : "no cache";
  const id = `GPT generate ${GEN_TOKENS} tokens, ${mode}`;
  const tokenizer = sd.Tokenizer.characters(GPT_CHARS);
  if (tokenizer.vocabSize !== GPT_CONFIG.vocabSize) throw new Error(`tokenizer has ${tokenizer.vocabSize} tokens, expected ${GPT_CONFIG.vocabSize}`);
  const prompt = tokenizer.encode(GPT_PROMPT);
  const promptText = tokenizer.decode(prompt);
  const models: { model: sd.GPT; backend: sd.Backend }[] = [];
  const peerModels: GptPeerModel[] = [];
  const w = newWorkload(ctx, {
    id, kind: "gpt-generate", perCall: GEN_TOKENS, tol: 0,
    slowCapMs: quick ? undefined : 10000,
    dispose: () => {
      models.forEach(({ model, backend }) => (sd.setBackend(backend), model.dispose()));
      peerModels.forEach((m) => m.dispose());
    },
  });
  addBuilds(ctx, w, (b) => {
    const model = new sd.GPT({ ...GPT_CONFIG, seed: 0 });
    models.push({ model, backend: b.backend });
    let last: Int32Array = new Int32Array(0);
    const options = { maxNewTokens: GEN_TOKENS, useCache, greedy: true };
    return {
      run: () => {
        sd.setBackend(b.backend);
        last = sd.generate(model, tokenizer, promptText, options).ids;
      },
      result: () => Float32Array.from(last),
    };
  });
  sd.setBackend(ctx.best.backend);
  const initial = paramsOf(models[0]!.model);
  const config = fullConfig(models[0]!.model);
  w.reference = () => {
    if (!referenceIds) {
      const plain = new PlainGPT(GPT_CONFIG);
      plain.load(initial);
      referenceIds = plainGenerate(plain, prompt, GEN_TOKENS);
    }
    return Float32Array.from(referenceIds);
  };
  w.referenceName = "plain JS (bench/lib/plain-gpt.ts plainGenerate)";
  if (useCache) {
    w.errors.push({ label: "plain JS", kind: "js", error: "not run: bench/lib/plain-gpt.ts has no KV-cache generator (its no-cache row is the baseline)" });
  } else {
    const plain = new PlainGPT(GPT_CONFIG);
    plain.load(initial);
    let last: Int32Array = new Int32Array(0);
    w.impls.push({ label: "plain JS", kind: "js", run: () => void (last = plainGenerate(plain, prompt, GEN_TOKENS)), result: () => Float32Array.from(last) });
  }
  const notes: Record<string, string> = {};
  await addPeers(ctx, w, (p) => {
    if (!p.gptModel) return undefined;
    return [{ label: p.name, options: {}, note: "" }, ...(p.gptVariants ?? [])].map((v): Impl => {
      const model = p.gptModel!(config, initial, v.options);
      peerModels.push(model);
      if (v.note) notes[v.label] = "tuned: Q·Kᵀ and h·W_Eᵀ as tf.transpose + plain matMul (transposed matMuls miss XNNPACK in tfjs-backend-wasm)";
      let last: Int32Array = new Int32Array(0);
      return { label: v.label, column: p.name, kind: "peer", before: p.activate, run: () => void (last = model.generate(prompt, GEN_TOKENS, useCache)), result: () => Float32Array.from(last) };
    });
  });
  w.notes = notes;
  if (suite === "peers") w.errors.push({ label: "numpy", kind: "numpy", error: "not run: no numpy GPT in this benchmark (the numpy column covers the kernel workloads and the MLP)" });
  return w;
}
