// The MNIST training Worker: runs the library's train-mlp job (the same one `simdnet train-mlp`
// runs) off the page's main thread, so drawing and the stop button stay responsive. It posts the
// loss as it goes, each epoch's held-out accuracy, and each checkpoint's bytes (a safetensors file
// NeuralNetwork.load reads), which the page uses for its live predictions and its download link.
//
// Messages in:  { type: "train", config }  |  { type: "stop" }
// Messages out: { type: "ready", info } | { type: "batch", … } | { type: "epoch", stats }
//               | { type: "model", bytes, step, final } | { type: "done", … } | { type: "error", message }

import { DEFAULT_MLP_TRAINING, TUTORIAL_MLP_TRAINING, backendInfo, init, loadEmbeddedMnist, trainMlp } from "simdnet";

/** How often the loss curve gets a point: posting every step would flood the page for nothing. */
const BATCH_POST_MS = 50;

let controller = null;
const ready = (async () => {
  await init();
  const data = await loadEmbeddedMnist({ seed: 0 });
  postMessage({ type: "ready", info: { ...backendInfo() }, trainCount: data.train.count, testCount: data.test.count });
  return data;
})();
ready.catch((error) => postMessage({ type: "error", message: String(error?.message ?? error) }));

async function train(asked) {
  const { train: trainSet, test } = await ready;
  const base = asked.preset === "tutorial" ? TUTORIAL_MLP_TRAINING : DEFAULT_MLP_TRAINING;
  const config = { ...base, ...asked };
  controller = new AbortController();
  let lastPost = 0;
  try {
    const result = await trainMlp(config, { train: trainSet, test, name: "mnist (embedded)" }, {
      signal: controller.signal,
      onBatch: (p) => {
        const now = performance.now();
        if (now - lastPost >= BATCH_POST_MS || p.batch === p.batches) {
          lastPost = now;
          postMessage({ type: "batch", ...p });
        }
      },
      onEpoch: (stats) => postMessage({ type: "epoch", stats }),
      onCheckpoint: (bytes, info) => postMessage({ type: "model", bytes, ...info }, [bytes.buffer]),
    });
    postMessage({ type: "done", testAccuracy: result.testAccuracy, testLoss: result.testLoss, stopped: result.stopped, seconds: result.seconds, step: result.step });
    result.net.dispose();
  } finally {
    controller = null;
  }
}

onmessage = (event) => {
  const message = event.data;
  if (message.type === "train") {
    if (controller) return postMessage({ type: "error", message: "training is already running" });
    train(message.config).catch((error) => postMessage({ type: "error", message: String(error?.message ?? error) }));
  } else if (message.type === "stop") {
    controller?.abort();
  }
};
