// The transformer: the tutorial's parts (tokens, W_E, positions, attention, W_U, softmax with
// temperature, sampling) and a GPT built from them that trains and generates.
export { Tokenizer, type TokenizerKind, type TokenizerJSON, type EncodeOptions, type CharacterTokenizerOptions, type WordTokenizerOptions } from "./tokenizer.js";
export { probabilities, samplingDistribution, sampleToken, argmax as argmaxToken, type SamplingOptions } from "./sampling.js";
// The tutorial's name for the fixed position vectors.
export { sinusoidalPositions as positionalEncoding } from "../ops/positional.js";
export { SelfAttention, MultiHeadAttention, type AttentionLayerOptions, type HeadWeights, type KvCache } from "./attention.js";
export { FeedForward } from "./mlp.js";
export { Block } from "./block.js";
export { GPT, type GptConfig } from "./gpt.js";
export { GptTrainer, decaysWeight, type GptTrainOptions, type GptStepStats } from "./train.js";
export { generate, generateStream, type GenerateOptions, type Generation } from "./generate.js";
export {
  saveCheckpoint, loadCheckpoint, GPT_FORMAT, GPT_CHECKPOINT_LIMITS, GPT_CHECKPOINT_DEFAULT_MAX_BYTES,
  type CheckpointInfo, type LoadedCheckpoint, type CheckpointLoadOptions, type GptCheckpointLimits,
} from "./checkpoint.js";
export { attentionMaps, type AttentionMaps } from "./attention-maps.js";
export { Embedding, Unembedding } from "./embedding.js";
export { TutorialMultiHeadAttention, type TutorialAttentionOptions, type SliceHeadWeights } from "./tutorial-attention.js";
