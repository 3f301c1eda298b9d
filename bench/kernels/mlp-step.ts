// The MLP training-step workload: one per batch size, every variant interleaved round by round (so
// that load drifting over the run affects all of them alike). Each configuration of mlp-config.ts
// contributes its networks on its backends and its plain-JS twin, checked before timing against that
// twin from the same initial weights (loss, gradients, updated parameters); mlp-parts.ts adds the
// step's GEMMs alone and its other kernels alone.

import * as sd from "../../src/index.js";
import { PlainMLP } from "../lib/plain-mlp.js";
import { checkRecorder, relError } from "./check.js";
import { onBackend, type KernelContext } from "./context.js";
import { MLP_SIZES, TRAIN_CONFIGS, TRAIN_ROUNDS, TRAIN_TOL, trainBatchData, trainStepFlops, type TrainConfig } from "./mlp-config.js";
import { trainGemmsParts, trainRestParts } from "./mlp-parts.js";
import type { Impl, Workload } from "./types.js";

/** The networks of one configuration on its backends, its plain-JS twin, their impls and their check. */
function trainConfigParts(ctx: KernelContext, cfg: TrainConfig, batch: number, x: Float32Array, y: Float32Array, id: string) {
  const lr = cfg.learningRate;
  const nets: { impl: "simd" | "scalar"; backend: sd.Backend; net: sd.NeuralNetwork; xb: sd.Tensor; yb: sd.Tensor }[] = [];
  for (const { impl, backend } of ctx.backends) {
    if (!cfg.impls.includes(impl)) continue;
    onBackend(backend, () => {
      nets.push({ impl, backend, net: cfg.make(), xb: sd.tensor(x, [batch, MLP_SIZES[0]!]), yb: sd.tensor(y, [batch, MLP_SIZES[3]!]) });
    });
  }
  // The network's backend is made current before each step: the losses allocate their gradient
  // buffer on the current backend (getBackend() in src/nn/losses.ts), not on the network's, so a
  // scalar network stepped while the SIMD backend is current throws ("out lives on a different backend").
  const step = (n: (typeof nets)[number]): number => {
    sd.setBackend(n.backend);
    return n.net.trainBatch(n.xb, n.yb, lr);
  };
  // The plain-JS twin starts from the SIMD network's initial weights (the reference of every check).
  const first = nets[0]!.net;
  const plain = cfg.plain
    ? new PlainMLP(MLP_SIZES, first.layers.map((l) => l.weights.toFloat32Array()), first.layers.map((l) => l.bias.toFloat32Array()), cfg.plain)
    : undefined;
  const suffix = cfg.variant === "main" ? "" : ` · ${cfg.name}`;
  const impls: Impl[] = nets.map((n) => ({ impl: n.impl, label: `${n.impl}${suffix}`, variant: cfg.variant, run: () => void step(n) }));
  if (plain && cfg.impls.includes("js")) {
    impls.push({ impl: "js", label: `plain JS (i-k-j)${suffix}`, variant: cfg.variant, run: () => void plain.step(x, y, batch, lr) });
  }

  const check = (): boolean => {
    const { record, ok } = checkRecorder(ctx, id, suffix);
    // Every network must start from the same weights as the plain-JS twin.
    const initial = first.parameters().map((p) => p.value.toFloat32Array());
    const wantLoss = plain?.step(x, y, batch, lr);
    for (const n of nets) {
      const params = n.net.parameters();
      const start = Math.max(...params.map((p, i) => relError(p.value.toFloat32Array(), initial[i]!)));
      record(n.impl, "initial parameters", "simd network", start, 0);
      const loss = step(n);
      if (!plain || wantLoss === undefined) {
        // No plain-JS twin (Adam): the step must at least give a finite loss and finite parameters.
        const finite = Number.isFinite(loss) && params.every((p) => sd.allFinite(p.value));
        record(n.impl, "loss and parameters finite", "—", finite ? 0 : Infinity, 0);
        continue;
      }
      record(n.impl, "loss", "plain JS", Math.abs(loss - wantLoss) / Math.abs(wantLoss), TRAIN_TOL.loss);
      let gradErr = 0;
      let paramErr = 0;
      params.forEach((p, i) => {
        // parameters() lists each layer's weights, then its bias.
        const layer = i >> 1;
        const isBias = (i & 1) === 1;
        gradErr = Math.max(gradErr, relError(p.grad.toFloat32Array(), isBias ? plain.gradBiases[layer]! : plain.gradWeights[layer]!));
        paramErr = Math.max(paramErr, relError(p.value.toFloat32Array(), isBias ? plain.biases[layer]! : plain.weights[layer]!));
      });
      record(n.impl, "gradients", "plain JS", gradErr, TRAIN_TOL.grads);
      record(n.impl, "updated parameters", "plain JS", paramErr, TRAIN_TOL.params);
    }
    return ok();
  };

  const dispose = (): void => {
    // Long timing loops must not have driven the weights to Inf/NaN (that would time NaN arithmetic).
    const bad: string[] = nets.filter(({ net }) => !net.parameters().every((p) => sd.allFinite(p.value))).map((n) => n.impl);
    if (plain && !plain.weights.every((w) => w.every(Number.isFinite))) bad.push("js");
    if (bad.length) ctx.notes.push(`${id} (${cfg.name}): parameters not finite after timing (${bad.join(", ")})`);
    for (const { net, xb, yb } of nets) {
      net.dispose();
      xb.dispose();
      yb.dispose();
    }
  };
  return { impls, check, dispose };
}

/**
 * One workload per batch size: the main configuration on SIMD, scalar and plain JS, the tutorial's
 * and the default recipe's steps on SIMD, and the step's GEMMs alone and the rest alone on both backends.
 */
export function trainWorkload(ctx: KernelContext, batch: number): Workload {
  const id = `train step B=${batch}`;
  const { x, y } = trainBatchData(batch, 500 + batch);
  const parts = TRAIN_CONFIGS.map((cfg) => trainConfigParts(ctx, cfg, batch, x, y, id));
  const gemms = trainGemmsParts(ctx, batch);
  const rest = trainRestParts(ctx, batch);
  return {
    id, group: "train", flops: trainStepFlops(batch), batch, tol: 1e-4, ...TRAIN_ROUNDS,
    impls: [...parts.flatMap((p) => p.impls), ...gemms.impls, ...rest.impls],
    check: () => parts.map((p) => p.check()).every(Boolean),
    dispose: () => {
      parts.forEach((p) => p.dispose());
      gemms.dispose();
      rest.dispose();
    },
  };
}
