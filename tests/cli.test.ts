import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ArgumentError, NeuralNetwork, Random, cosineDecay, init, randomShift } from "../src/index.js";
import { DEFAULT_MLP_CONFIG, TUTORIAL_MLP_CONFIG, parseTrainMlpArgs } from "../src/cli/train-mlp.js";

const run = promisify(execFile);
const CLI = new URL("../dist/cli/main.js", import.meta.url).pathname;

describe("train-mlp flags", () => {
  it("defaults to the default recipe, and --preset tutorial to the tutorial's", () => {
    expect(parseTrainMlpArgs([])).toEqual({ kind: "run", config: { ...DEFAULT_MLP_CONFIG, loss: undefined, optimizer: undefined, build: undefined, learningRate: undefined }, given: new Set() });
    const t = parseTrainMlpArgs(["--preset", "tutorial"]);
    expect(t).toMatchObject({ config: { preset: "tutorial", epochs: 10, learningRate: 0.1, augmentShift: 0, cosine: false } });
    expect(TUTORIAL_MLP_CONFIG.learningRate).toBe(0.1);
  });

  it("reads every option", () => {
    const c = parseTrainMlpArgs([
      "--data", "/tmp/fashion", "--layers", "784, 64,10", "--epochs", "3", "--batch-size", "128", "--learning-rate", "0.05",
      "--loss", "mse", "--optimizer", "momentum", "--augment", "0", "--no-cosine", "--seed", "7", "--output", "", "--scalar",
      "--save-every", "50", "--resume", "r.safetensors",
    ]);
    expect(c).toEqual({
      kind: "run",
      config: {
        data: "/tmp/fashion", preset: "default", layers: [784, 64, 10], epochs: 3, batchSize: 128, learningRate: 0.05, loss: "mse",
        optimizer: "momentum", augmentShift: 0, cosine: false, seed: 7, output: "", build: "scalar", saveEvery: 50, resume: "r.safetensors",
      },
      given: new Set(["data", "layers", "epochs", "batch-size", "learning-rate", "loss", "optimizer", "augment", "no-cosine", "seed", "output", "scalar", "save-every", "resume"]),
    });
    expect(parseTrainMlpArgs(["--help"])).toEqual({ kind: "help" });
    expect(parseTrainMlpArgs(["-h"])).toEqual({ kind: "help" });
    expect(parseTrainMlpArgs(["--version"])).toEqual({ kind: "version" });
  });

  it("rejects bad values, naming the flag", () => {
    expect(() => parseTrainMlpArgs(["--epochs", "two"])).toThrow('--epochs must be an integer >= 1, got "two"');
    expect(() => parseTrainMlpArgs(["--learning-rate=-1"])).toThrow(ArgumentError);
    expect(() => parseTrainMlpArgs(["--loss", "hinge"])).toThrow(/--loss must be one of mse, mse-tutorial, cross-entropy/);
    expect(() => parseTrainMlpArgs(["--layers", "784,,10"])).toThrow(/--layers must be comma-separated positive integers/);
    expect(() => parseTrainMlpArgs(["--preset", "fast"])).toThrow(/--preset must be default or tutorial/);
    expect(() => parseTrainMlpArgs(["--bogus"])).toThrow("train-mlp: unknown option --bogus; see simdnet train-mlp --help");
    expect(() => parseTrainMlpArgs(["--epoch", "3"])).toThrow("unknown option --epoch (did you mean --epochs?)");
    expect(() => parseTrainMlpArgs(["--learning_rate", "3"])).toThrow("(did you mean --learning-rate?)");
    // Negative numbers reach the range check (a clear refusal), not the option parser.
    expect(() => parseTrainMlpArgs(["--seed", "-1"])).toThrow('--seed must be an integer >= 0, got "-1"');
    expect(() => parseTrainMlpArgs(["--augment", "-2"])).toThrow('--augment must be an integer >= 0, got "-2"');
    expect(() => parseTrainMlpArgs(["--epochs", "3", "--epochs", "4"])).toThrow("--epochs is given twice");
    expect(() => parseTrainMlpArgs(["--no-cosine=yes"])).toThrow("--no-cosine takes no value");
    expect(() => parseTrainMlpArgs(["epochs"])).toThrow('unexpected argument "epochs"');
    expect(() => parseTrainMlpArgs(["--epochs"])).toThrow("--epochs needs a value");
    expect(() => parseTrainMlpArgs(["--build", "avx"])).toThrow('--build must be one of relaxed, simd, scalar, got "avx"');
    expect(() => parseTrainMlpArgs(["--build", "simd", "--scalar"])).toThrow("--scalar contradicts --build simd");
    expect(parseTrainMlpArgs(["--build", "simd"])).toMatchObject({ config: { build: "simd" } });
  });
});

