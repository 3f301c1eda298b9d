// The GPT pipeline end to end at toy scale: checkpoints resume exactly, the commands run, and the
// files they write load back. (The full default run is timed by `npm run bench`, not here.)
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { GPT, GptTrainer, Tokenizer, attentionMaps, generateStream, init, loadCheckpoint, saveCheckpoint } from "../src/index.js";
import { parseTrainGptArgs, DEFAULT_GPT_CONFIG } from "../src/cli/train-gpt.js";

const run = promisify(execFile);
const CLI = new URL("../dist/cli/main.js", import.meta.url).pathname;
const TEXT = "In the beginning God created the heaven and the earth. And the earth was without form, and void. ".repeat(30);

beforeAll(async () => {
  await init();
});

function setup(seed = 2) {
  const tok = Tokenizer.characters(TEXT);
  const ids = tok.encode(TEXT);
  const model = new GPT({ vocabSize: tok.vocabSize, contextLength: 16, dModel: 16, heads: 2, layers: 1, seed });
  const opts = { batchSize: 4, learningRate: 5e-3, warmupSteps: 3, totalSteps: 20, weightDecay: 0.1, clipNorm: 1, evalSequences: 8, seed: 5 };
  return { tok, ids, model, trainer: new GptTrainer(model, ids, ids, opts), opts };
}

describe("checkpoints", () => {
  it("a run resumed from a checkpoint continues exactly as the uninterrupted run", () => {
    const straight = setup();
    const full = Array.from({ length: 20 }, () => straight.trainer.trainStep().loss);

    const first = setup();
    for (let i = 0; i < 10; i++) first.trainer.trainStep();
    const bytes = saveCheckpoint(first.model, { tokenizer: JSON.stringify(first.tok.toJSON()), step: 10 }, first.trainer.optimizer);
    const loaded = loadCheckpoint(bytes);
    expect(loaded.step).toBe(10);
    const resumed = new GptTrainer(loaded.model, first.ids, first.ids, first.opts);
    resumed.step = loaded.step;
    expect(loaded.restoreOptimizer(resumed.optimizer)).toBe(true);
    const rest = Array.from({ length: 10 }, () => resumed.trainStep().loss);
    expect(rest).toEqual(full.slice(10));
    for (const x of [straight, first]) { x.trainer.dispose(); x.model.dispose(); }
    resumed.dispose();
    loaded.model.dispose();
  });
});

describe("generation and attention maps", () => {
  it("streams the same text generate() returns, and maps every head's weights", async () => {
    const { tok, model, trainer } = setup();
    for (let i = 0; i < 10; i++) trainer.trainStep();
    const pieces: string[] = [];
    const stream = generateStream(model, tok, "In the", { maxNewTokens: 12, temperature: 0.9, seed: 1 });
    let r = await stream.next();
    while (!r.done) {
      pieces.push(r.value);
      r = await stream.next();
    }
    expect(pieces).toHaveLength(12);
    expect("In the" + pieces.join("")).toBe(r.value.text);
    const maps = attentionMaps(model, tok, "In the be");
    expect(maps.tokens).toEqual([..."In the be"]);
    expect(maps.weights).toHaveLength(1);
    expect(maps.weights[0]).toHaveLength(2);
    const w = maps.weights[0]![0]!;
    for (let i = 0; i < 9; i++) {
      let sum = 0;
      for (let j = 0; j < 9; j++) {
        if (j > i) expect(w[i * 9 + j]).toBe(0);
        sum += w[i * 9 + j]!;
      }
      expect(sum).toBeCloseTo(1, 5);
    }
    trainer.dispose();
    model.dispose();
  });
});

