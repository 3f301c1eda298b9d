// `simdnet generate`: text from a train-gpt checkpoint, streamed as it is sampled, optionally with
// the prompt's attention maps as SVG. Every input — flags, the checkpoint, the prompt against its
// vocabulary and context — is checked before the first character is printed, and errors name flags.

import { ArgumentError, Tokenizer, attentionMaps, generate, init, loadCheckpoint } from "../index.js";
import { attentionHeatmapSvg } from "./svg.js";
import { BUILD_HELP, backendOptions, parseBuildOption, parseThreadsOption } from "./build-option.js";
import { COMMON_OPTIONS, intOption, numberOption, parseOptions } from "./options.js";
import { checkWritable, readInput, writeFileAtomic } from "./files.js";
import { COMMON_HELP, plural, printVersion } from "./common.js";

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
${BUILD_HELP}
${COMMON_HELP}`;

const SPECS = {
  ...COMMON_OPTIONS,
  model: "string", prompt: "string", "max-new-tokens": "string", temperature: "string", "top-k": "string", "top-p": "string",
  greedy: "boolean", seed: "string", "no-cache": "boolean", "attention-svg": "string",
} as const;

export interface GenerateRequest {
  model: string;
  prompt: string;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP?: number;
  greedy: boolean;
  seed: number;
  useCache: boolean;
  attentionSvg: string;
  build?: ReturnType<typeof parseBuildOption>;
  threads?: number | "auto";
}

export function parseGenerateArgs(argv: string[]): GenerateRequest | "help" | "version" {
  const o = parseOptions("generate", argv, SPECS);
  if (o.flag("help")) return "help";
  if (o.flag("version")) return "version";
  const model = o.string("model");
  if (!model) throw new ArgumentError("generate: --model FILE is required (a checkpoint from train-gpt)");
  const prompt = o.string("prompt");
  if (prompt === undefined) throw new ArgumentError("generate: --prompt TEXT is required");
  if (prompt === "") throw new ArgumentError("generate: --prompt must not be empty");
  const greedy = o.flag("greedy");
  if (greedy && (o.given.has("temperature") || o.given.has("top-k") || o.given.has("top-p"))) {
    throw new ArgumentError("generate: --greedy always takes the most likely token; it cannot be combined with --temperature, --top-k or --top-p");
  }
  return {
    model,
    prompt,
    maxNewTokens: intOption("max-new-tokens", o.string("max-new-tokens"), 200, 0),
    temperature: numberOption("temperature", o.string("temperature"), 0.8, 0, true),
    topK: intOption("top-k", o.string("top-k"), 5, 1),
    topP: o.string("top-p") === undefined ? undefined : numberOption("top-p", o.string("top-p"), 1, 0, true, 1),
    greedy,
    seed: intOption("seed", o.string("seed"), 0, 0),
    useCache: !o.flag("no-cache"),
    attentionSvg: o.string("attention-svg") ?? "",
    build: parseBuildOption(o.string("build"), o.flag("scalar")),
    threads: parseThreadsOption(o.string("threads")),
  };
}

export async function runGenerate(argv: string[]): Promise<number> {
  const request = parseGenerateArgs(argv);
  if (request === "help") return void process.stdout.write(GENERATE_HELP), 0;
  if (request === "version") return printVersion();
  if (request.attentionSvg) await checkWritable("attention-svg", request.attentionSvg);
  const bytes = await readInput("model", request.model);
  await init(backendOptions(request.build, request.threads));
  let checkpoint;
  try {
    checkpoint = loadCheckpoint(bytes);
  } catch (error) {
    throw new ArgumentError(`--model ${request.model}: not a usable train-gpt checkpoint: ${(error as Error).message}`, { cause: error });
  }
  const model = checkpoint.model;
  try {
    const tokenizer = Tokenizer.fromJSON(checkpoint.tokenizer);
    let promptIds: Int32Array;
    try {
      promptIds = tokenizer.encode(request.prompt);
    } catch (error) {
      throw new ArgumentError(`--prompt: ${(error as Error).message.replace(/^[^:]*encode: /, "")} (the model knows only the ${plural(tokenizer.vocabSize, "token")} of its training text)`, { cause: error });
    }
    const context = model.config.contextLength;
    if (promptIds.length > context) throw new ArgumentError(`--prompt has ${plural(promptIds.length, "token")}, more than the model's context of ${context}; shorten it`);
    if (request.attentionSvg) {
      const maps = attentionMaps(model, tokenizer, request.prompt);
      const t = maps.tokens.length;
      const svgs = maps.weights[0]!.map((w, h) => attentionHeatmapSvg(w, maps.tokens, maps.tokens, { title: `layer 1, head ${h + 1}`, cellSize: t > 40 ? 12 : 20 }));
      await writeFileAtomic(request.attentionSvg, combineSvgs(svgs));
    }
    process.stdout.write(request.prompt);
    const result = generate(model, tokenizer, request.prompt, {
      maxNewTokens: request.maxNewTokens,
      temperature: request.temperature,
      topK: request.topK,
      topP: request.topP,
      greedy: request.greedy,
      seed: request.seed,
      useCache: request.useCache,
      onToken: (piece) => void process.stdout.write(piece),
    });
    process.stdout.write("\n");
    if (request.attentionSvg) console.error(`Wrote attention maps to ${request.attentionSvg}`);
    console.error(`(${plural(result.newTokens, "token")})`);
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
