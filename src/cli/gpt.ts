// `simdnet train-gpt` and `simdnet generate`: train a small GPT on a text (the embedded King James
// Bible excerpt by default), with progress, held-out loss, checkpoints, a loss chart and a sample;
// then generate from a checkpoint, streaming tokens, optionally drawing the attention maps.

import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { BuildName } from "../runtime/index.js";
import { ArgumentError, backendInfo, init } from "../index.js";
import { loadEmbeddedCorpus, readTextFile, splitText } from "../data/text.js";
import { GPT } from "../transformer/gpt.js";
import { GptTrainer, type GptStepStats } from "../transformer/train.js";
import { generate } from "../transformer/generate.js";
import { Tokenizer } from "../transformer/tokenizer.js";
import { loadCheckpoint, saveCheckpoint } from "../transformer/checkpoint.js";
import { attentionMaps } from "../transformer/attention-maps.js";
import { attentionHeatmapSvg, lossChartSvg } from "./svg.js";
import { formatSeconds, progressLine } from "./progress.js";
import { BUILD_HELP, parseBuildOption } from "./build-option.js";

export interface GptRunConfig {
  /** A UTF-8 file to train on; "" = the embedded corpus. */
  text: string;
  tokenizer: "characters" | "words";
  layers: number;
  dModel: number;
  heads: number;
  context: number;
  batchSize: number;
  steps: number;
  learningRate: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  evalEvery: number;
  evalSequences: number;
  seed: number;
  /** Checkpoint path ("" = don't save). */
  output: string;
  /** Continue from this checkpoint. */
  resume: string;
  /** Loss chart (SVG) path ("" = none). */
  lossChart: string;
  sampleTokens: number;
  /** Kernel build; undefined = the fastest the engine accepts. */
  build?: BuildName;
}

export const DEFAULT_GPT_CONFIG: Readonly<GptRunConfig> = {
  text: "",
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
  output: "gpt.safetensors",
  resume: "",
  lossChart: "gpt-loss.svg",
  sampleTokens: 300,
};

export interface GptRunResult {
  model: GPT;
  tokenizer: Tokenizer;
  history: GptStepStats[];
  evals: { step: number; loss: number }[];
  finalEvalLoss: number;
  sample: string;
  seconds: number;
  tokensPerSecond: number;
}

