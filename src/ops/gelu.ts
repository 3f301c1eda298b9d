// GELU lives with the other activations (activations.ts); re-exported here for the imports that found it here.
export { gelu, geluBackward } from "./activations.js";
