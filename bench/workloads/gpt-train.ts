// GPT training step of the default model (batch 32 × 64 tokens): forward, cross-entropy, backward,
// global-norm clipping, AdamW. simdnet: GptTrainer.trainStep() (a fresh random batch per step, as in
// training); plain JS: bench/lib/plain-gpt.ts; tfjs-wasm / tfjs-cpu: bench/peers/tfjs-gpt.ts, the same
// model in tf ops. Plain JS and tfjs step on the trainer's first batch every time (the batch does not
// change the work). All start from the weights of simdnet's seed-0 model. tokens/s = 2048 / step time.
//
// Checks (instead of the generic one): on the trainer's first batch from the initial weights, the loss
// (tol 1e-4) and every gradient tensor (tol 1e-3) of each implementation against simdnet best's;
// then each optimizer against simdnet best's first trainStep: plain JS and tfjs reset to the initial
// weights, take simdnet best's gradients and do their clip + AdamW step, and their parameters must
// match (tol 1e-5). (From their own gradients, Adam's first step of ±lr can flip sign wherever a
// gradient is ≈ 0, so the optimizer is checked on the same gradients.) Each implementation's first
// full step is timed as its first call.

import * as sd from "../../src/index.js";
import { key, record, reject } from "../harness/check.js";
import { message, quick, type BenchContext } from "../harness/context.js";
import type { Impl, Workload } from "../harness/types.js";
import { relErr } from "../harness/check.js";
import { PlainGPT } from "../lib/plain-gpt.js";
import type { GptParam, GptPeerModel } from "../peers/types.js";
import { addPeers, newWorkload, type LiveBuild } from "./common.js";
import { concat } from "../lib/arrays.js";
import { sinusoidalPositions } from "../../src/ops/positional.js";
import type { ChildTask } from "../peers/child-run.js";
import { fullConfig, GPT_BATCH, GPT_CONFIG, GPT_TRAIN_OPTIONS, gptForwardFlopsPerToken, paramsOf } from "./gpt-config.js";

const TOL = { loss: 1e-4, grads: 1e-3, params: 1e-5 };

function randomTokens(n: number, seed: number): Int32Array {
  const rng = new sd.Random(seed);
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) t[i] = rng.int(GPT_CONFIG.vocabSize);
  return t;
}

