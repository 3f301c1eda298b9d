// attentionMaps: run a text through the model and return, per layer and head, the attention
// weights softmax(QKᵀ/√d, causal) — which earlier tokens each token looked at.

import { ArgumentError } from "../runtime/errors.js";
import { tidy } from "../runtime/tidy.js";
import type { GPT } from "./gpt.js";
import type { Tokenizer } from "./tokenizer.js";

export interface AttentionMaps {
  /** The tokens, as text pieces, in order. */
  tokens: string[];
  /** weights[layer][head] is a [T, T] row-major matrix; row i sums to 1 over columns 0..i. */
  weights: Float32Array[][];
}

export function attentionMaps(model: GPT, tokenizer: Tokenizer, text: string): AttentionMaps {
  const ids = tokenizer.encode(text);
  if (ids.length === 0) throw new ArgumentError("attentionMaps: the text is empty");
  if (ids.length > model.config.contextLength) {
    throw new ArgumentError(`attentionMaps: the text has ${ids.length} tokens, more than the context length ${model.config.contextLength}`);
  }
  model.forward(ids, 1);
  const t = ids.length;
  const weights = model.blocks.map((block) =>
    tidy(() => {
      const w = block.attn.attentionWeights().toFloat32Array(); // [h, T, T]
      return Array.from({ length: block.attn.heads }, (_, h) => w.slice(h * t * t, (h + 1) * t * t));
    }),
  );
  return { tokens: Array.from(ids, (id) => tokenizer.decode([id])), weights };
}
