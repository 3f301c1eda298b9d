// Kernel suite: the 784-128-64-10 MLP training step with its variants, one workload per batch size,
// all interleaved round by round: the like-for-like step ("main": He init, ReLU, linear output, MSE,
// SGD) on every build and in plain JS (bench/lib/plain-mlp.ts); the tutorial's network and the default
// recipe (Adam + cross-entropy) on simdnet best; and, to show where a step's time goes, the step's
// eight matrix products alone ("gemms") and everything else it runs alone ("rest": bias + activation,
// ReLU backward, Σ-rows, Σ g², SGD updates, the MSE loss and its gradient; 22 kernel calls) on every
// build. Each timed sample is a run of consecutive steps of about 50 ms (Workload.sampleMs).
//
// Checks before timing, against float64 references from the same initial weights and batch
// (bench/lib/reference.ts mlpStepRef): every SGD network's loss, gradients and updated parameters;
// the eight products against matmulRef. The default recipe (Adam + cross-entropy): loss and gradients
// against mlpStepRef's cross-entropy step, and its parameters against a float64 Adam step
// (adamFirstStepRef) from the initial weights and that implementation's own gradients — from the float64
// gradients instead, Adam's first step of ±lr flips sign wherever a gradient is ≈ 0. "rest" has no output.

import * as sd from "../../src/index.js";
import { isSimdnet, key, record, reject, relErr } from "../harness/check.js";
import { CFG, message, type BenchContext } from "../harness/context.js";
import type { Impl, Workload } from "../harness/types.js";
import { concat, concat64 } from "../lib/arrays.js";
import { PlainMLP, type PlainMlpOptions } from "../lib/plain-mlp.js";
import { matmulRef } from "../lib/plain.js";
import { adamFirstStepRef, mlpStepRef } from "../lib/reference.js";
import { newWorkload } from "./common.js";
import { gemmTol } from "./gemm.js";
import { MLP_SIZES, trainBatchData } from "./mlp-train.js";

/** 2 × multiply-adds of one step's products: x·W and dW = xᵀ·dz per layer, dx = dz·Wᵀ except for layer 0. */
function trainStepFlops(batch: number): number {
  let f = 0;
  for (let l = 0; l + 1 < MLP_SIZES.length; l++) f += 2 * batch * MLP_SIZES[l]! * MLP_SIZES[l + 1]! * (l === 0 ? 2 : 3);
  return f;
}

/**
 * Tolerances against float64, |x − y| ≤ tol · max(|y|, 0.01 · max|y|) per tensor, 2–3× the worst
 * measured (B = 32 and 128, every build, plain JS, tutorial): loss ≤ 6.7e-8; gradients, which carry the
 * forward's and the backward's roundings, ≤ 1.9e-5 (plain JS; simdnet ≤ 1.2e-5); updated parameters
 * ≤ 4.9e-6 (the small ones, judged at the 1 % floor, move by lr·gradient error).
 */
export const TRAIN_TOL = { loss: 2e-7, params: 1e-5, grads: 5e-5 };
/**
 * The Adam step's parameters against adamFirstStepRef on the same gradients: only the update's own
 * float32 rounding is left (measured ≤ 2.8e-7 at B = 32 and 128, relaxed), so 1e-6.
 */
const ADAM_PARAMS_TOL = 1e-6;

type AddCheck = (impls: Impl[], verify: (impl: Impl) => string | undefined) => void;

interface TrainConfig {
  variant: "main" | "tutorial" | "default";
  name: string;
  make: () => sd.NeuralNetwork;
  learningRate: number;
  /** Every build, or simdnet best only. */
  everyBuild: boolean;
  /** The float32 plain-JS twin's and the float64 reference's options (SGD + MSE configurations only). */
  plain?: PlainMlpOptions & { timed: boolean; propagate: "pre" | "updated" };
  /** The default recipe: checked against the float64 cross-entropy step and a float64 Adam step. */
  adam?: { beta1: number; beta2: number; eps: number; weightDecay: number };
}

