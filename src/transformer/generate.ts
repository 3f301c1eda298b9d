// Text generation: encode the prompt, run it through the model once (prefill, filling the KV
// caches), then repeatedly turn the last position's logits into a next-token distribution, sample
// one, and feed just that token back (O(T·d) per token per layer with the cache).
//
// Text is decoded incrementally: each new token's piece is what it adds after the token before it
// (decode([prev, id]) minus decode([prev]): a character, or a space and a word), so a token costs O(1)
// to decode, not a re-decode of the whole text so far.
//
// Rules: the prompt must hold at least one token and fit the context (longer prompts are an error,
// never silently cut). When the text reaches the context length, the window slides: the last half
// of the context is kept and re-run through the model (one full forward), and generation continues.
// Without the cache every token recomputes that same window, so both give the same tokens.
//
// The cached tokens run through a DecodeStep of their own with packed weights (decode-step.ts): the weights are
// copied once per call into the layout a single token streams fastest, which costs about one token's time and
// saves about a third of every token's. GPT.step gives the same logits bit for bit.

import { ArgumentError } from "../runtime/errors.js";
import { Random } from "../runtime/random.js";
import type { GPT } from "./gpt.js";
import type { KvCache } from "./attention.js";
import { DecodeStep } from "./decode-step.js";
import { sampleToken, samplingDistribution, type SamplingOptions } from "./sampling.js";
import type { Tokenizer } from "./tokenizer.js";

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  seed?: number;
  /** Called with each new token's text; return false to stop. */
  onToken?: (piece: string, id: number) => void | boolean;
  /** false: recompute the whole window for every token (the baseline a KV cache beats). Default true. */
  useCache?: boolean;
}

export interface Generation {
  /** The prompt followed by the generated text. */
  text: string;
  /** Only the generated part. */
  completion: string;
  ids: Int32Array;
  newTokens: number;
}

export function generate(model: GPT, tokenizer: Tokenizer, prompt: string, options: GenerateOptions): Generation {
  const steps = startGeneration(model, tokenizer, prompt, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** The same as generate(), as an async iterator of text pieces (one per token). */
export async function* generateStream(model: GPT, tokenizer: Tokenizer, prompt: string, options: Omit<GenerateOptions, "onToken">): AsyncGenerator<string, Generation> {
  const steps = startGeneration(model, tokenizer, prompt, options);
  try {
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      yield r.value;
      await Promise.resolve(); // let the consumer (and the event loop) run between tokens
    }
  } finally {
    // A consumer that stops early (break, return, throw in a for await) ends this generator here, not the
    // inner one: closing it runs its finally, which disposes the KV caches.
    steps.return(undefined as never);
  }
}

function* startGeneration(model: GPT, tokenizer: Tokenizer, prompt: string, options: GenerateOptions): Generator<string, Generation> {
  const { maxNewTokens, useCache = true } = options;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new ArgumentError(`generate: maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
  samplingDistribution(Float32Array.of(0, 1), options); // validates temperature / topK / topP up front
  const context = model.config.contextLength;
  const promptIds = tokenizer.encode(prompt);
  if (promptIds.length === 0) throw new ArgumentError("generate: the prompt is empty; it must contain at least one token");
  if (promptIds.length > context) {
    throw new ArgumentError(`generate: the prompt has ${promptIds.length} tokens, more than the context length ${context}; shorten it`);
  }
  if (promptIds.length + maxNewTokens > 1 << 24) throw new ArgumentError(`generate: maxNewTokens ${maxNewTokens} is too large`);
  const rng = new Random(options.seed ?? 0);
  const ids = new Int32Array(promptIds.length + maxNewTokens);
  ids.set(promptIds);
  let length = promptIds.length;
  const promptText = tokenizer.decode(promptIds);
  const pieces: string[] = [];
  const caches: KvCache[] = useCache ? model.createCaches(context) : [];
  let decoder: DecodeStep | undefined;
  try {
    // Window [windowStart, length) is what the caches hold.
    let windowStart = 0;
    let logits = useCache ? model.prefill(ids.subarray(0, length), caches) : lastLogits(model, ids.subarray(0, length));
    for (let n = 0; n < maxNewTokens; n++) {
      const id = sampleToken(logits, options, rng);
      ids[length++] = id;
      const piece = nextPiece(tokenizer, ids[length - 2]!, id);
      pieces.push(piece);
      if (options.onToken?.(piece, id) === false) break;
      yield piece;
      if (n === maxNewTokens - 1) break;
      if (length - windowStart >= context) {
        windowStart = length - Math.max(1, context >> 1);
        logits = useCache ? model.prefill(ids.subarray(windowStart, length), caches) : lastLogits(model, ids.subarray(windowStart, length));
      } else if (useCache) {
        decoder ??= new DecodeStep(model, model.embeddingMatrix.backend, { packWeights: true });
        logits = decoder.run(id, length - 1 - windowStart, caches); // model.step's logits, from packed weights
      } else {
        logits = lastLogits(model, ids.subarray(windowStart, length)); // the window the caches would hold
      }
    }
  } finally {
    decoder?.dispose();
    for (const c of caches) {
      c.k.dispose();
      c.v.dispose();
    }
  }
  const completion = pieces.join("");
  return { text: promptText + completion, completion, ids: ids.slice(0, length), newTokens: length - promptIds.length };
}

/** The text token `id` adds after token `prev`: decode([prev, id]) without its decode([prev]) prefix. */
function nextPiece(tokenizer: Tokenizer, prev: number, id: number): string {
  return tokenizer.decode([prev, id]).slice(tokenizer.decode([prev]).length);
}

function lastLogits(model: GPT, window: Int32Array): Float32Array {
  const logits = model.forward(window, 1);
  const v = model.config.vocabSize;
  return logits.view().slice((window.length - 1) * v, window.length * v);
}
