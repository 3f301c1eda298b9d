// Choosing the next token from the model's logits, as the tutorial describes: softmax turns the
// logits into a probability distribution; dividing the logits by a temperature T first makes the
// distribution less extreme (T > 1, more varied text) or sharper (T < 1, T → 0 approaches argmax).
// Then, optionally, only the k most likely tokens (top-k; the tutorial samples among the top 5)
// and/or the smallest set of most likely tokens whose probability reaches p (top-p, "nucleus") are
// kept, renormalised, and one is drawn with the seeded Random, so a seed reproduces a generation.
//
// Pure functions over plain arrays, in float64; depends only on runtime/.

import { ArgumentError } from "../runtime/errors.js";
import type { Random } from "../runtime/random.js";

export interface SamplingOptions {
  /** Divide the logits by this before softmax; must be > 0 unless greedy. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (ties: lower id first). Integer >= 1; k >= vocabulary keeps all. */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability sums to at least p, p in (0, 1]. */
  topP?: number;
  /** Always take the most likely token (the first one on ties); no random number is drawn. */
  greedy?: boolean;
}

function checkLogits(op: string, logits: ArrayLike<number>): number {
  if (logits === null || typeof logits !== "object" || typeof logits.length !== "number") {
    throw new ArgumentError(`${op}: logits must be a Float32Array (or array of numbers), got ${logits === null ? "null" : typeof logits}`);
  }
  const n = logits.length;
  if (n === 0) throw new ArgumentError(`${op}: logits is empty (a vocabulary of 0 tokens)`);
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    if (Number.isNaN(v)) throw new ArgumentError(`${op}: logit ${i} is NaN`);
    if (v === Infinity) throw new ArgumentError(`${op}: logit ${i} is +Infinity`);
    if (v > max) max = v;
  }
  if (max === -Infinity) throw new ArgumentError(`${op}: all ${n} logits are -Infinity (every token is masked)`);
  return max;
}

function checkTemperature(op: string, temperature: unknown): number {
  if (typeof temperature !== "number" || !(temperature > 0)) {
    throw new ArgumentError(`${op}: temperature must be a number > 0 (use greedy: true for argmax), got ${String(temperature)}`);
  }
  return temperature;
}

function softmaxInto(logits: ArrayLike<number>, max: number, temperature: number, out: Float64Array): void {
  let sum = 0;
  for (let i = 0; i < out.length; i++) {
    const e = Math.exp((logits[i]! - max) / temperature);
    out[i] = e;
    sum += e;
  }
  // sum >= 1: the maximum contributes exp(0) = 1.
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
}

/**
 * softmax(logits / temperature) in float64, computed stably (the maximum logit is subtracted first,
 * so large logits do not overflow). Logits of -Infinity get probability 0 (masked tokens).
 */
export function probabilities(logits: ArrayLike<number>, temperature = 1): Float64Array {
  const max = checkLogits("probabilities", logits);
  checkTemperature("probabilities", temperature);
  const p = new Float64Array(logits.length);
  softmaxInto(logits, max, temperature, p);
  return p;
}

/** Index of the largest logit, the first one on ties. */
export function argmax(logits: ArrayLike<number>): number {
  checkLogits("argmax", logits);
  return argmaxUnchecked(logits);
}

function argmaxUnchecked(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

function checkOptions(op: string, options: SamplingOptions): void {
  if (options === null || typeof options !== "object") throw new ArgumentError(`${op}: options must be an object`);
  const { topK, topP, greedy } = options;
  if (greedy !== undefined && typeof greedy !== "boolean") {
    throw new ArgumentError(`${op}: greedy must be true or false, got ${String(greedy)}`);
  }
  if (topK !== undefined && !(typeof topK === "number" && Number.isInteger(topK) && topK >= 1)) {
    throw new ArgumentError(`${op}: topK must be an integer >= 1, got ${String(topK)}`);
  }
  if (topP !== undefined && !(typeof topP === "number" && topP > 0 && topP <= 1)) {
    throw new ArgumentError(`${op}: topP must be a number in (0, 1], got ${String(topP)}`);
  }
  if (!greedy) checkTemperature(op, options.temperature ?? 1);
}

/**
 * The distribution sampleToken draws from: softmax with temperature, then top-k, then top-p (on the
 * top-k set renormalised), renormalised. Tokens cut off get exactly 0. With greedy, one-hot at the
 * argmax.
 */
export function samplingDistribution(logits: ArrayLike<number>, options: SamplingOptions = {}): Float64Array {
  return distribution("samplingDistribution", logits, options);
}

function distribution(op: string, logits: ArrayLike<number>, options: SamplingOptions): Float64Array {
  const max = checkLogits(op, logits);
  checkOptions(op, options);
  const n = logits.length;
  const p = new Float64Array(n);
  if (options.greedy) {
    p[argmaxUnchecked(logits)] = 1;
    return p;
  }
  softmaxInto(logits, max, options.temperature ?? 1, p);
  const topK = options.topK ?? n;
  const topP = options.topP ?? 1;
  if (topK >= n && topP >= 1) return p;

  // Most likely first; ties by lower id (a stable order, so results do not depend on the engine's sort).
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b);
  let keep = Math.min(topK, n);
  if (topP < 1) {
    let kept = 0;
    for (let r = 0; r < keep; r++) kept += p[order[r]!]!;
    // Smallest prefix whose share of the top-k mass reaches topP (compare unnormalised: cum >= topP·kept).
    const target = topP * kept;
    let cum = 0;
    for (let r = 0; r < keep; r++) {
      cum += p[order[r]!]!;
      if (cum >= target) {
        keep = r + 1;
        break;
      }
    }
  }
  let total = 0;
  for (let r = 0; r < keep; r++) total += p[order[r]!]!;
  const q = new Float64Array(n);
  for (let r = 0; r < keep; r++) {
    const i = order[r]!;
    q[i] = p[i]! / total;
  }
  return q;
}

/**
 * Pick the next token id from `logits`. Greedy: the argmax (first on ties), no random number drawn.
 * Otherwise softmax(logits / temperature), keep the topK most likely, then the smallest most-likely
 * set with probability >= topP, renormalise, and draw with exactly one `rng.uniform()` (inverse CDF
 * over token ids in increasing order), so the same seed gives the same tokens.
 */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, rng: Random): number {
  const opts = options ?? {};
  if (opts.greedy) {
    checkLogits("sampleToken", logits);
    checkOptions("sampleToken", opts);
    return argmaxUnchecked(logits);
  }
  const q = distribution("sampleToken", logits, opts);
  if (rng === null || typeof rng !== "object" || typeof rng.uniform !== "function") {
    throw new ArgumentError("sampleToken: rng must be a Random (e.g. new Random(seed))");
  }
  const u = rng.uniform();
  let cum = 0;
  let last = -1;
  for (let i = 0; i < q.length; i++) {
    if (q[i]! === 0) continue;
    cum += q[i]!;
    last = i;
    if (u < cum) return i;
  }
  return last; // u within rounding of 1: the last token that can be drawn
}