describe("the train-gpt and generate commands", () => {
  it("parse their flags and reject bad ones", () => {
    expect(parseTrainGptArgs([])).toEqual({ kind: "run", config: { ...DEFAULT_GPT_CONFIG, lossChart: undefined, prompt: undefined, build: undefined }, given: new Set() });
    expect(parseTrainGptArgs(["--layers", "3", "--d-model", "64", "--tokenizer", "words"])).toMatchObject({ config: { layers: 3, dModel: 64, tokenizer: "words" } });
    expect(() => parseTrainGptArgs(["--heads", "0"])).toThrow('--heads must be an integer >= 1, got "0"');
    expect(() => parseTrainGptArgs(["--heads", "3"])).toThrow("--heads 3 must divide --d-model 128");
    expect(() => parseTrainGptArgs(["--tokenizer", "bytes"])).toThrow(/characters or words/);
    expect(() => parseTrainGptArgs(["--steps", "-5"])).toThrow('--steps must be an integer >= 1, got "-5"');
    expect(() => parseTrainGptArgs(["--setps", "5"])).toThrow("unknown option --setps (did you mean --steps?)");
    expect(() => parseTrainGptArgs(["--output", "--steps", "5"])).toThrow("--output needs a value (it is followed by the option --steps)");
    expect(parseTrainGptArgs(["--help"])).toEqual({ kind: "help" });
    expect(parseTrainGptArgs(["--version"])).toEqual({ kind: "version" });
  });

  it("train on a file, save a checkpoint, a loss chart and a sample; generate streams from it; bad input fails clearly", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simdnet-gpt-"));
    const textFile = join(dir, "text.txt");
    writeFileSync(textFile, TEXT);
    const ckpt = join(dir, "m.safetensors");
    const chart = join(dir, "loss.svg");
    const { stdout } = await run("node", [CLI, "train-gpt", "--text", textFile, "--layers", "1", "--d-model", "16", "--heads", "2", "--context", "16", "--batch-size", "4", "--steps", "6", "--eval-every", "3", "--output", ckpt, "--loss-chart", chart, "--sample", "20"]);
    expect(stdout).toMatch(/step 3: train loss \d+\.\d+, held-out loss \d+\.\d+ nats\/token/);
    // The sample is prompted from the user's own text (its held-out part), not from the default corpus.
    expect(stdout).toMatch(/Sample \(temperature 0\.8, top-k 5\), prompted with "[A-Za-z ,.]+":/);
    expect(readFileSync(chart, "utf8")).toMatch(/^<\?xml|^<svg/);
    const loaded = loadCheckpoint(new Uint8Array(readFileSync(ckpt)));
    expect(loaded.model.config).toMatchObject({ layers: 1, dModel: 16, heads: 2, contextLength: 16 });
    loaded.model.dispose();

    const svg = join(dir, "att.svg");
    const gen = await run("node", [CLI, "generate", "--model", ckpt, "--prompt", "In the", "--max-new-tokens", "10", "--attention-svg", svg]);
    expect(gen.stdout.startsWith("In the")).toBe(true);
    expect(gen.stdout.trimEnd().length).toBe("In the".length + 10);
    expect(readFileSync(svg, "utf8")).toContain("head 2");

    const tooLong = await run("node", [CLI, "generate", "--model", ckpt, "--prompt", "x".repeat(20)]).catch((e) => e);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stdout).toBe("");
    const unknown = await run("node", [CLI, "generate", "--model", ckpt, "--prompt", "Zebra"]).catch((e) => e);
    expect(unknown.stderr).toMatch(/^simdnet: --prompt: .*"Z"/);
    expect(unknown.stdout).toBe("");
    const cold = await run("node", [CLI, "generate", "--model", ckpt, "--prompt", "In", "--temperature", "0"]).catch((e) => e);
    expect(cold.stderr).toContain('--temperature must be a number > 0, got "0"');
    expect(cold.stdout).toBe(""); // nothing printed before the inputs were checked
    const noModel = await run("node", [CLI, "generate", "--prompt", "In"]).catch((e) => e);
    expect(noModel.stderr).toContain("--model FILE is required");

    // Resuming: model flags that contradict the checkpoint are refused; --steps is the run's total.
    const contradict = await run("node", [CLI, "train-gpt", "--resume", ckpt, "--layers", "2", "--steps", "9"]).catch((e) => e);
    expect(contradict.stderr).toContain(`--layers 2 contradicts the checkpoint ${ckpt}, whose model has layers 1`);
    const done = await run("node", [CLI, "train-gpt", "--resume", ckpt]).catch((e) => e);
    expect(done.stderr).toContain("the checkpoint is at step 6 of 6; --steps counts the run's total steps (not additional ones)");
    // Settings come from the checkpoint (text, model, schedule); the chart goes beside --output, not into the working folder.
    const cwd = mkdtempSync(join(tmpdir(), "simdnet-cwd-"));
    const more = await run("node", [CLI, "train-gpt", "--resume", ckpt, "--steps", "8", "--output", join(dir, "more.safetensors"), "--sample", "0"], { cwd });
    expect(more.stdout).toContain("resuming after step 6, 2 steps to go");
    expect(more.stdout).toContain("--steps 8 is the new total (the run was planned for 6)");
    expect(readFileSync(join(dir, "more-loss.svg"), "utf8")).toContain("<svg");
    expect(readdirSync(cwd)).toEqual([]);
    const again = loadCheckpoint(new Uint8Array(readFileSync(join(dir, "more.safetensors"))));
    expect(again.step).toBe(8);
    again.model.dispose();
  });
});
