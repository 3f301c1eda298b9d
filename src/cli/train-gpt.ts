// `simdnet train-gpt`: parse the flags, read the text, run the library's train-gpt job (src/jobs),
// print its progress, save its checkpoints atomically, draw the loss chart beside the checkpoint,
// and print the closing sample.

import type { BuildName } from "../runtime/index.js";
import {
  ArgumentError, DEFAULT_GPT_TRAINING, EMBEDDED_TEXT_NAME, decodeUtf8, init, loadEmbeddedCorpus, readGptCheckpointSummary, trainGpt as runGptJob,
  type GptJobResult, type GptTrainingConfig,
} from "../index.js";
import { lossChartSvg } from "./svg.js";
import { formatSeconds, progressLine } from "./progress.js";
import { BUILD_HELP, backendOptions, parseBuildOption, parseThreadsOption } from "./build-option.js";
import { COMMON_OPTIONS, intOption, numberOption, parseOptions } from "./options.js";
import { besideOutput, checkWritable, readInput, removeStaleTemps, writeFileAtomic } from "./files.js";
import { COMMON_HELP, interruptible, plural, printVersion } from "./common.js";
import type { Parsed } from "./train-mlp.js";

export interface GptRunConfig extends GptTrainingConfig {
  /** A UTF-8 file to train on; "" = the embedded corpus. */
  text: string;
  /** Checkpoint path ("" = don't save). */
  output: string;
  /** Continue from this checkpoint. */
  resume: string;
  /** Loss chart (SVG) path; undefined = beside --output; "" = none. */
  lossChart?: string;
  /** Save every N steps (and at the end). */
  saveEvery: number;
  sampleTokens: number;
  /** The closing sample's prompt; undefined = from the text. */
  prompt?: string;
  build?: BuildName;
  /** Worker threads (--threads); undefined = auto. */
  threads?: number | "auto";
}

/**
 * Checkpoints every 100 steps by default: at the default model's ~0.3 s per step that is one save
 * (a few MB, written and fsynced in tens of ms) every half minute — under 0.5% of the time — and a
 * kill loses at most that half minute.
 */
export const DEFAULT_SAVE_EVERY = 100;

