// The GPT training-step row on the default model of `simdnet train-gpt` (bench/workloads/gpt-config.ts):
// GptTrainer.trainStep() on SIMD and scalar against the same step of bench/lib/plain-gpt.ts, with
// checks of the loss, every gradient and the clip + AdamW step against plain JS before timing.

import * as sd from "../../src/index.js";
import { PlainGPT } from "../lib/plain-gpt.js";
import { GPT_BATCH, GPT_CONFIG, GPT_TRAIN_OPTIONS } from "../workloads/gpt-config.js";
import { checkRecorder, relError } from "./check.js";
import { quick } from "./config.js";
import { onBackend, type KernelContext } from "./context.js";
import type { Impl, Workload } from "./types.js";

/** Tolerances of the GPT checks vs the plain-JS model: |x − y| ≤ tol · max(|y|, 0.01 · max|y|), per tensor. */
export const GPT_TOL = { loss: 1e-4, grads: 1e-3, params: 1e-5 };

// The same generator as in bench/workloads/gpt-train.ts, which does not export it.
function randomTokens(n: number, seed: number): Int32Array {
  const rng = new sd.Random(seed);
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) t[i] = rng.int(GPT_CONFIG.vocabSize);
  return t;
}

/**
 * One GptTrainer.trainStep() (batch 32 × 64 tokens: forward, loss, backward, global-norm clipping,
 * AdamW) per call on SIMD and scalar, and the same step of bench/lib/plain-gpt.ts on a fixed batch.
 * Checked before timing: from the same weights and the trainer's first batch, loss and every gradient
 * of both backends against plain JS, then the parameters after the trainer's first step (AdamW from
 * the clipped gradients) against plain JS's.
 */
export function gptTrainWorkload(ctx: KernelContext): Workload {
  const id = `GPT train step ${GPT_BATCH}×${GPT_CONFIG.contextLength} tokens`;
  const seq = GPT_CONFIG.contextLength;
  const tokens = randomTokens(1 << 16, 900);
  const models = ctx.backends.map(({ impl, backend }) =>
    onBackend(backend, () => {
      const model = new sd.GPT({ ...GPT_CONFIG, seed: 0 });
      const trainer = new sd.GptTrainer(model, tokens, tokens, GPT_TRAIN_OPTIONS);
      return { impl, backend, model, trainer };
    }),
  );
  // The trainer's first batch, drawn as GptTrainer.trainStep draws it.
  const ids = new Int32Array(GPT_BATCH * seq);
  const targets = new Int32Array(GPT_BATCH * seq);
  const rng = new sd.Random((GPT_TRAIN_OPTIONS.seed * 1_000_003 + 1) >>> 0);
  for (let b = 0; b < GPT_BATCH; b++) {
    const start = rng.int(tokens.length - seq);
    ids.set(tokens.subarray(start, start + seq), b * seq);
    targets.set(tokens.subarray(start + 1, start + 1 + seq), b * seq);
  }
  const plain = new PlainGPT(GPT_CONFIG);
  let plainSteps = 0;
  const impls: Impl[] = models.map(({ impl, backend, trainer }) => ({
    impl, label: impl,
    run: () => {
      sd.setBackend(backend);
      trainer.trainStep();
    },
  }));
  impls.push({
    impl: "js", label: "plain JS",
    run: () => {
      plainSteps++;
      plain.trainStep(ids, targets, GPT_BATCH, models[0]!.trainer.learningRateAt(plainSteps), GPT_TRAIN_OPTIONS);
    },
  });
  const check = (): boolean => {
    const { record, ok } = checkRecorder(ctx, id);
    const initial = models[0]!.model.parameters().map((p) => ({ name: p.name, data: p.value.toFloat32Array() }));
    plain.load(initial);
    const t0 = performance.now();
    const wantLoss = plain.loss(ids, targets, GPT_BATCH);
    plain.backward();
    // This is plain JS's first call (checkWorkload does not repeat a call that takes seconds).
    ctx.firstCallMs.set(`${id}/plain JS`, performance.now() - t0);
    for (const { impl, backend, model } of models) {
      sd.setBackend(backend);
      const start = Math.max(...model.parameters().map((p) => relError(p.value.toFloat32Array(), plain.param(p.name).value)));
      record(impl, "initial parameters", "plain JS (copied from simd)", start, 0);
      const loss = model.loss(ids, targets, GPT_BATCH);
      model.backward();
      record(impl, "loss", "plain JS", Math.abs(loss - wantLoss) / Math.abs(wantLoss), GPT_TOL.loss);
      const gradErr = Math.max(...model.parameters().map((p) => relError(p.grad.toFloat32Array(), plain.param(p.name).grad)));
      record(impl, `gradients (all ${model.parameters().length} tensors)`, "plain JS", gradErr, GPT_TOL.grads);
    }
    // The trainer's step 1 sees the same batch from the same weights, so it computes the gradients just
    // checked. Plain JS takes its clip + AdamW step from those same gradients (taken from its own, the
    // 1e-5 gradient differences flip the sign of Adam's first step, ±lr, wherever a gradient is ≈ 0).
    for (const { impl, backend, model, trainer } of models) {
      sd.setBackend(backend);
      plain.load(initial);
      for (const p of model.parameters()) plain.param(p.name).grad.set(p.grad.toFloat32Array());
      plain.step(trainer.learningRateAt(1), GPT_TRAIN_OPTIONS);
      plainSteps = 1;
      trainer.trainStep();
      const err = Math.max(...model.parameters().map((p) => relError(p.value.toFloat32Array(), plain.param(p.name).value)));
      record(impl, "parameters after trainStep 1 (clip + AdamW)", "plain JS", err, GPT_TOL.params);
    }
    return ok();
  };
  return {
    id, group: "transformer", tokens: GPT_BATCH * seq, tol: 0, impls, check,
    // One plain-JS step takes seconds: at most one sample per round, capped.
    slowTaskCapMs: quick ? 1 : 30000,
    dispose: () => {
      const bad: string[] = models.filter(({ model }) => !model.parameters().every((p) => sd.allFinite(p.value))).map((m) => m.impl);
      if (!plain.params.every((p) => p.value.every(Number.isFinite))) bad.push("js");
      if (bad.length) ctx.notes.push(`${id}: parameters not finite after timing (${bad.join(", ")})`);
      for (const { backend, model, trainer } of models) {
        sd.setBackend(backend);
        trainer.dispose();
        model.dispose();
      }
    },
  };
}