const CONFIGS: TrainConfig[] = [
  {
    variant: "main", name: "SGD + MSE, linear output", learningRate: 0.01, everyBuild: true,
    make: () => new sd.NeuralNetwork([...MLP_SIZES], { seed: 1, loss: "mse", optimizer: "sgd", outputActivation: "linear" }),
    plain: { outputActivation: "linear", loss: "mse", timed: true, propagate: "pre" },
  },
  {
    variant: "tutorial", name: "tutorial: SGD + mse-tutorial, ReLU output", learningRate: 0.01, everyBuild: false,
    make: () => sd.NeuralNetwork.tutorial([...MLP_SIZES], { seed: 1 }),
    // The tutorial preset propagates through the updated weights (propagate: "updated"; docs/MLP.md).
    plain: { outputActivation: "relu", loss: "mse-tutorial", timed: false, propagate: "updated" },
  },
  {
    variant: "default", name: "default recipe: Adam + cross-entropy", learningRate: 1e-3, everyBuild: false,
    make: () => new sd.NeuralNetwork([...MLP_SIZES], { seed: 1 }),
    // NeuralNetwork's defaults: Adam (β 0.9 / 0.999, eps 1e-8, no decay), linear output, cross-entropy.
    adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
  },
];

export function mlpStepWorkload(ctx: BenchContext, batch: number): Workload {
  const id = `MLP step B=${batch}`;
  const { x, y } = trainBatchData(batch, 500 + batch);
  const owned: { dispose(): void }[] = [];
  const checks: (() => Promise<Impl[]>)[] = [];
  const w = newWorkload(ctx, {
    id, kind: "train", flops: trainStepFlops(batch), perCall: batch, tol: TRAIN_TOL.params,
    rounds: 2 * CFG.rounds, budgetMs: CFG.budgetMs / 2, sampleMs: 50,
    dispose: () => owned.forEach((o) => o.dispose()),
  });
  /**
   * Each impl's first call (timed: slow calls get one sample per round), then `verify`, which records
   * its checks and returns why the impl failed, or undefined.
   */
  const addCheck: AddCheck = (impls, verify) => checks.push(async () => {
    const ok: Impl[] = [];
    for (const impl of impls) {
      let why: string | undefined;
      try {
        await impl.before?.();
        const t0 = performance.now();
        await impl.run();
        ctx.firstCall.set(key(w, impl), performance.now() - t0);
        why = verify(impl);
      } catch (e) {
        why = `failed: ${message(e)}`;
      }
      if (!why) ok.push(impl);
      else {
        reject(w, impl, `check failed: ${why}`);
        if (isSimdnet(impl.kind)) ctx.simdnetFailures.push(`${id}: ${impl.label}: ${why}`);
      }
    }
    return ok;
  });

  for (const cfg of CONFIGS) {
    const suffix = cfg.variant === "main" ? "" : ` · ${cfg.name}`;
    const nets = (cfg.everyBuild ? ctx.liveBuilds : [ctx.best]).map((b) => {
      sd.setBackend(b.backend);
      const net = cfg.make();
      const xb = sd.tensor(x, [batch, MLP_SIZES[0]!]);
      const yb = sd.tensor(y, [batch, MLP_SIZES[3]!]);
      owned.push(net, xb, yb);
      let lastLoss = NaN;
      // The losses allocate on the current backend, so each step makes its network's backend current.
      const impl: Impl = {
        label: `${b.label}${suffix}`, column: b.label, kind: b.kind, variant: cfg.variant,
        before: async () => sd.setBackend(b.backend),
        run: () => {
          sd.setBackend(b.backend);
          lastLoss = net.trainBatch(xb, yb, cfg.learningRate);
        },
      };
      w.impls.push(impl);
      // parameters() lists each layer's weights, then its bias.
      return { impl, loss: () => lastLoss, params: () => net.parameters().map((p) => p.value.toFloat32Array()), grads: () => net.parameters().map((p) => p.grad.toFloat32Array()) };
    });
    const initial = nets[0]!.params();
    const initW = initial.filter((_, i) => i % 2 === 0);
    const initB = initial.filter((_, i) => i % 2 === 1);
    let plainImpl: Impl | undefined;
    if (cfg.plain?.timed) {
      const plain = new PlainMLP(MLP_SIZES, initW, initB, cfg.plain);
      let lastLoss = NaN;
      plainImpl = { label: `plain JS (i-k-j)${suffix}`, column: "plain JS", kind: "js", variant: cfg.variant, run: () => void (lastLoss = plain.step(x, y, batch, cfg.learningRate)) };
      w.impls.push(plainImpl);
      nets.push({
        impl: plainImpl, loss: () => lastLoss,
        params: () => plain.weights.flatMap((wl, l) => [wl, plain.biases[l]!]),
        grads: () => plain.gradWeights.flatMap((g, l) => [g, plain.gradBiases[l]!]),
      });
    }
    const ref = mlpStepRef(MLP_SIZES, initW, initB, x, y, batch, cfg.learningRate, cfg.plain ?? { outputActivation: "linear", loss: "cross-entropy" });
    const against = cfg.adam ? "float64 cross-entropy step (mlpStepRef) + float64 Adam (adamFirstStepRef)" : "float64 step (mlpStepRef)";
    addCheck(nets.map((n) => n.impl), (impl) => {
      const n = nets.find((x) => x.impl === impl)!;
      const loss = n.loss();
      const params = n.params();
      const grads = n.grads();
      const adam = cfg.adam;
      const wantParams = adam
        ? initial.map((p0, i) => adamFirstStepRef(p0, grads[i]!, cfg.learningRate, adam))
        : ref.weights.flatMap((wl, l) => [wl, ref.biases[l]!]);
      const wantGrads = ref.gradWeights.flatMap((g, l) => [g, ref.gradBiases[l]!]);
      const lossOk = record(ctx, w, impl.label, "loss", Math.abs(loss - ref.loss) / Math.abs(ref.loss), TRAIN_TOL.loss, against, impl.kind);
      const gradOk = record(ctx, w, impl.label, "gradients", Math.max(...grads.map((g, i) => relErr(g, wantGrads[i]!))), TRAIN_TOL.grads, against, impl.kind);
      const paramOk = record(ctx, w, impl.label, "updated parameters", Math.max(...params.map((p, i) => relErr(p, wantParams[i]!))), adam ? ADAM_PARAMS_TOL : TRAIN_TOL.params, against, impl.kind);
      return lossOk && gradOk && paramOk ? undefined : "loss, gradients or parameters vs float64 (see checks)";
    });
  }
  addGemmsAlone(ctx, w, batch, owned, addCheck);
  addRestAlone(ctx, w, batch, owned, addCheck);
  w.check = async () => {
    // One after the other: each first call is timed alone.
    const ok: Impl[] = [];
    for (const c of checks) ok.push(...(await c()));
    return ok;
  };
  return w;
}