export async function trainGpt(config: GptRunConfig, log: (line: string) => void = () => {}): Promise<GptRunResult> {
  await init(config.build === undefined ? {} : { build: config.build });
  const text = config.text ? await readTextFile(config.text) : await loadEmbeddedCorpus();
  const { train, validation } = splitText(text, 0.1);
  let model: GPT;
  let tokenizer: Tokenizer;
  let startStep = 0;
  let resumed: ReturnType<typeof loadCheckpoint> | undefined;
  if (config.resume) {
    resumed = loadCheckpoint(new Uint8Array(await readFile(config.resume)));
    model = resumed.model;
    tokenizer = Tokenizer.fromJSON(resumed.tokenizer);
    startStep = resumed.step;
  } else {
    tokenizer = config.tokenizer === "words" ? Tokenizer.words(text, { maxVocab: 8000, unknown: "<unk>" }) : Tokenizer.characters(text);
    model = new GPT({ vocabSize: tokenizer.vocabSize, contextLength: config.context, dModel: config.dModel, heads: config.heads, layers: config.layers, seed: config.seed });
  }
  const onUnknown = config.tokenizer === "words" ? "replace" : "error";
  const trainIds = tokenizer.encode(train, { onUnknown });
  const validIds = tokenizer.encode(validation, { onUnknown });
  const trainer = new GptTrainer(model, trainIds, validIds, {
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
    resumed.restoreOptimizer(trainer.optimizer);
  }
  const c = model.config;
  log(`simdnet train-gpt: ${c.layers} layers, d_model ${c.dModel}, ${c.heads} heads, context ${c.contextLength}, ${tokenizer.kind}-level vocabulary of ${tokenizer.vocabSize}; ${model.parameterCount.toLocaleString("en-US")} parameters; ${backendInfo().build} kernels`);
  log(`  text: ${config.text || "the embedded King James Bible excerpt (Genesis–Esther)"}, ${trainIds.length.toLocaleString("en-US")} training / ${validIds.length.toLocaleString("en-US")} held-out tokens`);
  log(`  ${config.steps} steps of ${config.batchSize}×${c.contextLength} tokens, AdamW lr ${config.learningRate} (warm-up ${config.warmupSteps}, cosine decay), clip ${config.clipNorm}${resumed ? `; resuming at step ${startStep}` : ""}`);
  const history: GptStepStats[] = [];
  const evals: { step: number; loss: number }[] = [];
  const bar = progressLine();
  const t0 = performance.now();
  let tokens = 0;
  const initialEval = trainer.evaluate();
  evals.push({ step: startStep, loss: initialEval });
  log(`step ${startStep}: held-out loss ${initialEval.toFixed(4)} nats/token`);
  try {
    for (let s = startStep; s < config.steps; s++) {
      const stats = trainer.trainStep();
      history.push(stats);
      tokens += stats.tokens;
      const elapsed = (performance.now() - t0) / 1000;
      const rate = tokens / Math.max(elapsed, 1e-9);
      bar.update(stats.step - startStep, config.steps - startStep, {
        step: `${stats.step}/${config.steps}`,
        "tokens/s": Math.round(rate).toLocaleString("en-US"),
        loss: stats.loss.toFixed(3),
        ETA: formatSeconds(((config.steps - stats.step) * stats.tokens) / rate),
      });
      if (stats.step % config.evalEvery === 0 || stats.step === config.steps) {
        const loss = trainer.evaluate();
        evals.push({ step: stats.step, loss });
        bar.clear();
        log(`step ${stats.step}: train loss ${stats.loss.toFixed(4)}, held-out loss ${loss.toFixed(4)} nats/token, lr ${stats.learningRate.toExponential(2)}, ${Math.round(rate).toLocaleString("en-US")} tokens/s`);
      }
    }
  } finally {
    trainer.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  const finalEvalLoss = evals.at(-1)!.loss;
  if (config.output) {
    await writeFile(config.output, saveCheckpoint(model, { tokenizer: JSON.stringify(tokenizer.toJSON()), step: config.steps, extra: { text: config.text || "embedded:kjv" } }));
    log(`Saved the model to ${config.output} (safetensors; resume with --resume ${config.output})`);
  }
  if (config.lossChart) {
    const svg = lossChartSvg(
      [
        { name: "training (per step)", points: history.map((h) => ({ x: h.step, y: h.loss })) },
        { name: "held-out", points: evals.map((e) => ({ x: e.step, y: e.loss })) },
      ],
      { title: "GPT training loss", xLabel: "step", yLabel: "nats per token" },
    );
    await writeFile(config.lossChart, svg);
    log(`Wrote the loss curve to ${config.lossChart}`);
  }
  let sample = "";
  if (config.sampleTokens > 0) {
    const prompt = tokenizer.kind === "characters" ? "And God said" : "And God said";
    sample = generate(model, tokenizer, prompt, { maxNewTokens: config.sampleTokens, temperature: 0.8, topK: 5, seed: config.seed }).text;
    log(`Sample (temperature 0.8, top-k 5):\n${sample}`);
  }
  return { model, tokenizer, history, evals, finalEvalLoss, sample, seconds, tokensPerSecond: tokens / seconds };
}

// ---- flags ----

function intFlag(name: string, v: string | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new ArgumentError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}

function numFlag(name: string, v: string | undefined, fallback: number, min: number, exclusive = false): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || (exclusive ? n <= min : n < min)) throw new ArgumentError(`--${name} must be a number ${exclusive ? ">" : ">="} ${min}, got "${v}"`);
  return n;
}

