// Learning-rate schedules: the one place both trainers take their rates from. Trainer (MLPs) takes
// a function of the 1-based epoch (TrainOptions.learningRateAt, e.g. cosineDecay); GptTrainer takes
// warmupCosine of the 1-based step. Both decay along the same half cosine.

/** low + (high − low)·½(1 + cos(angle)): `high` at angle 0, `low` at angle π. */
function halfCosine(low: number, high: number, angle: number): number {
  return low + (high - low) * 0.5 * (1 + Math.cos(angle));
}

/** Cosine decay from `base` at epoch 1 toward `floor` after the last epoch. */
export function cosineDecay(base: number, epochs: number, floor = 0): (epoch: number) => number {
  return (epoch) => halfCosine(floor, base, (Math.PI * (epoch - 1)) / Math.max(epochs, 1));
}

export interface WarmupCosineOptions {
  /** Peak rate, reached at the end of the warm-up. */
  max: number;
  /** Floor of the decay, reached at totalSteps and kept after it. */
  min: number;
  warmupSteps: number;
  totalSteps: number;
}

/**
 * Linear warm-up from 0 to `max` over steps 1..warmupSteps (rate max·step/warmupSteps), then cosine
 * decay from `max` to `min` over the remaining steps up to totalSteps, then `min`.
 */
export function warmupCosine(options: WarmupCosineOptions): (step: number) => number {
  const { max, min, warmupSteps, totalSteps } = options;
  return (step) => {
    if (step <= warmupSteps) return (max * step) / Math.max(warmupSteps, 1);
    const progress = Math.min(1, (step - warmupSteps) / Math.max(totalSteps - warmupSteps, 1));
    return halfCosine(min, max, Math.PI * progress);
  };
}
