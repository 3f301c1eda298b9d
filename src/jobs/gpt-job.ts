// The train-gpt job: a small GPT trained on a text with held-out evaluation, progress callbacks,
// checkpoints (with AdamW's moments) through an injected sink, exact resume, and a closing sample.
// No file system here: the caller passes the text and the checkpoint bytes, so the same job runs in
// Node (the CLI) and in a browser Worker.
//
// Exact resume: GptTrainer draws the batch of step s from a generator seeded by (seed, s), and the
// checkpoint carries the weights, the moments and the step, so stopping after k steps and resuming
// gives the same bits as the uninterrupted run. The learning-rate schedule is planned for
// `config.steps` (the run's total): resuming with a larger total stretches it from there on.

import { ArgumentError, FormatError } from "../runtime/errors.js";
import { backendInfo } from "../runtime/engine.js";
import { readSafetensors } from "../io/safetensors.js";
import { splitText } from "../data/text.js";
import { GPT, type GptConfig } from "../transformer/gpt.js";
import { GptTrainer, type GptStepStats } from "../transformer/train.js";
import { generate } from "../transformer/generate.js";
import { Tokenizer } from "../transformer/tokenizer.js";
import { loadCheckpoint, saveCheckpoint, GPT_FORMAT } from "../transformer/checkpoint.js";
import { eventLoopYielder, plural, type CheckpointSink, type JobHooks } from "./hooks.js";

/** Everything that decides a train-gpt run's arithmetic. */
export interface GptTrainingConfig {
  tokenizer: "characters" | "words";
  layers: number;
  dModel: number;
  heads: number;
  context: number;
  batchSize: number;
  /** Total steps of the run (the learning-rate schedule ends here; a resumed run continues up to it). */
  steps: number;
  learningRate: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  evalEvery: number;
  evalSequences: number;
  seed: number;
}

export const DEFAULT_GPT_TRAINING: Readonly<GptTrainingConfig> = {
  tokenizer: "characters",
  layers: 2,
  dModel: 128,
  heads: 4,
  context: 64,
  batchSize: 32,
  steps: 800,
  learningRate: 3e-3,
  warmupSteps: 60,
  weightDecay: 0.1,
  clipNorm: 1,
  evalEvery: 200,
  evalSequences: 128,
  seed: 0,
};

/** The name the embedded corpus goes by in checkpoints. */
export const EMBEDDED_TEXT_NAME = "embedded:kjv";

export interface GptJobOptions extends JobHooks {
  /** The text to train on (the held-out part is its last tenth). */
  text: string;
  /** A name for messages and the checkpoint (a file name, or EMBEDDED_TEXT_NAME). */
  textName?: string;
  /** A train-gpt checkpoint to continue from. */
  resume?: Uint8Array;
  /** Save a checkpoint every N steps (0: only at the end). Evaluations do not save by themselves. */
  saveEvery?: number;
  onCheckpoint?: CheckpointSink;
  /** Called after every step; return false to stop (a checkpoint is saved first). */
  onStep?: (stats: GptStepStats) => void | boolean;
  onEval?: (evaluation: { step: number; loss: number }) => void;
  /** Tokens to sample at the end (0: none). */
  sampleTokens?: number;
  /** The sample's prompt (default: "And God said" for the embedded text, else the start of the held-out text). */
  prompt?: string;
}

export interface GptJobResult {
  model: GPT;
  tokenizer: Tokenizer;
  history: GptStepStats[];
  evals: { step: number; loss: number }[];
  finalEvalLoss: number;
  prompt: string;
  sample: string;
  step: number;
  startStep: number;
  stopped: boolean;
  seconds: number;
  tokensPerSecond: number;
}

/** What a checkpoint says about the run that wrote it, read from its header alone (no tensors). */
export interface GptCheckpointSummary {
  model: GptConfig;
  step: number;
  tokenizerKind: string;
  /** The training configuration (absent in checkpoints written before it was recorded). */
  training?: Partial<GptTrainingConfig>;
  textName?: string;
}

