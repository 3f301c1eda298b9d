// kill -9 at random (seeded) moments — during training and during saves — never leaves a partial
// file: the output path holds the last complete checkpoint or nothing, a run resumed from it ends
// bit for bit where the uninterrupted run ends, and `--resume X --output X` never loses X.
// (The long, many-kill version of this is `npm run soak -- --kills`; this one stays under a minute.)
import { spawn, execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { Random, init, loadCheckpoint, loadEmbeddedMnist, readSafetensors, readMlpCheckpointSummary } from "../src/index.js";

const run = promisify(execFile);
const CLI = new URL("../dist/cli/main.js", import.meta.url).pathname;
const WRITER = new URL("./helpers/atomic-writer.mjs", import.meta.url).pathname;
const TEXT = "In the beginning God created the heaven and the earth. And the earth was without form, and void. ".repeat(30);

beforeAll(async () => {
  await init();
});

/**
 * Start `node args`, wait until its stdout has shown `ready` (a regexp), then `delayMs` more, then
 * SIGKILL it. Resolves with its stdout and whether the kill came before it exited by itself.
 */
function killWhen(args: string[], ready: RegExp, delayMs: number): Promise<{ stdout: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let armed = false;
    let killed = false;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!armed && ready.test(stdout)) {
        armed = true;
        setTimeout(() => {
          if (child.exitCode === null) {
            killed = true;
            child.kill("SIGKILL");
          }
        }, delayMs);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal !== "SIGKILL" && code !== 0) reject(new Error(`exited with ${code}: ${stderr}`));
      else resolve({ stdout, killed });
    });
  });
}

/** Every tensor of two safetensors files, bit for bit. */
function expectSameTensors(a: Uint8Array, b: Uint8Array): void {
  const fa = readSafetensors(a);
  const fb = readSafetensors(b);
  expect(Object.keys(fa.tensors).sort()).toEqual(Object.keys(fb.tensors).sort());
  for (const [name, t] of Object.entries(fa.tensors)) {
    const u = fb.tensors[name]!.data;
    expect(t.data.findIndex((v, i) => !Object.is(v, u[i])), name).toBe(-1);
  }
}

function tempFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith(".tmp"));
}

describe("atomic saves under kill -9", () => {
  it("the target is always absent or one whole version, never torn", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simdnet-atomic-"));
    const target = join(dir, "big.bin");
    const size = 4 << 20;
    const rng = new Random(11);
    let seenWhole = 0;
    for (let k = 0; k < 8; k++) {
      // Kill 0–60 ms after the first save returned: mostly in the middle of writing the next one.
      const { stdout, killed } = await killWhen([WRITER, target, String(size)], /^1\n/, Math.floor(rng.uniform() * 60));
      expect(killed).toBe(true);
      const lastReported = Number(stdout.trim().split("\n").at(-1));
      const bytes = new Uint8Array(readFileSync(target));
      expect(bytes.length).toBe(size);
      const v = new DataView(bytes.buffer).getUint32(0, true);
      // The last save that returned, or the one after it if its rename landed just before the kill.
      expect(v === lastReported || v === lastReported + 1, `version ${v}, last reported ${lastReported}`).toBe(true);
      expect(bytes.subarray(4).every((b) => b === (v & 255))).toBe(true);
      seenWhole++;
    }
    expect(seenWhole).toBe(8);
    // Some kills landed mid-save (their temporary files are left beside the target); the next CLI save removes them.
    expect(tempFilesIn(dir).length).toBeGreaterThan(0);
    const { removeStaleTemps } = await import("../dist/cli/files.js");
    await removeStaleTemps(target);
    expect(tempFilesIn(dir)).toEqual([]);
  });
});

describe("train-gpt under kill -9", () => {
  it("leaves the last complete checkpoint or nothing, and resumes to the uninterrupted run's bits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simdnet-kill-gpt-"));
    const textFile = join(dir, "text.txt");
    writeFileSync(textFile, TEXT);
    const steps = 60;
    const model = ["--text", textFile, "--layers", "1", "--d-model", "16", "--heads", "2", "--context", "16", "--batch-size", "4", "--eval-every", "20", "--sample", "0", "--loss-chart", ""];
    const reference = join(dir, "reference.safetensors");
    await run("node", [CLI, "train-gpt", ...model, "--steps", String(steps), "--output", reference, "--save-every", "0"]);

    const out = join(dir, "run.safetensors");
    const rng = new Random(7);
    let lastStep = 0;
    let kills = 0;
    for (let k = 0; k < 4; k++) {
      const resume = existsSync(out) ? ["--resume", out] : [...model, "--steps", String(steps)];
      const { killed } = await killWhen([CLI, "train-gpt", ...resume, "--output", out, "--save-every", "1"], /step \d+: /, Math.floor(rng.uniform() * 120));
      kills += Number(killed);
      if (!existsSync(out)) continue; // killed before its first save: nothing on disk, which is allowed
      const loaded = loadCheckpoint(new Uint8Array(readFileSync(out)));
      expect(loaded.step).toBeGreaterThanOrEqual(lastStep); // never goes back: --resume X --output X keeps X
      expect(loaded.step).toBeLessThanOrEqual(steps);
      lastStep = loaded.step;
      loaded.model.dispose();
      if (!killed) break;
    }
    expect(kills).toBeGreaterThan(0);
    console.log(`train-gpt: ${kills} kills, the last at step ${lastStep} of ${steps}`);
    if (lastStep < steps) await run("node", [CLI, "train-gpt", "--resume", out, "--output", out]);
    expectSameTensors(new Uint8Array(readFileSync(out)), new Uint8Array(readFileSync(reference)));
  });
});

