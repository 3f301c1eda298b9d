// GPT training step of the default model (batch 32 × 64 tokens): forward, cross-entropy, backward,
// global-norm clipping, AdamW. simdnet: GptTrainer.trainStep(); plain JS: bench/lib/plain-gpt.ts;
// tfjs-wasm / tfjs-cpu: bench/peers/tfjs-gpt.ts, the same model in tf ops. Every implementation trains
// on the same batch sequence: step s draws its batch as GptTrainer.trainStep draws it (batchAt), inside
// the timed call for everyone. All start from the weights of simdnet's seed-0 model. tokens/s = 2048 /
// step time.
//
// Checks (instead of the generic one). Reference: bench/lib/plain-gpt.ts, the same model written in
// plain JS (float32 storage, double arithmetic in its loops), independent of simdnet's kernels and ops.
// It is not run in float64: that would need a second array type in the timed plain-JS row's loops
// (polymorphic, slower), so the reference carries float32 rounding of its own, of the size of the
// differences it is checked against. From the initial weights on step 1's batch, the loss and every
// gradient tensor of every implementation — each simdnet build included — against plain JS's; then
// each optimizer: plain JS takes that implementation's own gradients and does its clip + AdamW step
// from the initial weights, and the implementation's parameters after its step 1 must match (TOL).
// (From its own gradients, Adam's first step of ±lr can flip sign wherever a gradient is ≈ 0, so the
// optimizer is checked on the same gradients.) Each implementation's first full step is timed as its
// first call.

import * as sd from "../../src/index.js";
import { isSimdnet, key, record, reject, relErr } from "../harness/check.js";
import { message, quick, suite, type BenchContext } from "../harness/context.js";
import type { Impl, Workload } from "../harness/types.js";
import { PlainGPT } from "../lib/plain-gpt.js";
import type { GptParam, GptPeerModel } from "../peers/types.js";
import { addPeers, newWorkload, type LiveBuild } from "./common.js";
import { concat } from "../lib/arrays.js";
import { sinusoidalPositions } from "../../src/ops/positional.js";
import type { ChildTask } from "../peers/child-run.js";
import { fullConfig, GPT_BATCH, GPT_CONFIG, GPT_TRAIN_OPTIONS, gptForwardFlopsPerToken, paramsOf } from "./gpt-config.js";

/**
 * Against plain JS, 2–3× the worst measured: loss 1.5e-8 (simdnet, tfjs-cpu) and 1.3e-6 (tfjs-wasm);
 * gradients, relative to each tensor's 1 % floor, 3e-5 (simdnet) to 8.9e-5 (tfjs-cpu); parameters after
 * the clip + AdamW step ≤ 3.9e-7.
 */
export const GPT_TOL = { loss: 3e-6, grads: 2e-4, params: 1e-6 };

function randomTokens(n: number, seed: number): Int32Array {
  const rng = new sd.Random(seed);
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) t[i] = rng.int(GPT_CONFIG.vocabSize);
  return t;
}

const worst = (got: Map<string, ArrayLike<number>>, want: Map<string, ArrayLike<number>>): number =>
  Math.max(...[...want].map(([name, w]) => (got.has(name) ? relErr(got.get(name)!, w) : Infinity)));

/** The batch of 1-based step `step`, drawn as GptTrainer.trainStep draws it (same seed, same generator). */
function batchInto(tokens: Int32Array, step: number, ids: Int32Array, targets: Int32Array): void {
  const seq = GPT_CONFIG.contextLength;
  const rng = new sd.Random((GPT_TRAIN_OPTIONS.seed * 1_000_003 + step) >>> 0);
  for (let b = 0; b < GPT_BATCH; b++) {
    const start = rng.int(tokens.length - seq);
    ids.set(tokens.subarray(start, start + seq), b * seq);
    targets.set(tokens.subarray(start + 1, start + 1 + seq), b * seq);
  }
}