export const DEFAULT_GPT_CONFIG: Readonly<GptRunConfig> = {
  ...DEFAULT_GPT_TRAINING,
  text: "",
  output: "gpt.safetensors",
  resume: "",
  saveEvery: DEFAULT_SAVE_EVERY,
  sampleTokens: 300,
};

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
  --steps N            total optimisation steps of the run, also when resuming (default 800)
  --learning-rate X    peak AdamW rate (default 3e-3)
  --warmup N           warm-up steps (default 60)
  --weight-decay X     (default 0.1)
  --clip X             global gradient-norm clip, 0 = off (default 1)
  --eval-every N       held-out loss every N steps (default 200)
  --seed N             (default 0)
  --output FILE        checkpoint with the optimizer state (default gpt.safetensors; "" = don't save);
                       saved atomically, so a kill leaves the last complete one
  --save-every N       checkpoint every N steps (default ${DEFAULT_SAVE_EVERY}) and at the end
  --resume FILE        continue from a checkpoint, exactly as if the run had not stopped; settings not
                       given are the checkpoint's, and model settings must not contradict it
  --loss-chart FILE    SVG loss curve (default: beside --output, e.g. gpt-loss.svg; "" = none)
  --sample N           characters/words to generate at the end (default 300)
  --prompt TEXT        the sample's start (default: from the text: "And God said" for the embedded one)
${BUILD_HELP}
${COMMON_HELP}`;

const STRING_FLAGS = [
  "text", "tokenizer", "layers", "d-model", "heads", "context", "batch-size", "steps", "learning-rate", "warmup", "weight-decay", "clip",
  "eval-every", "seed", "output", "resume", "loss-chart", "sample", "prompt", "save-every",
] as const;
const SPECS = { ...COMMON_OPTIONS, ...Object.fromEntries(STRING_FLAGS.map((k) => [k, "string" as const])) };

/** Model settings: a resume must not contradict them. */
const MODEL_FLAGS: [flag: string, key: keyof GptTrainingConfig][] = [["tokenizer", "tokenizer"], ["layers", "layers"], ["d-model", "dModel"], ["heads", "heads"], ["context", "context"]];
/** Training settings: a resume takes the checkpoint's unless given. */
const TRAINING_FLAGS: [flag: string, key: keyof GptTrainingConfig][] = [
  ["batch-size", "batchSize"], ["steps", "steps"], ["learning-rate", "learningRate"], ["warmup", "warmupSteps"], ["weight-decay", "weightDecay"],
  ["clip", "clipNorm"], ["eval-every", "evalEvery"], ["seed", "seed"],
];

export function parseTrainGptArgs(argv: string[]): Parsed<GptRunConfig> {
  const o = parseOptions("train-gpt", argv, SPECS);
  if (o.flag("help")) return { kind: "help" };
  if (o.flag("version")) return { kind: "version" };
  const s = (k: string) => o.string(k);
  const d = DEFAULT_GPT_CONFIG;
  const tokenizer = s("tokenizer") ?? d.tokenizer;
  if (tokenizer !== "characters" && tokenizer !== "words") throw new ArgumentError(`--tokenizer must be characters or words, got "${tokenizer}"`);
  const config: GptRunConfig = {
    text: s("text") ?? d.text,
    tokenizer,
    layers: intOption("layers", s("layers"), d.layers, 1),
    dModel: intOption("d-model", s("d-model"), d.dModel, 1),
    heads: intOption("heads", s("heads"), d.heads, 1),
    context: intOption("context", s("context"), d.context, 2),
    batchSize: intOption("batch-size", s("batch-size"), d.batchSize, 1),
    steps: intOption("steps", s("steps"), d.steps, 1),
    learningRate: numberOption("learning-rate", s("learning-rate"), d.learningRate, 0, true),
    warmupSteps: intOption("warmup", s("warmup"), d.warmupSteps, 0),
    weightDecay: numberOption("weight-decay", s("weight-decay"), d.weightDecay, 0),
    clipNorm: numberOption("clip", s("clip"), d.clipNorm, 0),
    evalEvery: intOption("eval-every", s("eval-every"), d.evalEvery, 1),
    evalSequences: d.evalSequences,
    seed: intOption("seed", s("seed"), d.seed, 0),
    output: s("output") ?? d.output,
    resume: s("resume") ?? d.resume,
    lossChart: s("loss-chart"),
    saveEvery: intOption("save-every", s("save-every"), d.saveEvery, 0),
    sampleTokens: intOption("sample", s("sample"), d.sampleTokens, 0),
    prompt: s("prompt"),
    build: parseBuildOption(s("build"), o.flag("scalar")),
    threads: parseThreadsOption(s("threads")),
  };
  if (config.dModel % config.heads !== 0) throw new ArgumentError(`--heads ${config.heads} must divide --d-model ${config.dModel}`);
  if (config.prompt === "") throw new ArgumentError("--prompt must not be empty");
  return { kind: "run", config, given: o.given };
}

/** Fill what a resume did not give from the checkpoint; refuse model flags that contradict it. */
export function mergeGptResume(config: GptRunConfig, given: ReadonlySet<string>, checkpoint: Uint8Array, log: (line: string) => void): GptRunConfig {
  const summary = readGptCheckpointSummary(checkpoint);
  const savedModel: Partial<GptTrainingConfig> = {
    tokenizer: summary.tokenizerKind as GptTrainingConfig["tokenizer"], layers: summary.model.layers, dModel: summary.model.dModel, heads: summary.model.heads, context: summary.model.contextLength,
  };
  const merged: GptRunConfig = { ...config };
  const set = (key: keyof GptTrainingConfig, value: unknown) => ((merged as unknown as Record<string, unknown>)[key] = value);
  for (const [flag, key] of MODEL_FLAGS) {
    if (given.has(flag) && savedModel[key] !== config[key]) {
      throw new ArgumentError(`--${flag} ${config[key]} contradicts the checkpoint ${config.resume}, whose model has ${flag} ${savedModel[key]}; leave --${flag} out to resume, or start a new run`);
    }
    set(key, savedModel[key]);
  }
  for (const [flag, key] of TRAINING_FLAGS) {
    const saved = summary.training?.[key];
    if (!given.has(flag)) {
      if (saved !== undefined) set(key, saved);
    } else if (saved !== undefined && saved !== config[key] && key !== "steps") {
      log(`  note: --${flag} ${config[key]} differs from the checkpoint's ${saved}; the run continues with it (not an exact continuation)`);
    }
  }
  if (!given.has("text") && summary.textName && summary.textName !== EMBEDDED_TEXT_NAME) merged.text = summary.textName;
  if (merged.steps <= summary.step) {
    throw new ArgumentError(`the checkpoint is at step ${summary.step} of ${merged.steps}; --steps counts the run's total steps (not additional ones), so pass more than ${summary.step} to train further`);
  }
  if (given.has("steps") && summary.training?.steps !== undefined && summary.training.steps !== merged.steps) {
    log(`  note: --steps ${merged.steps} is the new total (the run was planned for ${summary.training.steps}); the learning-rate schedule stretches to it`);
  }
  return merged;
}