export function readGptCheckpointSummary(bytes: Uint8Array): GptCheckpointSummary {
  const { metadata } = readSafetensors(bytes);
  if (metadata.format !== GPT_FORMAT) throw new FormatError(`GPT checkpoint: __metadata__.format is ${JSON.stringify(metadata.format)}, expected "${GPT_FORMAT}"`, 8);
  const json = (key: string): unknown => {
    try {
      return JSON.parse(metadata[key] ?? "null");
    } catch {
      throw new FormatError(`GPT checkpoint: __metadata__.${key} is not JSON`, 8);
    }
  };
  const model = json("config") as GptConfig | null;
  if (!model || typeof model !== "object") throw new FormatError("GPT checkpoint: __metadata__.config is missing", 8);
  const tokenizer = json("tokenizer") as { kind?: unknown } | null;
  const training = json("training");
  const step = Number(metadata.step);
  if (!Number.isInteger(step) || step < 0) throw new FormatError(`GPT checkpoint: __metadata__.step ${JSON.stringify(metadata.step)} is not a non-negative integer`, 8);
  return {
    model,
    step,
    tokenizerKind: typeof tokenizer?.kind === "string" ? tokenizer.kind : "",
    training: training && typeof training === "object" ? (training as Partial<GptTrainingConfig>) : undefined,
    textName: metadata.text,
  };
}

/** Only the fields of GptTrainingConfig (callers may pass a larger object, like the CLI's). */
function trainingFields(config: GptTrainingConfig): GptTrainingConfig {
  return Object.fromEntries(Object.keys(DEFAULT_GPT_TRAINING).map((k) => [k, config[k as keyof GptTrainingConfig]])) as unknown as GptTrainingConfig;
}

/** A prompt from the user's own text: the first few tokens of its held-out part, all known to the tokenizer. */
export function promptFromText(tokenizer: Tokenizer, heldOut: string, context: number): string {
  // Start at the first whole word: the held-out part usually begins mid-word.
  const boundary = heldOut.search(/\s\S/);
  const start = boundary >= 0 && boundary < 200 ? boundary + 1 : Math.max(heldOut.search(/\S/), 0);
  const slice = heldOut.slice(start, start + 400);
  const unknown = tokenizer.unknown === undefined ? -1 : tokenizer.idOf(tokenizer.unknown);
  const ids = Array.from(tokenizer.encode(slice, tokenizer.unknown === undefined ? {} : { onUnknown: "replace" })).filter((id) => id !== unknown);
  const want = Math.max(1, Math.min(tokenizer.kind === "words" ? 4 : 16, Math.floor(context / 2)));
  let prompt = tokenizer.decode(ids.slice(0, want));
  if (tokenizer.kind === "characters") {
    // End at a word boundary when there is one, so the sample continues a whole word.
    const cut = prompt.lastIndexOf(" ");
    if (cut > 0) prompt = prompt.slice(0, cut);
  }
  return prompt;
}

function checkPrompt(tokenizer: Tokenizer, prompt: string, context: number): void {
  let ids: Int32Array;
  try {
    ids = tokenizer.encode(prompt);
  } catch (cause) {
    throw new ArgumentError(`train-gpt: the sample prompt ${JSON.stringify(prompt)} does not fit the text's vocabulary: ${(cause as Error).message}`, { cause });
  }
  if (ids.length === 0) throw new ArgumentError("train-gpt: the sample prompt is empty");
  if (ids.length > context) throw new ArgumentError(`train-gpt: the sample prompt has ${ids.length} tokens, more than the context length ${context}`);
}

