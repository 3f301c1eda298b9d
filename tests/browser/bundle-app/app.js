// A tiny app as a user writes it: `import … from "simdnet"` and nothing else. bundle.mjs builds it
// with esbuild and with Vite (no flags, no plugins, no files copied) and runs the output in Chromium.
import { backendInfo, init, loadEmbeddedCorpus, loadEmbeddedMnist, matmul, memory, tensor, tidy } from "simdnet";

// No top-level await: esbuild's default output format (iife) does not allow it.
async function main() {
  const out = {};
  try {
    out.info = { ...(await init()) };
    out.product = tidy(() => matmul(tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]])).toArray());
    out.build = backendInfo().build;
    try {
      const { train, test } = await loadEmbeddedMnist({ trainSize: 9000 });
      out.mnist = { train: train.count, test: test.count, firstLabel: train.labels[0], pixelSum: train.images.subarray(0, 784).reduce((s, v) => s + v, 0) };
    } catch (error) {
      out.mnistError = `${error.name}: ${error.message}`;
    }
    try {
      const text = await loadEmbeddedCorpus();
      out.corpus = { length: text.length, start: text.slice(0, 40) };
    } catch (error) {
      out.corpusError = `${error.name}: ${error.message}`;
    }
    out.tensorsLeft = memory().numTensors;
  } catch (error) {
    out.error = String(error && error.stack ? error.stack : error);
  }
  return out;
}

main().then((out) => { globalThis.__result = out; });