describe("Ctrl-C", () => {
  it("stops train-gpt after the current step, saves there, and exits with 130", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simdnet-sigint-"));
    const textFile = join(dir, "text.txt");
    writeFileSync(textFile, TEXT);
    const out = join(dir, "m.safetensors");
    const child = spawn("node", [CLI, "train-gpt", "--text", textFile, "--layers", "1", "--d-model", "16", "--heads", "2", "--context", "16", "--batch-size", "4", "--steps", "100000", "--save-every", "0", "--output", out, "--sample", "0"]);
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => void (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on("data", (c: Buffer) => {
        const before = stdout;
        stdout += c.toString();
        if (!/step 0: /.test(before) && /step 0: /.test(stdout)) setTimeout(() => child.kill("SIGINT"), 100);
      });
      child.on("exit", (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(stderr).toContain("SIGINT: stopping after this step and saving");
    const stoppedAt = Number(/Stopped after step (\d+)/.exec(stdout)?.[1]);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(100000);
    const loaded = loadCheckpoint(new Uint8Array(readFileSync(out)));
    expect(loaded.step).toBe(stoppedAt);
    loaded.model.dispose();
  });
});

/** An MNIST-layout folder (IDX files) with the first `nTrain` / `nTest` embedded digits. */
async function writeIdxFolder(dir: string, nTrain: number, nTest: number): Promise<void> {
  const { train, test } = await loadEmbeddedMnist({ seed: 0 });
  const idx = (dims: number[], data: Uint8Array) => {
    const header = Buffer.alloc(4 + 4 * dims.length);
    header.writeUInt32BE(0x0800 + dims.length, 0);
    dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
    return Buffer.concat([header, data]);
  };
  const pixels = (images: Float32Array, n: number) => Uint8Array.from(images.subarray(0, n * 784), (v) => Math.round(v * 255));
  writeFileSync(join(dir, "train-images-idx3-ubyte"), idx([nTrain, 28, 28], pixels(train.images, nTrain)));
  writeFileSync(join(dir, "train-labels-idx1-ubyte"), idx([nTrain], train.labels.subarray(0, nTrain)));
  writeFileSync(join(dir, "t10k-images-idx3-ubyte"), idx([nTest, 28, 28], pixels(test.images, nTest)));
  writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), idx([nTest], test.labels.subarray(0, nTest)));
}

describe("train-mlp under kill -9", () => {
  it("leaves the last complete checkpoint or nothing, and resumes to the uninterrupted run's bits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simdnet-kill-mlp-"));
    await writeIdxFolder(dir, 240, 40);
    const args = ["--data", dir, "--layers", "784,16,10", "--batch-size", "8", "--epochs", "4"];
    const reference = join(dir, "reference.safetensors");
    await run("node", [CLI, "train-mlp", ...args, "--output", reference]);

    const out = join(dir, "run.safetensors");
    const rng = new Random(9);
    let lastStep = 0;
    let kills = 0;
    for (let k = 0; k < 4; k++) {
      const resume = existsSync(out) ? ["--resume", out] : args;
      const { killed } = await killWhen([CLI, "train-mlp", ...resume, "--output", out, "--save-every", "1"], /loss cross-entropy/, Math.floor(rng.uniform() * 150));
      kills += Number(killed);
      if (!existsSync(out)) continue;
      const summary = readMlpCheckpointSummary(new Uint8Array(readFileSync(out)))!;
      expect(summary.position.step).toBeGreaterThanOrEqual(lastStep);
      expect(summary.position.step).toBeLessThanOrEqual(120);
      lastStep = summary.position.step;
      if (!killed) break;
    }
    expect(kills).toBeGreaterThan(0);
    console.log(`train-mlp: ${kills} kills, the last at step ${lastStep} of 120`);
    if (lastStep < 120) await run("node", [CLI, "train-mlp", "--resume", out, "--output", out]);
    expectSameTensors(new Uint8Array(readFileSync(out)), new Uint8Array(readFileSync(reference)));
    expect(tempFilesIn(dir)).toEqual([]); // the resumed runs removed what the killed ones left
  });
});