describe("the simdnet command", () => {
  it("trains for one epoch, prints the tutorial's epoch line and test accuracy, and saves a loadable model", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "simdnet-cli-")), "m.safetensors");
    const { stdout } = await run("node", [CLI, "train-mlp", "--epochs", "1", "--layers", "784,32,10", "--output", out]);
    // The command turns on Node 20's relaxed-SIMD flag for itself, so it runs the fused multiply-add build.
    expect(stdout).toMatch(/preset, relaxed kernels/);
    expect(stdout).toMatch(/Epoch 1\/1, Loss: \d+\.\d+, test loss \d+\.\d+, test accuracy \d+\.\d+%/);
    expect(stdout).toMatch(/Test accuracy \d+\.\d+% on 2,000 held-out digits/);
    expect(stdout).toContain(", 1 epoch, "); // not "1 epochs"
    expect(stdout).toContain(`Saved the model to ${out}`);
    await init();
    const net = NeuralNetwork.load(new Uint8Array(readFileSync(out)));
    expect(net.layerSizes).toEqual([784, 32, 10]);
    net.dispose();
    // Resuming refuses model flags that contradict the checkpoint, and --epochs counts the total.
    const contradict = await run("node", [CLI, "train-mlp", "--resume", out, "--layers", "784,64,10", "--epochs", "2"]).catch((e) => e);
    expect(contradict.stderr).toContain("--layers 784,64,10 contradicts the checkpoint, which was trained with 784,32,10");
    const done = await run("node", [CLI, "train-mlp", "--resume", out]).catch((e) => e);
    expect(done.stderr).toContain("the checkpoint has finished 1 epoch of 1; --epochs counts the run's total, so pass more than 1 to train further");
  });

  it("explains itself with --help and fails clearly on bad input", async () => {
    const help = await run("node", [CLI, "train-mlp", "--help"]);
    expect(help.stdout).toContain("--learning-rate");
    const bad = await run("node", [CLI, "train-mlp", "--epochs", "0"]).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--epochs must be an integer >= 1");
    const unknown = await run("node", [CLI, "frobnicate"]).catch((e) => e);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const missing = await run("node", [CLI, "train-mlp", "--data", "/nonexistent-dir", "--epochs", "1"]).catch((e) => e);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nonexistent-dir/);
  });
});