/** The step's eight products at their exact shapes and transposes, and nothing else, on every build. */
function addGemmsAlone(
  ctx: BenchContext, w: Workload, batch: number, owned: { dispose(): void }[], addCheck: AddCheck,
): void {
  const layers = MLP_SIZES.length - 1;
  const data = Array.from({ length: layers }, (_, l) => ({
    x: ctx.randn([batch, MLP_SIZES[l]!], 600 + 3 * l),
    w: ctx.randn([MLP_SIZES[l]!, MLP_SIZES[l + 1]!], 601 + 3 * l),
    dz: ctx.randn([batch, MLP_SIZES[l + 1]!], 602 + 3 * l),
  }));
  const reference = (): Float64Array => concat64(data.flatMap(({ x, w: wl, dz }, l) => {
    const [k, n] = [MLP_SIZES[l]!, MLP_SIZES[l + 1]!];
    const outs = [matmulRef(x, wl, batch, k, n), matmulRef(x, dz, k, batch, n, true)];
    if (l > 0) outs.push(matmulRef(dz, wl, batch, n, k, false, true));
    return outs;
  }));
  const impls = ctx.liveBuilds.map((b) => {
    sd.setBackend(b.backend);
    const calls: (() => void)[] = [];
    const outs: sd.Tensor[] = [];
    data.forEach(({ x, w: wl, dz }, l) => {
      const [k, n] = [MLP_SIZES[l]!, MLP_SIZES[l + 1]!];
      const [X, W, DZ, Z, GW] = [sd.tensor(x, [batch, k]), sd.tensor(wl, [k, n]), sd.tensor(dz, [batch, n]), sd.zeros([batch, n]), sd.zeros([k, n])];
      owned.push(X, W, DZ, Z, GW);
      outs.push(Z, GW);
      calls.push(() => void sd.matmul(X, W, { out: Z }), () => void sd.matmul(X, DZ, { transposeA: true, out: GW }));
      if (l > 0) {
        const DX = sd.zeros([batch, k]);
        owned.push(DX);
        outs.push(DX);
        calls.push(() => void sd.matmul(DZ, W, { transposeB: true, out: DX }));
      }
    });
    const impl: Impl = {
      label: `${b.label} · its 8 GEMMs alone`, column: b.label, kind: b.kind, variant: "gemms",
      before: async () => sd.setBackend(b.backend),
      run: () => calls.forEach((c) => c()),
    };
    w.impls.push(impl);
    return { impl, result: () => concat(outs.map((t) => t.toFloat32Array())) };
  });
  let want: Float64Array | undefined;
  addCheck(impls.map((x) => x.impl), (impl) => {
    want ??= reference();
    const err = relErr(impls.find((x) => x.impl === impl)!.result(), want);
    // Products of k ≤ 784 terms: the GEMM tolerance at k = 784.
    const tol = gemmTol(784);
    return record(ctx, w, impl.label, "the 8 products", err, tol, "float64 (matmulRef)", impl.kind) ? undefined : `products: max rel err ${err.toExponential(2)} > ${tol.toExponential(2)}`;
  });
}

