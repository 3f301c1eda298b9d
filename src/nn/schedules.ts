// Learning-rate schedules, as functions of the 1-based epoch (for TrainOptions.learningRateAt).

/** Cosine decay from `base` at epoch 1 toward `floor` after the last epoch. */
export function cosineDecay(base: number, epochs: number, floor = 0): (epoch: number) => number {
  return (epoch) => floor + (base - floor) * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / Math.max(epochs, 1)));
}
