// Training jobs: whole runs (resume, checkpoints, evaluation, progress) as functions that run
// unchanged in Node and in a browser Worker. Above transformer/, below cli/.
export { type CheckpointSink, type SavedCheckpointInfo, type JobHooks } from "./hooks.js";
export {
  trainMlp, DEFAULT_MLP_TRAINING, TUTORIAL_MLP_TRAINING,
  type MlpJobData, type MlpJobOptions, type MlpJobResult, type MlpBatchProgress,
} from "./mlp-job.js";
export { saveMlpCheckpoint, loadMlpCheckpoint, readMlpCheckpointSummary, type MlpTrainingConfig, type MlpPosition, type MlpCheckpointState, type LoadedMlpCheckpoint } from "./mlp-checkpoint.js";
export {
  trainGpt, readGptCheckpointSummary, promptFromText, DEFAULT_GPT_TRAINING, EMBEDDED_TEXT_NAME,
  type GptTrainingConfig, type GptJobOptions, type GptJobResult, type GptCheckpointSummary,
} from "./gpt-job.js";
export { optimizerStateTensors, restoreOptimizerState } from "./optimizer-state.js";