export async function gptTrainWorkload(ctx: BenchContext): Promise<Workload> {
  const seq = GPT_CONFIG.contextLength;
  const tokensPerStep = GPT_BATCH * seq;
  const id = `GPT train step ${GPT_BATCH}×${seq} tokens`;
  const tokens = randomTokens(1 << 16, 900);
  const sims: { build: LiveBuild; model: sd.GPT; trainer: sd.GptTrainer; impl: Impl }[] = [];
  const peers: { impl: Impl; model: GptPeerModel }[] = [];
  const plain = new PlainGPT(GPT_CONFIG);
  let plainSteps = 0;
  const w = newWorkload(ctx, {
    id, kind: "gpt-train", perCall: tokensPerStep, tol: 0,
    flops: 3 * gptForwardFlopsPerToken() * tokensPerStep, // forward + backward (twice the forward's products)
    slowCapMs: quick ? undefined : 20000,
    dispose: () => {
      for (const s of sims) {
        sd.setBackend(s.build.backend);
        if (!s.model.parameters().every((p) => sd.allFinite(p.value))) ctx.notes.push(`${id}: ${s.build.label} parameters not finite after timing`);
        s.trainer.dispose();
        s.model.dispose();
      }
      peers.forEach((p) => p.model.dispose());
    },
  });
  for (const build of ctx.liveBuilds) {
    sd.setBackend(build.backend);
    const model = new sd.GPT({ ...GPT_CONFIG, seed: 0 });
    const trainer = new sd.GptTrainer(model, tokens, tokens, GPT_TRAIN_OPTIONS);
    const impl: Impl = { label: build.label, kind: build.kind, run: () => void trainer.trainStep(), before: async () => sd.setBackend(build.backend) };
    sims.push({ build, model, trainer, impl });
    w.impls.push(impl);
  }
  const lr = (step: number): number => sims[0]!.trainer.learningRateAt(step);
  // Step s's batch for plain JS and the peers, drawn inside their timed call as the trainer draws its own.
  const ids = new Int32Array(tokensPerStep);
  const targets = new Int32Array(tokensPerStep);
  sd.setBackend(sims[0]!.build.backend);
  const initial = paramsOf(sims[0]!.model);
  const config = fullConfig(sims[0]!.model);
  const plainImpl: Impl = {
    label: "plain JS", kind: "js",
    run: () => {
      batchInto(tokens, ++plainSteps, ids, targets);
      plain.trainStep(ids, targets, GPT_BATCH, lr(plainSteps), GPT_TRAIN_OPTIONS);
    },
  };
  w.impls.push(plainImpl);
  const notes: Record<string, string> = {};
  await addPeers(ctx, w, (p) => {
    if (!p.gptModel) return undefined;
    return [{ label: p.name, options: {}, note: "autodiff (tf.variableGrads)" }, ...(p.gptVariants ?? [])].map((v) => {
      const model = p.gptModel!(config, initial, v.options);
      // The check leaves the model after step 1: the timed steps continue from step 2.
      let steps = 1;
      const impl: Impl = {
        label: v.label, column: p.name, kind: "peer", before: p.activate,
        run: () => {
          batchInto(tokens, ++steps, ids, targets);
          model.trainStep(ids, targets, GPT_BATCH, lr(steps), GPT_TRAIN_OPTIONS);
        },
      };
      notes[v.label] = `${v.note}; embedding gradient as one-hot matMul (no UnsortedSegmentSum kernel in tfjs-backend-wasm)`;
      peers.push({ impl, model });
      return impl;
    });
  });
  w.notes = notes;

  w.check = async () => {
    const ok: Impl[] = [];
    const timeFirst = async (impl: Impl, fn: () => void | Promise<void>): Promise<void> => {
      const t0 = performance.now();
      await fn();
      ctx.firstCall.set(key(w, impl), performance.now() - t0);
    };
    const against = "plain JS (bench/lib/plain-gpt.ts)";
    batchInto(tokens, 1, ids, targets);
    // The reference: plain JS's loss and gradients on step 1's batch from the initial weights. Its first
    // full step (loss, backward, clip + AdamW) is its first timed call.
    plain.load(initial);
    let wantLoss = NaN;
    await timeFirst(plainImpl, () => {
      wantLoss = plain.loss(ids, targets, GPT_BATCH);
      plain.backward();
      plain.step(lr(1), GPT_TRAIN_OPTIONS);
    });
    plainSteps = 1;
    const wantGrads = new Map(plain.params.map((p) => [p.name, Float32Array.from(p.grad)]));
    ok.push(plainImpl);
    const fail = (impl: Impl, why: string): void => {
      reject(w, impl, `check failed: ${why} (see checks)`);
      if (isSimdnet(impl.kind)) ctx.simdnetFailures.push(`${id}: ${impl.label}: ${why}`);
    };
    const compare = (impl: Impl, loss: number, grads: Map<string, ArrayLike<number>>): boolean => {
      const lossOk = record(ctx, w, impl.label, "loss, step 1's batch", Math.abs(loss - wantLoss) / Math.abs(wantLoss), GPT_TOL.loss, against, impl.kind);
      const gradOk = record(ctx, w, impl.label, `gradients (${wantGrads.size} tensors)`, worst(grads, wantGrads), GPT_TOL.grads, against, impl.kind);
      if (!lossOk || !gradOk) fail(impl, `${lossOk ? "" : `loss ${loss} vs ${wantLoss}`}${gradOk ? "" : " gradients"}`);
      return lossOk && gradOk;
    };
    /** Plain JS's clip + AdamW step from the initial weights and these gradients: the optimizer's reference. */
    const plainStepFrom = (grads: Map<string, ArrayLike<number>>): Map<string, Float32Array> => {
      plain.load(initial);
      for (const p of plain.params) p.grad.set(grads.get(p.name)!);
      plain.step(lr(1), GPT_TRAIN_OPTIONS);
      return new Map(plain.params.map((p) => [p.name, Float32Array.from(p.value)]));
    };
    const compareStep = (impl: Impl, got: Map<string, ArrayLike<number>>, want: Map<string, ArrayLike<number>>): boolean => {
      const err = worst(got, want);
      const pass = record(ctx, w, impl.label, "parameters after step 1 (clip + AdamW from its own gradients)", err, GPT_TOL.params, against, impl.kind);
      if (!pass) fail(impl, `parameters after step 1, max rel err ${err.toExponential(2)} > ${GPT_TOL.params}`);
      return pass;
    };
    for (const s of sims) {
      try {
        sd.setBackend(s.build.backend);
        const loss = s.model.loss(ids, targets, GPT_BATCH);
        s.model.backward();
        const grads = new Map(s.model.parameters().map((p) => [p.name, p.grad.toFloat32Array()]));
        if (!compare(s.impl, loss, grads)) continue;
        // trainStep's step 1 draws the same batch from the same weights, so it recomputes these gradients.
        await timeFirst(s.impl, () => void s.trainer.trainStep());
        sd.setBackend(s.build.backend);
        const after = new Map(s.model.parameters().map((p) => [p.name, p.value.toFloat32Array()]));
        if (compareStep(s.impl, after, plainStepFrom(grads))) ok.push(s.impl);
      } catch (e) {
        fail(s.impl, `failed: ${message(e)}`);
      }
    }
    for (const { impl, model } of peers) {
      try {
        await impl.before?.();
        let first: { loss: number; grads: Map<string, Float32Array> } | undefined;
        // Its first call: loss and gradients, then the clip + AdamW step (a full step, like everyone's).
        await timeFirst(impl, () => {
          first = model.lossAndGrads(ids, targets, GPT_BATCH);
          model.load(initial);
          model.stepWith(first.grads, lr(1), GPT_TRAIN_OPTIONS);
        });
        if (compare(impl, first!.loss, first!.grads) && compareStep(impl, model.values(), plainStepFrom(first!.grads))) ok.push(impl);
      } catch (e) {
        reject(w, impl, `failed: ${message(e)}`);
      }
    }
    if (w.numpy) {
      // The child-process peers (PyTorch) run after the Node workloads on step 1's batch (a fixed batch for
      // every timed step: the batch does not change the work) and are checked like the in-process peers,
      // but on plain JS's gradients: [loss, gradients, parameters after one clip + AdamW step from them].
      const after = plainStepFrom(wantGrads);
      w.numpy.inputs.ids = Int32Array.from(ids);
      w.numpy.inputs.targets = Int32Array.from(targets);
      initial.forEach((p, k) => (w.numpy!.inputs[`g${k}`] = wantGrads.get(p.name)!));
      const values = concat([[wantLoss], ...initial.map((p) => wantGrads.get(p.name)!), ...initial.map((p) => after.get(p.name)!)]);
      ctx.references.set(id, { values, tol: GPT_TOL.params, name: against });
    }
    // Plain JS's timed steps continue from a step 1 (the last optimizer check's; the work is the same).
    return ok;
  };
  if (suite === "peers") w.errors.push({ label: "numpy", kind: "numpy", error: "not run: no numpy GPT in this benchmark (the numpy column covers the kernel workloads and the MLP)" });
  if (suite === "peers") w.numpy = gptChildTask(id, sims[0]!.model, initial, ids, targets, lr);
  return w;
}