async function readText(path: string): Promise<string> {
  const bytes = await readInput("text", path);
  try {
    return decodeUtf8(bytes, path);
  } catch (error) {
    throw new ArgumentError(`--text ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** The whole command as a function (the tests run exactly this). */
export async function trainGptCommand(config: GptRunConfig, given: ReadonlySet<string>, log: (line: string) => void, signal?: AbortSignal): Promise<GptJobResult> {
  let resume: Uint8Array | undefined;
  if (config.resume) {
    resume = await readInput("resume", config.resume);
    config = mergeGptResume(config, given, resume, log);
  }
  const chart = config.lossChart ?? (config.output ? besideOutput(config.output, "-loss.svg") : "");
  if (config.output) {
    await checkWritable("output", config.output);
    await removeStaleTemps(config.output);
  }
  if (chart) await checkWritable("loss-chart", chart);
  const text = config.text ? await readText(config.text) : await loadEmbeddedCorpus();
  await init(backendOptions(config.build, config.threads));
  const bar = progressLine();
  const t0 = performance.now();
  let tokens = 0;
  let firstStep = -1;
  let lastTrainLoss = NaN;
  const result = await runGptJob(config, {
    text,
    textName: config.text || EMBEDDED_TEXT_NAME,
    resume,
    saveEvery: config.saveEvery,
    signal,
    sampleTokens: config.sampleTokens,
    prompt: config.prompt,
    log,
    onStep: (stats) => {
      if (firstStep < 0) firstStep = stats.step - 1;
      tokens += stats.tokens;
      lastTrainLoss = stats.loss;
      const rate = tokens / Math.max((performance.now() - t0) / 1000, 1e-9);
      bar.update(stats.step - firstStep, config.steps - firstStep, {
        step: `${stats.step}/${config.steps}`, "tokens/s": Math.round(rate).toLocaleString("en-US"), loss: stats.loss.toFixed(3), ETA: formatSeconds(((config.steps - stats.step) * stats.tokens) / rate),
      });
    },
    onEval: ({ step, loss }) => {
      bar.clear();
      if (Number.isNaN(lastTrainLoss)) log(`step ${step}: held-out loss ${loss.toFixed(4)} nats/token`);
      else log(`step ${step}: train loss ${lastTrainLoss.toFixed(4)}, held-out loss ${loss.toFixed(4)} nats/token, ${Math.round(tokens / Math.max((performance.now() - t0) / 1000, 1e-9)).toLocaleString("en-US")} tokens/s`);
    },
    onCheckpoint: config.output ? (bytes) => writeFileAtomic(config.output, bytes) : undefined,
  });
  bar.clear();
  if (config.output) {
    log(result.stopped
      ? `Stopped after step ${result.step}; ${config.output} holds it (continue with --resume ${config.output})`
      : `Saved the model to ${config.output} (safetensors; resume with --resume ${config.output} --steps N, N the new total)`);
  }
  if (chart && result.history.length > 0) {
    const svg = lossChartSvg(
      [
        { name: "training (per step)", points: result.history.map((h) => ({ x: h.step, y: h.loss })) },
        { name: "held-out", points: result.evals.map((e) => ({ x: e.step, y: e.loss })) },
      ],
      { title: "GPT training loss", xLabel: "step", yLabel: "nats per token" },
    );
    await writeFileAtomic(chart, svg);
    log(`Wrote the loss curve to ${chart}`);
  }
  if (result.sample) log(`Sample (temperature 0.8, top-k 5), prompted with ${JSON.stringify(result.prompt)}:\n${result.sample}`);
  return result;
}

export async function runTrainGpt(argv: string[]): Promise<number> {
  const parsed = parseTrainGptArgs(argv);
  if (parsed.kind === "help") return void process.stdout.write(TRAIN_GPT_HELP), 0;
  if (parsed.kind === "version") return printVersion();
  return interruptible(async (signal) => {
    const result = await trainGptCommand(parsed.config, parsed.given, (line) => console.log(line), signal);
    if (!result.stopped) console.log(`Held-out loss ${result.finalEvalLoss.toFixed(4)} nats/token after ${result.seconds.toFixed(0)} s (${Math.round(result.tokensPerSecond).toLocaleString("en-US")} tokens/s, ${plural(result.step - result.startStep, "step")})`);
    result.model.dispose();
    return result.stopped ? 130 : 0;
  });
}