/**
 * Everything else a main-configuration step runs, through the same public ops on tensors of the step's
 * shapes, without the GEMMs and without trainBatch's own bookkeeping: per layer the fused bias +
 * activation, Σ-rows of dz, ReLU backward (hidden layers), Σ g² of both parameters and their SGD update;
 * the MSE loss and its gradient once. 22 kernel calls. Not checked (its ops are checked by the step).
 */
function addRestAlone(
  ctx: BenchContext, w: Workload, batch: number, owned: { dispose(): void }[], addCheck: AddCheck,
): void {
  const layers = MLP_SIZES.length - 1;
  const impls = ctx.liveBuilds.map((b) => {
    const calls: (() => void)[] = [];
    const t = (shape: number[], seed: number, scale = 1): sd.Tensor => {
      const data = ctx.randn(shape, seed, scale);
      sd.setBackend(b.backend); // randn switches to the SIMD backend
      const x = sd.tensor(data, shape);
      owned.push(x);
      return x;
    };
    sd.setBackend(b.backend);
    const y = sd.tensor(trainBatchData(batch, 700).y, [batch, MLP_SIZES[layers]!]);
    owned.push(y);
    let out: sd.Tensor | undefined;
    for (let l = 0; l < layers; l++) {
      const [k, n] = [MLP_SIZES[l]!, MLP_SIZES[l + 1]!];
      const relu = l < layers - 1;
      const [z, bias, a, dy, dz] = [t([batch, n], 710 + l), t([1, n], 720 + l, 0.1), t([batch, n], 730 + l), t([batch, n], 740 + l, 0.01), t([batch, n], 750 + l)];
      const [wl, gw, gb] = [t([k, n], 760 + l, 0.05), t([k, n], 770 + l, 0.01), t([1, n], 780 + l, 0.01)];
      out = a;
      calls.push(() => void sd.addBias(z, bias, { activation: relu ? "relu" : "linear", out: a }));
      calls.push(() => {
        if (relu) sd.activationBackward("relu", a, dy, { out: dz });
        sd.sumRows(relu ? dz : dy, { out: gb });
      });
      calls.push(() => {
        sd.sumSquares(gw);
        sd.sumSquares(gb);
        sd.sgdStep(wl, gw, 1e-6);
        sd.sgdStep(bias, gb, 1e-6);
      });
    }
    const grad = t([batch, MLP_SIZES[layers]!], 790);
    const last = out!;
    const scale = 2 / last.size;
    calls.push(() => {
      sd.mse(last, y);
      sd.mseBackward(last, y, scale, { out: grad });
    });
    const impl: Impl = {
      label: `${b.label} · the rest alone (22 kernel calls)`, column: b.label, kind: b.kind, variant: "rest",
      before: async () => sd.setBackend(b.backend),
      run: () => calls.forEach((c) => c()),
    };
    w.impls.push(impl);
    return impl;
  });
  addCheck(impls, () => undefined);
}
