// The soak: long training runs through the library jobs, sampling memory as they go, to show that
// nothing grows — live tensors, allocator bytes, Wasm pages, process RSS — once the first steps
// have allocated their buffers. `npm run soak` runs the long version (MNIST 100k steps, a GPT 5k
// steps with generation every few hundred); tests/soak.test.ts runs a short one in `npm test`.

import {
  DEFAULT_MLP_TRAINING, Tokenizer, generate, init, loadCheckpoint, loadEmbeddedCorpus, loadEmbeddedMnist, memory, trainGpt, trainMlp,
  type GptTrainingConfig, DEFAULT_GPT_TRAINING,
} from "../src/index.js";

export interface MemorySample {
  step: number;
  numTensors: number;
  allocatedBytes: number;
  wasmBytes: number;
  rss: number;
}

export interface SoakReport {
  name: string;
  steps: number;
  seconds: number;
  samples: MemorySample[];
  /** From the first sample after warm-up to the end. */
  growth: { numTensors: number; allocatedBytes: number; wasmBytes: number; rss: number };
  /** Largest RSS after warm-up minus the smallest (GC noise included). */
  rssSpread: number;
}

function sample(step: number): MemorySample {
  const m = memory();
  return { step, numTensors: m.numTensors, allocatedBytes: m.allocatedBytes, wasmBytes: m.wasmBytes, rss: process.memoryUsage().rss };
}

function report(name: string, steps: number, seconds: number, samples: MemorySample[], warmupSteps: number): SoakReport {
  const after = samples.filter((s) => s.step >= warmupSteps);
  const first = after[0]!;
  const last = after.at(-1)!;
  const rss = after.map((s) => s.rss);
  return {
    name,
    steps,
    seconds,
    samples,
    growth: {
      numTensors: last.numTensors - first.numTensors,
      allocatedBytes: last.allocatedBytes - first.allocatedBytes,
      wasmBytes: last.wasmBytes - first.wasmBytes,
      rss: last.rss - first.rss,
    },
    rssSpread: Math.max(...rss) - Math.min(...rss),
  };
}

/** MNIST training for `steps` steps (whole epochs of the 8,000 embedded digits), checkpointing to memory. */
export async function soakMlp(steps: number, sampleEvery: number, log: (line: string) => void = () => {}): Promise<SoakReport> {
  await init();
  const { train, test } = await loadEmbeddedMnist({ seed: 0 });
  const stepsPerEpoch = Math.ceil(train.count / DEFAULT_MLP_TRAINING.batchSize);
  const epochs = Math.ceil(steps / stepsPerEpoch);
  const samples: MemorySample[] = [];
  const t0 = performance.now();
  let checkpoints = 0;
  const result = await trainMlp({ ...DEFAULT_MLP_TRAINING, epochs }, { train, test, name: "mnist" }, {
    saveEvery: 1000,
    onCheckpoint: () => void checkpoints++,
    onBatch: (p) => {
      if (p.step % sampleEvery === 0) samples.push(sample(p.step));
      if (p.step % (sampleEvery * 10) === 0) log(`  mlp step ${p.step}/${epochs * stepsPerEpoch}: loss ${p.loss.toFixed(4)}, ${memory().numTensors} tensors, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
      return p.step < steps;
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  log(`  mlp: ${result.step} steps, ${checkpoints} checkpoints, test accuracy ${(result.testAccuracy * 100).toFixed(2)}%`);
  result.net.dispose();
  return report("mlp", result.step, seconds, samples, Math.min(2000, Math.floor(steps / 3)));
}

/** A GPT trained for `steps` steps, a checkpoint reloaded and text generated every `generateEvery` steps. */
export async function soakGpt(steps: number, sampleEvery: number, generateEvery: number, config: Partial<GptTrainingConfig> = {}, log: (line: string) => void = () => {}): Promise<SoakReport> {
  await init();
  const text = await loadEmbeddedCorpus();
  const samples: MemorySample[] = [];
  const t0 = performance.now();
  let lastCheckpoint: Uint8Array | undefined;
  let generated = 0;
  const result = await trainGpt({ ...DEFAULT_GPT_TRAINING, layers: 2, dModel: 64, heads: 4, context: 64, batchSize: 16, evalEvery: generateEvery, ...config, steps }, {
    text,
    saveEvery: generateEvery,
    onCheckpoint: (bytes) => void (lastCheckpoint = bytes),
    onStep: (s) => {
      if (s.step % sampleEvery === 0) samples.push(sample(s.step));
      if (s.step % generateEvery === 0 && lastCheckpoint) {
        // Generation from a reloaded checkpoint: loading, the KV caches and sampling must give everything back.
        const loaded = loadCheckpoint(lastCheckpoint);
        const out = generate(loaded.model, Tokenizer.fromJSON(loaded.tokenizer), "And God said", { maxNewTokens: 100, temperature: 0.8, topK: 5, seed: s.step });
        generated += out.newTokens;
        loaded.model.dispose();
        log(`  gpt step ${s.step}/${steps}: loss ${s.loss.toFixed(3)}, ${memory().numTensors} tensors, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
      }
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  log(`  gpt: ${result.step} steps, ${generated} tokens generated, held-out loss ${result.finalEvalLoss.toFixed(3)}`);
  result.model.dispose();
  return report("gpt", result.step, seconds, samples, Math.min(500, Math.floor(steps / 3)));
}

export function describeReport(r: SoakReport): string {
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const last = r.samples.at(-1)!;
  return `${r.name}: ${r.steps} steps in ${r.seconds.toFixed(0)} s; after warm-up: tensors ${r.growth.numTensors >= 0 ? "+" : ""}${r.growth.numTensors} (now ${last.numTensors}), allocator ${mib(r.growth.allocatedBytes)}, Wasm memory ${mib(r.growth.wasmBytes)} (now ${mib(last.wasmBytes)}), RSS ${mib(r.growth.rss)} (spread ${mib(r.rssSpread)}, now ${mib(last.rss)})`;
}