const worst = (got: Map<string, ArrayLike<number>>, want: Map<string, ArrayLike<number>>): number =>
  Math.max(...[...want].map(([name, w]) => (got.has(name) ? relErr(got.get(name)!, w) : Infinity)));

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
  // The trainer's first batch, drawn as GptTrainer.trainStep draws it.
  const ids = new Int32Array(tokensPerStep);
  const targets = new Int32Array(tokensPerStep);
  const rng = new sd.Random((GPT_TRAIN_OPTIONS.seed * 1_000_003 + 1) >>> 0);
  for (let b = 0; b < GPT_BATCH; b++) {
    const start = rng.int(tokens.length - seq);
    ids.set(tokens.subarray(start, start + seq), b * seq);
    targets.set(tokens.subarray(start + 1, start + 1 + seq), b * seq);
  }
  sd.setBackend(sims[0]!.build.backend);
  const initial = paramsOf(sims[0]!.model);
  const config = fullConfig(sims[0]!.model);
  const plainImpl: Impl = {
    label: "plain JS", kind: "js",
    run: () => void plain.trainStep(ids, targets, GPT_BATCH, lr(++plainSteps), GPT_TRAIN_OPTIONS),
  };
  w.impls.push(plainImpl);
  const notes: Record<string, string> = {};
  await addPeers(ctx, w, (p) => {
    if (!p.gptModel) return undefined;
    return [{ label: p.name, options: {}, note: "autodiff (tf.variableGrads)" }, ...(p.gptVariants ?? [])].map((v) => {
      const model = p.gptModel!(config, initial, v.options);
      // The check leaves the model after step 1: the timed steps continue the schedule from step 2.
      let steps = 1;
      const impl: Impl = {
        label: v.label, column: p.name, kind: "peer", before: p.activate,
        run: () => void model.trainStep(ids, targets, GPT_BATCH, lr(++steps), GPT_TRAIN_OPTIONS),
      };
      notes[v.label] = `${v.note}; embedding gradient as one-hot matMul (no UnsortedSegmentSum kernel in tfjs-backend-wasm)`;
      peers.push({ impl, model });
      return impl;
    });
  }, (p) => (quick && p.name === "tfjs-cpu" ? "skipped in quick mode: one tfjs-cpu step takes about 10 s (plain-JS kernels at ≈ 0.6 GFLOP/s); the full run times it" : undefined));
  w.notes = notes;

  w.check = async () => {
    const ok: Impl[] = [];
    const timeFirst = async (impl: Impl, fn: () => void | Promise<void>): Promise<void> => {
      const t0 = performance.now();
      await fn();
      ctx.firstCall.set(key(w, impl), performance.now() - t0);
    };
    // simdnet best: loss and gradients on the first batch (no update), then its first trainStep (same batch, same weights).
    const best = sims[0]!;
    sd.setBackend(best.build.backend);
    const wantLoss = best.model.loss(ids, targets, GPT_BATCH);
    best.model.backward();
    const wantGrads = new Map(best.model.parameters().map((p) => [p.name, p.grad.toFloat32Array()]));
    await timeFirst(best.impl, () => void best.trainer.trainStep());
    const wantAfter1 = new Map(best.model.parameters().map((p) => [p.name, p.value.toFloat32Array()]));
    // The child-process peers (PyTorch) are checked after the Node workloads against these, and take these gradients.
    initial.forEach((p, k) => (w.numpy!.inputs[`g${k}`] = wantGrads.get(p.name)!));
    ctx.bestOutputs.set(id, concat([[wantLoss], ...initial.map((p) => wantGrads.get(p.name)!), ...initial.map((p) => wantAfter1.get(p.name)!)]));
    ok.push(best.impl);
    const compare = (impl: Impl, loss: number, grads: Map<string, ArrayLike<number>>): boolean => {
      const lossOk = record(ctx, w, impl.label, "loss, first batch", Math.abs(loss - wantLoss) / Math.abs(wantLoss), TOL.loss);
      const gradOk = record(ctx, w, impl.label, `gradients (${wantGrads.size} tensors)`, worst(grads, wantGrads), TOL.grads);
      if (!lossOk || !gradOk) reject(w, impl, `check failed: ${lossOk ? "" : `loss ${loss} vs ${wantLoss}`}${gradOk ? "" : " gradients"} (see checks)`);
      return lossOk && gradOk;
    };
    for (const s of sims.slice(1)) {
      sd.setBackend(s.build.backend);
      const loss = s.model.loss(ids, targets, GPT_BATCH);
      s.model.backward();
      if (!compare(s.impl, loss, new Map(s.model.parameters().map((p) => [p.name, p.grad.toFloat32Array()])))) continue;
      await timeFirst(s.impl, () => void s.trainer.trainStep());
      ok.push(s.impl);
    }
    // Plain JS: its first full step is its first (timed) call; then the optimizer check from the initial weights.
    plain.load(initial);
    let plainLoss = NaN;
    await timeFirst(plainImpl, () => {
      plainLoss = plain.loss(ids, targets, GPT_BATCH);
      plain.backward();
      plain.step(lr(1), GPT_TRAIN_OPTIONS);
    });
    if (compare(plainImpl, plainLoss, new Map(plain.params.map((p) => [p.name, p.grad])))) {
      plain.load(initial);
      for (const p of plain.params) p.grad.set(wantGrads.get(p.name)!);
      plain.step(lr(1), GPT_TRAIN_OPTIONS);
      plainSteps = 1;
      const err = worst(new Map(plain.params.map((p) => [p.name, p.value])), wantAfter1);
      if (record(ctx, w, plainImpl.label, "parameters after step 1 from simdnet best's gradients (clip + AdamW)", err, TOL.params)) ok.push(plainImpl);
      else reject(w, plainImpl, `check failed: parameters after step 1, max rel err ${err.toExponential(2)} > ${TOL.params}`);
    }
    for (const { impl, model } of peers) {
      try {
        await impl.before?.();
        let first: { loss: number; grads: Map<string, Float32Array> } | undefined;
        await timeFirst(impl, () => void (first = model.lossAndGrads(ids, targets, GPT_BATCH)));
        if (!compare(impl, first!.loss, first!.grads)) continue;
        model.load(initial);
        model.stepWith(wantGrads, lr(1), GPT_TRAIN_OPTIONS);
        const err = worst(model.values(), wantAfter1);
        if (record(ctx, w, impl.label, "parameters after step 1 from simdnet best's gradients (clip + AdamW)", err, TOL.params)) ok.push(impl);
        else reject(w, impl, `check failed: parameters after step 1, max rel err ${err.toExponential(2)} > ${TOL.params}`);
      } catch (e) {
        reject(w, impl, `failed: ${message(e)}`);
      }
    }
    return ok;
  };
  w.errors.push({ label: "numpy", kind: "numpy", error: "not run: no numpy GPT in this benchmark (the numpy column covers the kernel workloads and the MLP)" });
  w.numpy = gptChildTask(id, sims[0]!.model, initial, ids, targets, lr);
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