/**
 * The GPT step for the child-process peers (PyTorch): the config, the parameters (names, shapes, decay
 * flags, values), the first batch, the position table and the learning rate of steps 1…4096; the check
 * adds simdnet best's gradients (g0, g1, …) before the children run.
 */
function gptChildTask(id: string, model: sd.GPT, initial: GptParam[], ids: Int32Array, targets: Int32Array, lr: (step: number) => number): ChildTask {
  const c = fullConfig(model);
  const shapes = model.parameters().map((p) => p.value.shape);
  const inputs: ChildTask["inputs"] = { ids, targets, lrs: Float32Array.from({ length: 4096 }, (_, i) => lr(i + 1)) };
  if (c.positional === "sinusoidal") inputs.pe = sinusoidalPositions(c.contextLength, c.dModel);
  initial.forEach((p, k) => (inputs[`p${k}`] = p.data));
  return {
    id, kind: "gpt-train", inputs,
    params: {
      vocab: c.vocabSize, seq: c.contextLength, d: c.dModel, heads: c.heads, layers: c.layers, batch: GPT_BATCH, tokens: GPT_BATCH * c.contextLength,
      names: initial.map((p) => p.name).join(","), shapes: shapes.flatMap((s) => [s.length, ...s]), decays: initial.map((p) => (p.decays ? 1 : 0)),
      sizes: initial.map((p) => p.data.length), clip_norm: GPT_TRAIN_OPTIONS.clipNorm, weight_decay: GPT_TRAIN_OPTIONS.weightDecay,
    },
  };
}