export const TRAIN_GPT_HELP = `Usage: simdnet train-gpt [options]

Trains a small GPT (decoder-only transformer) on a text and saves it as safetensors.

Options:
  --text FILE          a UTF-8 text file (default: the embedded King James Bible excerpt, Genesis–Esther)
  --tokenizer KIND     characters | words (default characters)
  --layers N           transformer blocks (default 2)
  --d-model N          width of every token vector (default 128)
  --heads N            attention heads (default 4; must divide --d-model)
  --context N          tokens per sequence (default 64)
  --batch-size N       sequences per step (default 32)
  --steps N            optimisation steps (default 800)
  --learning-rate X    peak AdamW rate (default 3e-3)
  --warmup N           warm-up steps (default 60)
  --weight-decay X     (default 0.1)
  --clip X             global gradient-norm clip, 0 = off (default 1)
  --eval-every N       held-out loss every N steps (default 200)
  --seed N             (default 0)
  --output FILE        checkpoint (default gpt.safetensors; "" = don't save)
  --resume FILE        continue training from a checkpoint
  --loss-chart FILE    SVG loss curve (default gpt-loss.svg; "" = none)
  --sample N           characters/words to generate at the end (default 300)
${BUILD_HELP}
`;

export function parseTrainGptArgs(argv: string[]): GptRunConfig | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...Object.fromEntries(
        ["text", "tokenizer", "layers", "d-model", "heads", "context", "batch-size", "steps", "learning-rate", "warmup", "weight-decay", "clip", "eval-every", "seed", "output", "resume", "loss-chart", "sample"].map(
          (k) => [k, { type: "string" as const }],
        ),
      ),
      scalar: { type: "boolean" as const },
      build: { type: "string" as const },
      help: { type: "boolean" as const },
    },
  }) as { values: Record<string, string | boolean | undefined> };
  if (values.help) return "help";
  const s = (k: string) => values[k] as string | undefined;
  const d = DEFAULT_GPT_CONFIG;
  const tokenizer = s("tokenizer") ?? d.tokenizer;
  if (tokenizer !== "characters" && tokenizer !== "words") throw new ArgumentError(`--tokenizer must be characters or words, got "${tokenizer}"`);
  return {
    text: s("text") ?? d.text,
    tokenizer,
    layers: intFlag("layers", s("layers"), d.layers, 1),
    dModel: intFlag("d-model", s("d-model"), d.dModel, 1),
    heads: intFlag("heads", s("heads"), d.heads, 1),
    context: intFlag("context", s("context"), d.context, 2),
    batchSize: intFlag("batch-size", s("batch-size"), d.batchSize, 1),
    steps: intFlag("steps", s("steps"), d.steps, 1),
    learningRate: numFlag("learning-rate", s("learning-rate"), d.learningRate, 0, true),
    warmupSteps: intFlag("warmup", s("warmup"), d.warmupSteps, 0),
    weightDecay: numFlag("weight-decay", s("weight-decay"), d.weightDecay, 0),
    clipNorm: numFlag("clip", s("clip"), d.clipNorm, 0),
    evalEvery: intFlag("eval-every", s("eval-every"), d.evalEvery, 1),
    evalSequences: d.evalSequences,
    seed: intFlag("seed", s("seed"), d.seed, 0),
    output: s("output") ?? d.output,
    resume: s("resume") ?? d.resume,
    lossChart: s("loss-chart") ?? d.lossChart,
    sampleTokens: intFlag("sample", s("sample"), d.sampleTokens, 0),
    build: parseBuildOption(s("build"), values.scalar === true),
  };
}