export async function trainGpt(config: GptTrainingConfig, options: GptJobOptions): Promise<GptJobResult> {
  const log = options.log ?? (() => {});
  const saveEvery = options.saveEvery ?? 0;
  if (!Number.isInteger(saveEvery) || saveEvery < 0) throw new ArgumentError(`train-gpt: saveEvery must be an integer >= 0, got ${saveEvery}`);
  const textName = options.textName ?? "text";
  const { train, validation } = splitText(options.text, 0.1);
  let model: GPT;
  let tokenizer: Tokenizer;
  let startStep = 0;
  let resumed: ReturnType<typeof loadCheckpoint> | undefined;
  if (options.resume) {
    resumed = loadCheckpoint(options.resume);
    model = resumed.model;
    try {
      tokenizer = Tokenizer.fromJSON(resumed.tokenizer);
      const c = model.config;
      for (const [name, saved, asked] of [["layers", c.layers, config.layers], ["dModel", c.dModel, config.dModel], ["heads", c.heads, config.heads], ["context", c.contextLength, config.context]] as const) {
        if (saved !== asked) throw new ArgumentError(`train-gpt: the checkpoint's model has ${name} ${saved}, but ${name} ${asked} was asked for; start a new run to change the model`);
      }
      if (tokenizer.kind !== config.tokenizer) throw new ArgumentError(`train-gpt: the checkpoint's tokenizer is ${tokenizer.kind}-level, but ${config.tokenizer} was asked for`);
      startStep = resumed.step;
      if (!Number.isInteger(startStep) || startStep < 0) throw new FormatError(`GPT checkpoint: step ${startStep} is not a non-negative integer`, 8);
    } catch (error) {
      model.dispose();
      throw error;
    }
  } else {
    tokenizer = config.tokenizer === "words" ? Tokenizer.words(options.text, { maxVocab: 8000, unknown: "<unk>" }) : Tokenizer.characters(options.text);
    model = new GPT({ vocabSize: tokenizer.vocabSize, contextLength: config.context, dModel: config.dModel, heads: config.heads, layers: config.layers, seed: config.seed });
  }
  let trainer: GptTrainer | undefined;
  const t0 = performance.now();
  try {
    const sampleTokens = options.sampleTokens ?? 0;
    const prompt = options.prompt ?? (textName === EMBEDDED_TEXT_NAME ? "And God said" : promptFromText(tokenizer, validation, model.config.contextLength));
    if (sampleTokens > 0) checkPrompt(tokenizer, prompt, model.config.contextLength);
    const onUnknown = tokenizer.unknown === undefined ? "error" : "replace";
    const trainIds = tokenizer.encode(train, { onUnknown });
    const validIds = tokenizer.encode(validation, { onUnknown });
    trainer = new GptTrainer(model, trainIds, validIds, {
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      warmupSteps: config.warmupSteps,
      totalSteps: config.steps,
      weightDecay: config.weightDecay,
      clipNorm: config.clipNorm,
      evalSequences: config.evalSequences,
      seed: config.seed,
    });
    if (resumed) {
      trainer.step = startStep;
      if (!resumed.restoreOptimizer(trainer.optimizer)) log("  (the checkpoint holds no optimizer state: AdamW starts afresh, so this is not an exact continuation)");
    }
    const c = model.config;
    log(`simdnet train-gpt: ${plural(c.layers, "layer")}, d_model ${c.dModel}, ${plural(c.heads, "head")}, context ${c.contextLength}, ${tokenizer.kind}-level vocabulary of ${tokenizer.vocabSize}; ${plural(model.parameterCount, "parameter")}; ${backendInfo().build} kernels, ${plural(backendInfo().threads, "thread")}`);
    log(`  text: ${textName === EMBEDDED_TEXT_NAME ? "the embedded King James Bible excerpt (Genesis–Esther)" : textName}, ${plural(trainIds.length, "training token")} / ${plural(validIds.length, "held-out token")}`);
    log(`  ${plural(config.steps, "step")} in total, each ${config.batchSize}×${c.contextLength} tokens, AdamW lr ${config.learningRate} (warm-up ${config.warmupSteps}, cosine decay), clip ${config.clipNorm}${resumed ? `; resuming after step ${startStep}, ${plural(Math.max(config.steps - startStep, 0), "step")} to go` : ""}`);

    const save = async (step: number, final: boolean) => {
      if (!options.onCheckpoint) return;
      const bytes = saveCheckpoint(model, { tokenizer: JSON.stringify(tokenizer.toJSON()), step, extra: { text: textName, training: JSON.stringify(trainingFields(config)) } }, trainer!.optimizer);
      await options.onCheckpoint(bytes, { step, final });
    };

    const history: GptStepStats[] = [];
    const evals: { step: number; loss: number }[] = [];
    const evaluate = (step: number) => {
      const loss = trainer!.evaluate();
      evals.push({ step, loss });
      options.onEval?.({ step, loss });
    };
    evaluate(startStep);
    let tokens = 0;
    let stopped = false;
    let step = startStep;
    const yieldNow = eventLoopYielder();
    while (step < config.steps) {
      await yieldNow();
      if (options.signal?.aborted) {
        stopped = true;
        break;
      }
      const stats = trainer.trainStep();
      step = stats.step;
      history.push(stats);
      tokens += stats.tokens;
      const more = options.onStep?.(stats);
      if (step % config.evalEvery === 0 || step === config.steps) evaluate(step);
      if (more === false && step < config.steps) {
        stopped = true;
        break;
      }
      if (saveEvery > 0 && step % saveEvery === 0 && step < config.steps) await save(step, false);
    }
    await save(step, !stopped);
    const seconds = (performance.now() - t0) / 1000;
    let sample = "";
    if (sampleTokens > 0 && !stopped) {
      sample = generate(model, tokenizer, prompt, { maxNewTokens: sampleTokens, temperature: 0.8, topK: 5, seed: config.seed }).text;
    }
    return { model, tokenizer, history, evals, finalEvalLoss: evals.at(-1)!.loss, prompt, sample, step, startStep, stopped, seconds, tokensPerSecond: tokens / Math.max(seconds, 1e-9) };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    trainer?.dispose();
  }
}
