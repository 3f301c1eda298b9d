// The parts of an MLP training step timed alone, to show where a step's time goes: its eight matrix
// products at their exact shapes and transposes, and everything else it runs (bias + activation,
// ReLU backward, Σ-rows, Σ g², SGD updates, the MSE loss and its gradient) through the same public ops.

import * as sd from "../../src/index.js";
import { concat } from "../lib/arrays.js";
import { onBackend, type KernelContext } from "./context.js";
import { MLP_SIZES, trainBatchData } from "./mlp-config.js";
import type { Impl } from "./types.js";

/**
 * The eight matrix products of one step at its exact shapes and transposes, and nothing else, as one
 * impl per backend (their outputs are checked SIMD against scalar by checkWorkload).
 */
export function trainGemmsParts(ctx: KernelContext, batch: number): { impls: Impl[]; dispose: () => void } {
  const tensors: sd.Tensor[] = [];
  const layers = MLP_SIZES.length - 1;
  const data = Array.from({ length: layers }, (_, l) => ({
    x: ctx.randnData([batch, MLP_SIZES[l]!], 600 + 3 * l),
    w: ctx.randnData([MLP_SIZES[l]!, MLP_SIZES[l + 1]!], 601 + 3 * l),
    dz: ctx.randnData([batch, MLP_SIZES[l + 1]!], 602 + 3 * l),
  }));
  const impls: Impl[] = ctx.backends.map(({ impl, backend }) =>
    onBackend(backend, () => {
      const calls: (() => void)[] = [];
      const outs: sd.Tensor[] = [];
      data.forEach(({ x, w, dz }, l) => {
        const [k, n] = [MLP_SIZES[l]!, MLP_SIZES[l + 1]!];
        const X = sd.tensor(x, [batch, k]);
        const W = sd.tensor(w, [k, n]);
        const DZ = sd.tensor(dz, [batch, n]);
        const Z = sd.zeros([batch, n]);
        const GW = sd.zeros([k, n]);
        tensors.push(X, W, DZ, Z, GW);
        outs.push(Z, GW);
        calls.push(() => void sd.matmul(X, W, { out: Z }));
        calls.push(() => void sd.matmul(X, DZ, { transposeA: true, out: GW }));
        if (l > 0) {
          const DX = sd.zeros([batch, k]);
          tensors.push(DX);
          outs.push(DX);
          calls.push(() => void sd.matmul(DZ, W, { transposeB: true, out: DX }));
        }
      });
      const result = (): Float32Array => concat(outs.map((t) => t.toFloat32Array()));
      const run = (): void => {
        for (const c of calls) c();
      };
      return { impl, label: `${impl} · its 8 GEMMs alone`, variant: "gemms" as const, run, result };
    }),
  );
  return { impls, dispose: () => tensors.forEach((t) => t.dispose()) };
}

/**
 * Everything else a main-configuration step runs, through the same public ops on tensors of the
 * step's shapes, without the GEMMs and without trainBatch's own bookkeeping: per layer the fused
 * bias + activation, Σ-rows of dz, ReLU backward (hidden layers), Σ g² of both parameters and their
 * SGD update; the MSE loss and its gradient once. 22 kernel calls.
 */
export function trainRestParts(ctx: KernelContext, batch: number): { impls: Impl[]; dispose: () => void } {
  const tensors: sd.Tensor[] = [];
  const layers = MLP_SIZES.length - 1;
  const impls: Impl[] = ctx.backends.map(({ impl, backend }) =>
    onBackend(backend, () => {
      const calls: (() => void)[] = [];
      const t = (shape: number[], seed: number, scale = 1): sd.Tensor => {
        const data = ctx.randnData(shape, seed).map((v) => scale * v);
        sd.setBackend(backend); // randnData switches to the SIMD backend
        const x = sd.tensor(data, shape);
        tensors.push(x);
        return x;
      };
      const acts: sd.Tensor[] = [];
      const y = sd.tensor(trainBatchData(batch, 700).y, [batch, MLP_SIZES[layers]!]);
      tensors.push(y);
      for (let l = 0; l < layers; l++) {
        const [k, n] = [MLP_SIZES[l]!, MLP_SIZES[l + 1]!];
        const relu = l < layers - 1;
        const z = t([batch, n], 710 + l);
        const bias = t([1, n], 720 + l, 0.1);
        const a = t([batch, n], 730 + l);
        const dy = t([batch, n], 740 + l, 0.01);
        const dz = t([batch, n], 750 + l);
        const w = t([k, n], 760 + l, 0.05);
        const gw = t([k, n], 770 + l, 0.01);
        const gb = t([1, n], 780 + l, 0.01);
        acts.push(a);
        calls.push(() => void sd.addBias(z, bias, { activation: relu ? "relu" : "linear", out: a }));
        calls.push(() => {
          if (relu) sd.activationBackward("relu", a, dy, { out: dz });
          sd.sumRows(relu ? dz : dy, { out: gb });
        });
        calls.push(() => {
          sd.sumSquares(gw);
          sd.sumSquares(gb);
          sd.sgdStep(w, gw, 1e-6);
          sd.sgdStep(bias, gb, 1e-6);
        });
      }
      const out = acts[layers - 1]!;
      const grad = t([batch, MLP_SIZES[layers]!], 790);
      const scale = 2 / out.size;
      calls.push(() => {
        sd.mse(out, y);
        sd.mseBackward(out, y, scale, { out: grad });
      });
      const run = (): void => {
        for (const c of calls) c();
      };
      return { impl, label: `${impl} · the rest alone (22 kernel calls)`, variant: "rest" as const, run };
    }),
  );
  return { impls, dispose: () => tensors.forEach((x) => x.dispose()) };
}
