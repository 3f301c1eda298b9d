// The transformer Worker: trains the char-level GPT on the shipped text (the train-gpt job the CLI
// runs), or loads a train-gpt checkpoint, then generates text token by token and computes attention
// maps. The model lives here; the page gets loss points, text pieces and attention weights.
//
// Messages in:  { type: "train", config } | { type: "stop" } | { type: "load", bytes }
//               | { type: "generate", prompt, maxNewTokens, temperature, topK, topP, seed } | { type: "maps", text }
// Messages out: { type: "ready" } | { type: "step", … } | { type: "eval", … } | { type: "model", … }
//               | { type: "trained", … } | { type: "piece", piece } | { type: "generated", text }
//               | { type: "maps", tokens, weights } | { type: "error", message }

import {
  DEFAULT_GPT_TRAINING, EMBEDDED_TEXT_NAME, Tokenizer, attentionMaps, generateStream, init, loadCheckpoint, loadEmbeddedCorpus, trainGpt,
} from "simdnet";

const STEP_POST_MS = 50;
let current = null; // { model, tokenizer, bytes, origin }
let controller = null;

const ready = (async () => {
  await init();
  const text = await loadEmbeddedCorpus();
  postMessage({ type: "ready", characters: text.length });
  return text;
})();
ready.catch(fail);

function fail(error) {
  postMessage({ type: "error", message: String(error?.message ?? error) });
}

function replace(next) {
  current?.model.dispose();
  current = next;
  const c = next.model.config;
  postMessage({ type: "model", origin: next.origin, bytes: next.bytes?.slice(), layers: c.layers, heads: c.heads, dModel: c.dModel, context: c.contextLength, vocab: next.tokenizer.vocabSize });
}

async function train(asked) {
  const text = await ready;
  const config = { ...DEFAULT_GPT_TRAINING, ...asked };
  controller = new AbortController();
  let lastPost = 0;
  let bytes = null;
  try {
    const result = await trainGpt(config, {
      text,
      textName: EMBEDDED_TEXT_NAME,
      signal: controller.signal,
      onStep: (s) => {
        const now = performance.now();
        if (now - lastPost >= STEP_POST_MS || s.step === config.steps) {
          lastPost = now;
          postMessage({ type: "step", step: s.step, steps: config.steps, loss: s.loss });
        }
      },
      onEval: (e) => postMessage({ type: "eval", ...e }),
      onCheckpoint: (b, info) => {
        if (info.final || controller.signal.aborted) bytes = b;
      },
    });
    replace({ model: result.model, tokenizer: result.tokenizer, bytes, origin: `trained here (${result.step} steps)` });
    postMessage({ type: "trained", step: result.step, stopped: result.stopped, seconds: result.seconds, evalLoss: result.finalEvalLoss, tokensPerSecond: result.tokensPerSecond });
  } finally {
    controller = null;
  }
}

async function generateText(m) {
  if (!current) throw new Error("no model yet: train one or load a checkpoint");
  const options = { maxNewTokens: m.maxNewTokens, temperature: m.temperature, topK: m.topK || undefined, topP: m.topP, seed: m.seed };
  const stream = generateStream(current.model, current.tokenizer, m.prompt, options);
  let text = m.prompt;
  for await (const piece of stream) {
    text += piece;
    postMessage({ type: "piece", piece });
  }
  postMessage({ type: "generated", text });
}

/** Attention maps over the last context-length tokens of the text (the window the model can see). */
function maps(text) {
  if (!current) throw new Error("no model yet");
  const ids = current.tokenizer.encode(text);
  const window = ids.slice(Math.max(0, ids.length - current.model.config.contextLength));
  const { tokens, weights } = attentionMaps(current.model, current.tokenizer, current.tokenizer.decode(window));
  postMessage({ type: "maps", tokens, weights }, weights.flat().map((w) => w.buffer));
}

onmessage = ({ data: m }) => {
  const guard = (promise) => Promise.resolve().then(promise).catch(fail);
  if (m.type === "stop") return controller?.abort();
  if (controller) return fail(new Error("training is running: stop it first"));
  if (m.type === "train") guard(() => train(m.config));
  else if (m.type === "load") {
    guard(async () => {
      await ready;
      const loaded = loadCheckpoint(m.bytes);
      replace({ model: loaded.model, tokenizer: Tokenizer.fromJSON(loaded.tokenizer), bytes: m.bytes, origin: `${m.name} (step ${loaded.step})` });
    });
  } else if (m.type === "generate") guard(() => generateText(m));
  else if (m.type === "maps") guard(() => maps(m.text));
};
