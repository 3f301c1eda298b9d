export { matmul, type MatmulOptions } from "./matmul.js";
export { add, sub, mul, scale, type OutOption } from "./elementwise.js";
export { relu, sigmoid, tanh, exp, reluBackward, sigmoidBackward, tanhBackward } from "./activations.js";
export { dot, sum, sumRows } from "./reduce.js";
export { softmax, logSoftmax, type SoftmaxOptions } from "./softmax.js";
export { attention, attentionScores, type AttentionOptions } from "./attention.js";
export { addBias, activationBackward, checkActivation, ACTIVATIONS, type Activation } from "./dense.js";
export { mse, mseBackward, softmaxCrossEntropy, argmaxRows, type CrossEntropyOptions } from "./loss.js";
export { sgdStep, momentumStep, adamStep, sumSquares, allFinite, type AdamHyper } from "./optim.js";