describe("every command", () => {
  it("answers --help and --version, and refuses unknown flags with a suggestion", async () => {
    const version = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
    const commands = ["start", "train-mlp", "train-gpt", "generate", "demo"];
    const [helps, versions] = await Promise.all(["--help", "--version"].map((flag) => Promise.all(commands.map((c) => run("node", [CLI, c, flag])))));
    commands.forEach((command, i) => {
      expect(helps![i]!.stdout, command).toMatch(new RegExp(`^Usage: simdnet ${command}`));
      expect(helps![i]!.stdout, command).toContain("--version");
      expect(helps![i]!.stdout, command).toContain("--build NAME");
      expect(versions![i]!.stdout, command).toBe(`simdnet ${version}\n`);
    });
    expect((await run("node", [CLI, "--version"])).stdout).toBe(`simdnet ${version}\n`);
    const typo = await run("node", [CLI, "demo", "--bulid", "simd"]).catch((e) => e);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toBe("simdnet: demo: unknown option --bulid (did you mean --build?); see simdnet demo --help\n");
    const command = await run("node", [CLI, "train-mpl"]).catch((e) => e);
    expect(command.stderr).toContain('unknown command "train-mpl" (did you mean train-mlp?)');
    const start = await run("node", [CLI, "start", "--epochs", "1"]).catch((e) => e);
    expect(start.stderr).toContain("start: unknown option --epochs");
  });

  it("checks output paths before training and reports missing inputs in one line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simdnet-paths-"));
    const aFile = join(dir, "a-file");
    writeFileSync(aFile, "x");
    const cases: [string[], string][] = [
      [["train-mlp", "--output", join(dir, "missing", "m.safetensors")], `--output ${join(dir, "missing", "m.safetensors")}: the folder ${join(dir, "missing")} does not exist`],
      [["train-mlp", "--output", join(aFile, "m.safetensors")], `: ${aFile} is not a folder`],
      [["train-mlp", "--output", dir], `--output ${dir}: that is a folder; name a file inside it`],
      [["train-gpt", "--loss-chart", join(dir, "no", "c.svg")], `--loss-chart ${join(dir, "no", "c.svg")}: the folder ${join(dir, "no")} does not exist`],
      [["train-gpt", "--text", join(dir, "nope.txt")], `--text ${join(dir, "nope.txt")}: cannot read it (no such file or folder)`],
      [["train-gpt", "--text", dir], `--text ${dir}: cannot read it (it is a folder, not a file)`],
      [["train-mlp", "--resume", join(dir, "nope")], `--resume ${join(dir, "nope")}: cannot read it (no such file or folder)`],
      [["train-mlp", "--data", join(dir, "nope")], `--data ${join(dir, "nope")}: no such file or folder`],
      [["train-mlp", "--data", aFile], `--data ${aFile}: not a folder`],
      [["train-mlp", "--data", dir], `--data ${dir}: `],
      [["generate", "--model", join(dir, "nope"), "--prompt", "x"], `--model ${join(dir, "nope")}: cannot read it (no such file or folder)`],
      [["generate", "--model", aFile, "--prompt", "x"], `--model ${aFile}: not a usable train-gpt checkpoint`],
    ];
    const results = await Promise.all(cases.map(([args]) => run("node", [CLI, ...args]).catch((e) => e)));
    for (const [k, [args, message]] of cases.entries()) {
      const r = results[k];
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stdout, args.join(" ")).toBe(""); // nothing trained or printed first
      expect(r.stderr, args.join(" ")).toContain(message);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr).not.toMatch(/ENOENT|EISDIR|at .*\.js/);
    }
  });
});

describe("training helpers", () => {
  it("randomShift moves each image by at most the given pixels and keeps its ink", () => {
    const h = 6, w = 5;
    const img = new Float32Array(h * w);
    img[2 * w + 2] = 1; // one lit pixel in the middle
    const batch = new Float32Array(40 * h * w);
    for (let i = 0; i < 40; i++) batch.set(img, i * h * w);
    randomShift(batch, 40, h, w, 1, new Random(1));
    const moves = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const at = batch.subarray(i * h * w, (i + 1) * h * w).indexOf(1);
      const [y, x] = [Math.floor(at / w), at % w];
      expect(Math.abs(y - 2)).toBeLessThanOrEqual(1);
      expect(Math.abs(x - 2)).toBeLessThanOrEqual(1);
      expect(batch.subarray(i * h * w, (i + 1) * h * w).reduce((a, b) => a + b)).toBe(1);
      moves.add(`${y},${x}`);
    }
    expect(moves.size).toBeGreaterThan(4);
  });

  it("cosineDecay starts at the base rate and falls to the floor", () => {
    const f = cosineDecay(0.1, 10, 0.001);
    expect(f(1)).toBeCloseTo(0.1, 10);
    expect(f(6)).toBeCloseTo(0.001 + 0.099 * 0.5 * (1 + Math.cos(Math.PI / 2)), 10);
    expect(f(10)).toBeGreaterThan(0.001);
    expect(f(11)).toBeCloseTo(0.001, 10);
  });
});
