// gradCheck: every parameter's analytic gradient (from backward) against central finite
// differences of the loss value, (L(w + ε) − L(w − ε)) / 2ε, one coordinate at a time.
// Everything runs in float32, so the comparison uses a relative error with a floor: coordinates
// whose gradients are tiny compare on the absolute scale `floor` instead.

import type { Tensor } from "../runtime/tensor.js";
import { Random } from "../runtime/random.js";
import type { Loss } from "./losses.js";
import type { Layer } from "./module.js";

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-2: float32 losses carry ~1e-7 relative noise, which a smaller step would amplify). */
  epsilon?: number;
  /** Coordinates checked per parameter, chosen at random (default 24; all if fewer). */
  samplesPerParameter?: number;
  /** Also check d(loss)/d(input) (default false). */
  checkInput?: boolean;
  /** Gradients smaller than this are compared absolutely (default 1e-3). */
  floor?: number;
  seed?: number;
}

export interface GradCheckEntry {
  name: string;
  checked: number;
  /** max |analytic − numeric| / max(|analytic|, |numeric|, floor) */
  maxRelativeError: number;
  worst: { index: number; analytic: number; numeric: number };
}

export interface GradCheckResult {
  maxRelativeError: number;
  entries: GradCheckEntry[];
}

export interface Checkable {
  layer: Layer;
  loss: Loss;
}

/** A model to check: a layer with its loss, or anything exposing one (NeuralNetwork). */
export function gradCheck(target: Checkable | { checkable: Checkable }, x: Tensor, y: Tensor, options: GradCheckOptions = {}): GradCheckResult {
  const model = "checkable" in target ? target.checkable : target;
  const { epsilon = 1e-2, samplesPerParameter = 24, checkInput = false, floor = 1e-3 } = options;
  const rng = new Random(options.seed ?? 0);
  const { layer, loss } = model;
  const lossAt = (): number => loss.forward(layer.forward(x), y);

  lossAt();
  const dx = layer.backward(loss.backward(), checkInput);
  const targets: { name: string; value: Tensor; analytic: Float32Array }[] = layer
    .parameters()
    .map((p) => ({ name: p.name, value: p.value, analytic: p.grad.toFloat32Array() }));
  if (checkInput && dx) targets.push({ name: "input", value: x, analytic: dx.toFloat32Array() });

  const entries: GradCheckEntry[] = [];
  for (const { name, value, analytic } of targets) {
    const indices = pick(value.size, samplesPerParameter, rng);
    let worst = { index: -1, analytic: 0, numeric: 0 };
    let maxErr = 0;
    for (const i of indices) {
      const original = value.view()[i]!;
      value.view()[i] = original + epsilon;
      const plus = lossAt();
      value.view()[i] = original - epsilon;
      const minus = lossAt();
      value.view()[i] = original;
      // Divide by the step actually taken in float32, not the nominal one.
      const step = Math.fround(original + epsilon) - Math.fround(original - epsilon);
      const numeric = (plus - minus) / step;
      const a = analytic[i]!;
      const err = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), floor);
      if (err > maxErr || worst.index < 0) {
        maxErr = Math.max(maxErr, err);
        worst = { index: i, analytic: a, numeric };
      }
    }
    entries.push({ name, checked: indices.length, maxRelativeError: maxErr, worst });
  }
  lossAt(); // leave the layer's saved state consistent with the unperturbed parameters
  return { maxRelativeError: Math.max(0, ...entries.map((e) => e.maxRelativeError)), entries };
}

function pick(size: number, count: number, rng: Random): number[] {
  if (size <= count) return Array.from({ length: size }, (_, i) => i);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(rng.int(size));
  return [...chosen];
}
