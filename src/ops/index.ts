export { matmul, type MatmulOptions } from "./matmul.js";
export { add, sub, mul, scale, type OutOption } from "./elementwise.js";
export {
  relu, sigmoid, tanh, exp, gelu, reluBackward, sigmoidBackward, tanhBackward, geluBackward,
  addBias, activationBackward, checkActivation, ACTIVATIONS, type Activation,
} from "./activations.js";
export { dot, sum, sumRows, argmaxRows } from "./reduce.js";
export { softmax, logSoftmax, softmaxBackward, type SoftmaxOptions } from "./softmax.js";
export { attention, attentionScores, qkvAttention, qkvAttentionScores, type AttentionOptions, type QkvAttentionOptions } from "./attention.js";
export { cachedAttention, type CachedAttentionOptions } from "./attention-cache.js";
export { linear, type LinearOptions } from "./dense.js";
export { mse, mseBackward, softmaxCrossEntropy, softmaxCrossEntropyIndex, type CrossEntropyOptions } from "./loss.js";
export { sgdStep, momentumStep, adamStep, sumSquares, allFinite, type AdamHyper } from "./optim.js";
export { splitHeads, mergeHeads, type HeadsOptions } from "./layout.js";
export { addPositions, sumPositions, sinusoidalPositions } from "./positional.js";
export { layerNorm, layerNormBackward, type LayerNormOptions, type LayerNormStats, type LayerNormGrads } from "./norm.js";
export { embedding, embeddingBackward, type TokenIds } from "./embedding.js";
export {
  attentionBackward, qkvAttentionBackward, type AttentionBackwardOptions, type AttentionGrads, type QkvAttentionBackwardOptions,
} from "./attention-backward.js";