export async function runTrainGpt(argv: string[]): Promise<number> {
  const config = parseTrainGptArgs(argv);
  if (config === "help") {
    process.stdout.write(TRAIN_GPT_HELP);
    return 0;
  }
  const result = await trainGpt(config, (line) => console.log(line));
  console.log(`Held-out loss ${result.finalEvalLoss.toFixed(4)} nats/token after ${result.seconds.toFixed(0)} s (${Math.round(result.tokensPerSecond).toLocaleString("en-US")} tokens/s)`);
  result.model.dispose();
  return 0;
}

export const GENERATE_HELP = `Usage: simdnet generate --model FILE --prompt TEXT [options]

Generates text from a checkpoint written by train-gpt, streaming it as it is sampled.

Options:
  --model FILE          the checkpoint (required)
  --prompt TEXT         the start of the text (required; must fit the model's context)
  --max-new-tokens N    (default 200)
  --temperature X       > 0; lower is more predictable (default 0.8)
  --top-k N             sample among the k most likely tokens (default 5, as the tutorial)
  --top-p X             nucleus sampling, 0 < p <= 1 (default off)
  --greedy              always take the most likely token
  --seed N              (default 0)
  --no-cache            recompute every position for every token (slow; for comparison)
  --attention-svg FILE  draw the attention maps of the prompt (layer 1, every head) as SVG
`;

export async function runGenerate(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: "string" }, prompt: { type: "string" }, "max-new-tokens": { type: "string" }, temperature: { type: "string" },
      "top-k": { type: "string" }, "top-p": { type: "string" }, greedy: { type: "boolean" }, seed: { type: "string" },
      "no-cache": { type: "boolean" }, "attention-svg": { type: "string" }, help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(GENERATE_HELP);
    return 0;
  }
  if (!values.model) throw new ArgumentError("generate: --model FILE is required (a checkpoint from train-gpt)");
  if (values.prompt === undefined) throw new ArgumentError("generate: --prompt TEXT is required");
  await init();
  const checkpoint = loadCheckpoint(new Uint8Array(await readFile(values.model)));
  const tokenizer = Tokenizer.fromJSON(checkpoint.tokenizer);
  const model = checkpoint.model;
  try {
    const temperature = values.temperature === undefined ? 0.8 : Number(values.temperature);
    const topK = values["top-k"] === undefined ? 5 : Number(values["top-k"]);
    const topP = values["top-p"] === undefined ? undefined : Number(values["top-p"]);
    if (values["attention-svg"]) {
      const maps = attentionMaps(model, tokenizer, values.prompt);
      const t = maps.tokens.length;
      const svgs = maps.weights[0]!.map((w, h) => attentionHeatmapSvg(w, maps.tokens, maps.tokens, { title: `layer 1, head ${h + 1}`, cellSize: t > 40 ? 12 : 20 }));
      await writeFile(values["attention-svg"], combineSvgs(svgs));
    }
    process.stdout.write(values.prompt);
    const result = generate(model, tokenizer, values.prompt, {
      maxNewTokens: intFlag("max-new-tokens", values["max-new-tokens"], 200, 0),
      temperature,
      topK,
      topP,
      greedy: values.greedy,
      seed: intFlag("seed", values.seed, 0, 0),
      useCache: !values["no-cache"],
      onToken: (piece) => void process.stdout.write(piece),
    });
    process.stdout.write("\n");
    if (values["attention-svg"]) console.error(`Wrote attention maps to ${values["attention-svg"]}`);
    console.error(`(${result.newTokens} tokens)`);
  } finally {
    model.dispose();
  }
  return 0;
}

/** Stack several standalone SVGs vertically into one document. */
function combineSvgs(svgs: string[]): string {
  let y = 0;
  let width = 0;
  const parts = svgs.map((svg) => {
    const w = Number(/width="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 0);
    const h = Number(/height="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 0);
    const part = `<g transform="translate(0,${y})">${svg.replace(/<\?xml[^>]*\?>/, "")}</g>`;
    y += h;
    width = Math.max(width, w);
    return part;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}">${parts.join("")}</svg>`;
}
