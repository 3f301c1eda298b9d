// Training a GPT on a token stream: random windows of T+1 tokens (inputs and the same shifted by
// one as targets), softmax cross-entropy at every position, AdamW (weight matrices decay; biases,
// LayerNorm gains and position tables do not), clipping by the global gradient norm, linear warm-up
// then cosine decay of the learning rate (nn/schedules.ts), and a fixed held-out set for the evaluation
// loss. Each step is the guarded step of nn/step.ts, as the MLP Trainer's is.
//
// Batches are drawn from a generator seeded by (seed, step), so a run resumed from a checkpoint at
// step s sees exactly the batches the uninterrupted run would have seen.

import { ArgumentError } from "../runtime/errors.js";
import { Random } from "../runtime/random.js";
import type { Parameter } from "../nn/module.js";
import { Adam } from "../nn/optimizers.js";
import { warmupCosine } from "../nn/schedules.js";
import { GuardedStep } from "../nn/step.js";
import type { GPT } from "./gpt.js";

export interface GptTrainOptions {
  batchSize: number;
  /** Tokens per training sequence (default: the model's context length). */
  seqLen?: number;
  learningRate: number;
  /** Floor of the cosine decay (default learningRate / 10). */
  minLearningRate?: number;
  warmupSteps: number;
  /** Steps of the whole run (the decay ends here). */
  totalSteps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this (0: no clipping). */
  clipNorm: number;
  /** Sequences in the held-out evaluation set. */
  evalSequences: number;
  seed: number;
}

export interface GptStepStats {
  step: number;
  loss: number;
  learningRate: number;
  gradNorm: number;
  tokens: number;
}

/** Parameters that AdamW decays: the weight matrices (and embeddings), not biases, gains or positions. */
export function decaysWeight(p: Parameter): boolean {
  return p.value.rank === 2 && !p.name.endsWith(".bias") && p.name !== "wpe";
}

export class GptTrainer {
  readonly optimizer: Adam;
  private readonly params: Parameter[];
  private readonly seqLen: number;
  private stepsDone = 0;
  private readonly ids: Int32Array;
  private readonly targets: Int32Array;
  private readonly evalStarts: Int32Array;
  private readonly guarded: GuardedStep;
  private readonly schedule: (step: number) => number;

  constructor(
    readonly model: GPT,
    private readonly train: Int32Array,
    private readonly validation: Int32Array,
    readonly options: GptTrainOptions,
  ) {
    this.seqLen = options.seqLen ?? model.config.contextLength;
    if (this.seqLen > model.config.contextLength) throw new ArgumentError(`train-gpt: seqLen ${this.seqLen} exceeds the context length ${model.config.contextLength}`);
    for (const [name, tokens] of [["training", train], ["validation", validation]] as const) {
      if (tokens.length < this.seqLen + 1) throw new ArgumentError(`train-gpt: the ${name} text has ${tokens.length} tokens, fewer than one sequence of ${this.seqLen + 1}`);
    }
    this.params = model.parameters();
    this.optimizer = new Adam(options.learningRate, { beta1: 0.9, beta2: 0.95, weightDecay: options.weightDecay, decays: decaysWeight });
    this.guarded = new GuardedStep(this.params, this.optimizer);
    const max = options.learningRate;
    this.schedule = warmupCosine({ max, min: options.minLearningRate ?? max / 10, warmupSteps: options.warmupSteps, totalSteps: options.totalSteps });
    this.ids = new Int32Array(options.batchSize * this.seqLen);
    this.targets = new Int32Array(options.batchSize * this.seqLen);
    // Evaluation windows: evenly spaced over the held-out tokens, the same every time.
    const span = validation.length - this.seqLen - 1;
    this.evalStarts = Int32Array.from({ length: options.evalSequences }, (_, i) => Math.floor((span * i) / Math.max(options.evalSequences - 1, 1)));
  }

  get step(): number {
    return this.stepsDone;
  }

  /** Resume: the next step() is step `s + 1`. */
  set step(s: number) {
    this.stepsDone = s;
    this.optimizer.stepCount = s;
  }

  /** The learning rate of 1-based step `step`: warm-up, then cosine decay (nn/schedules.ts, warmupCosine). */
  learningRateAt(step: number): number {
    return this.schedule(step);
  }

  /** One optimisation step on a fresh random batch. */
  trainStep(): GptStepStats {
    const step = this.stepsDone + 1;
    const { batchSize } = this.options;
    const rng = new Random((this.options.seed * 1_000_003 + step) >>> 0);
    for (let b = 0; b < batchSize; b++) {
      const start = rng.int(this.train.length - this.seqLen);
      this.ids.set(this.train.subarray(start, start + this.seqLen), b * this.seqLen);
      this.targets.set(this.train.subarray(start + 1, start + 1 + this.seqLen), b * this.seqLen);
    }
    const lr = this.learningRateAt(step);
    const work = {
      forward: () => this.model.loss(this.ids, this.targets, batchSize),
      backward: () => this.model.backward(),
    };
    const { loss, gradNorm } = this.guarded.run(work, { clipNorm: this.options.clipNorm, learningRate: lr, where: `step ${step}`, epoch: 1, batch: step });
    this.stepsDone = step;
    return { step, loss, learningRate: lr, gradNorm, tokens: batchSize * this.seqLen };
  }

  /** Mean cross-entropy (nats per token) over the fixed held-out windows. */
  evaluate(): number {
    const { batchSize } = this.options;
    let total = 0;
    let count = 0;
    for (let i = 0; i < this.evalStarts.length; i += batchSize) {
      const n = Math.min(batchSize, this.evalStarts.length - i);
      const ids = this.ids.subarray(0, n * this.seqLen);
      const targets = this.targets.subarray(0, n * this.seqLen);
      for (let b = 0; b < n; b++) {
        const start = this.evalStarts[i + b]!;
        ids.set(this.validation.subarray(start, start + this.seqLen), b * this.seqLen);
        targets.set(this.validation.subarray(start + 1, start + 1 + this.seqLen), b * this.seqLen);
      }
      total += this.model.loss(ids, targets, n) * n;
      count += n;
    }
    return total / count;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.guarded.dispose();
  }
}
