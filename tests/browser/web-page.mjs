#!/usr/bin/env node
// The page (`npm run web`) in headless Chromium, driven as a user would:
//   - it starts without console errors and is cross-origin isolated behind COOP/COEP;
//   - MNIST trains in its Worker for one epoch (the page's default settings) to >= 90% test
//     accuracy, the loss curve and the epoch table fill, and the stop button stops a longer run;
//   - test digits drawn onto the canvas through synthetic pointer strokes get the right prediction;
//   - "Download this model" gives a file NeuralNetwork.load reads in Node, with the same predictions;
//     a model written in Node (as `simdnet train-mlp` writes it) loads through the file input;
//   - the GPT trains a few steps, generation streams 50 tokens, the attention heatmap opens, hover works;
//   - the quick speed test runs every build, the threads and plain JS, outputs checked first;
//   - without COOP/COEP the page still trains (one thread).
//
//   node tests/browser/web-page.mjs      (needs `npm run build` first)

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import { launchChromium } from "./chromium.mjs";
import { checkSuite } from "./checks.mjs";
import { serveWeb, root } from "../../web/serve.mjs";

v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
const sd = await import(join(root, "dist/index.js"));

const TRAIN_TIMEOUT_MS = 90_000;
const { check, finish, run } = checkSuite("web page");

async function openPage(context, url, problems) {
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30_000 });
  await page.waitForFunction(() => !document.getElementById("mnist-train").disabled, null, { timeout: 30_000 });
  return page;
}

/** Click Train with the form as it is and wait for the run to finish; returns the final accuracy. */
async function trainInPage(page) {
  await page.click("#mnist-train");
  await page.waitForFunction(() => ["finished", "error"].includes(document.getElementById("mnist-status").dataset.state), null, { timeout: TRAIN_TIMEOUT_MS });
  return page.evaluate(() => ({
    status: document.getElementById("mnist-status").textContent,
    accuracy: Number(document.getElementById("mnist-accuracy").dataset.final),
    epochRows: document.querySelectorAll("#mnist-epochs tr").length,
    model: document.getElementById("mnist-model").dataset.layers,
  }));
}

/**
 * Draw a 28×28 digit on the 280×280 pad with real pointer strokes: each run of inked pixels in a row
 * becomes one horizontal drag, so the canvas receives the shape through the page's own handlers. The
 * pad's round pen is wider than a row, so each drag starts and ends half a pen inside its run (a
 * run shorter than the pen is one tap at its middle): the strokes then cover the run, not more.
 */
async function drawDigit(page, image, threshold) {
  await page.click("#mnist-clear");
  const box = await page.locator("#mnist-pad").boundingBox();
  const k = box.width / 28;
  const pen = (await page.evaluate(() => document.getElementById("mnist-pad").dataset.penWidth)) * (box.width / 280);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (image[y * 28 + x] < threshold) continue;
      let end = x;
      while (end + 1 < 28 && image[y * 28 + end + 1] >= threshold) end++;
      const py = box.y + (y + 0.5) * k;
      let from = box.x + x * k + pen / 2;
      let to = box.x + (end + 1) * k - pen / 2;
      if (to < from) from = to = box.x + ((x + end + 1) / 2) * k;
      await page.mouse.move(from, py);
      await page.mouse.down();
      await page.mouse.move(to, py, { steps: 2 });
      await page.mouse.up();
      x = end;
    }
  }
  await page.waitForTimeout(50); // predictions run on the next animation frame
  return page.evaluate(() => Number(document.getElementById("mnist-prediction").textContent));
}

const { train: _train, test } = await sd.loadEmbeddedMnist({ seed: 0 });
const problems = [];
let isolatedAccuracy;
const browser = await launchChromium();
const server = await serveWeb();
const work = mkdtempSync(join(tmpdir(), "simdnet-web-"));
try {
  const page = await openPage(browser.context, server.pageUrl, problems);
  const isolated = await page.evaluate(() => self.crossOriginIsolated);
  const threads = await page.evaluate(() => ({ worker: Number(document.getElementById("mnist").dataset.workerThreads), cores: navigator.hardwareConcurrency }));
  check("with COOP/COEP the page is cross-origin isolated", isolated === true);
  check("the training Worker runs one thread per core when isolated", threads.cores > 1 ? threads.worker === Math.min(threads.cores, 64) : threads.worker === 1, `${threads.worker} threads, ${threads.cores} cores`);

  // 1. One epoch with the page's defaults.
  const run = await trainInPage(page);
  isolatedAccuracy = run.accuracy;
  check("MNIST trains one epoch in the Worker to >= 90% test accuracy", run.accuracy >= 0.9, `${(100 * run.accuracy).toFixed(2)}%: ${run.status}`);
  check("the epoch table has one row and the model is 784-128-64-10", run.epochRows === 1 && run.model === "784,128,64,10", `${run.epochRows} rows, model ${run.model}`);
  const lossPoints = await page.evaluate(() => {
    const c = document.getElementById("mnist-loss");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let blue = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 150 && d[i] < 100) blue++;
    return blue;
  });
  check("the loss curve was drawn", lossPoints > 100, `${lossPoints} curve pixels`);

  // 2. Drawn digits: the first test digit of each class, stroked onto the pad.
  const firstOf = new Map();
  for (let i = 0; i < test.count && firstOf.size < 10; i++) if (!firstOf.has(test.labels[i])) firstOf.set(test.labels[i], i);
  const results = [];
  for (const [label, i] of [...firstOf].sort((a, b) => a[0] - b[0])) {
    const predicted = await drawDigit(page, test.images.subarray(i * 784, (i + 1) * 784), 0.5);
    results.push(`${label}→${predicted}`);
  }
  const right = results.filter((r) => r[0] === r.at(-1)).length;
  // One digit per class, binarized by the strokes: a 91% model may miss one of ten.
  check("test digits drawn with pointer strokes are predicted right (>= 9 of 10)", right >= 9, results.join(" "));

  // 3. Download the trained model; Node reads it and predicts what the page predicted.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#mnist-download")]);
  const file = join(work, "page-model.safetensors");
  await download.saveAs(file);
  await sd.init();
  const net = sd.NeuralNetwork.load(new Uint8Array(readFileSync(file)));
  const probabilities = await page.evaluate(() => JSON.parse(document.getElementById("mnist-prediction").dataset.probabilities));
  const input = await page.evaluate(async () => {
    const { toMnistInput } = await import("/web/src/preprocess.js");
    const pad = document.getElementById("mnist-pad");
    const rgba = pad.getContext("2d").getImageData(0, 0, pad.width, pad.height).data;
    const gray = new Float32Array(pad.width * pad.height);
    for (let i = 0; i < gray.length; i++) gray[i] = rgba[4 * i] / 255;
    return Array.from(toMnistInput(gray, pad.width, pad.height));
  });
  const x = sd.tensor(Float32Array.from(input), [1, 784]);
  const y = net.predict(x);
  const worst = Math.max(...Array.from(y.view(), (v, i) => Math.abs(v - probabilities[i])));
  x.dispose(); y.dispose(); net.dispose();
  check("the downloaded model, loaded in Node, predicts what the page showed", worst < 1e-4, `max |Δp| ${worst.toExponential(2)}`);

  // 4. A model written in Node loads through the file input (what `simdnet train-mlp --output` writes).
  const small = await sd.trainMlp({ ...sd.DEFAULT_MLP_TRAINING, layers: [784, 32, 10], epochs: 1 }, { train: _train, test }, {
    onCheckpoint: (bytes, info) => info.final && writeFileSync(join(work, "node.safetensors"), bytes),
  });
  small.net.dispose();
  await page.setInputFiles("#mnist-file", join(work, "node.safetensors"));
  await page.waitForFunction(() => document.getElementById("mnist-model").dataset.layers === "784,32,10", null, { timeout: 10_000 }).catch(() => {});
  const loaded = await page.evaluate(() => document.getElementById("mnist-model").dataset.layers);
  check("a train-mlp checkpoint written in Node loads through the file input", loaded === "784,32,10", `model ${loaded}`);

  // 5. Stop: a 50-epoch run stops when asked, well before its end.
  await page.fill("#mnist-epochs-input", "50");
  await page.click("#mnist-train");
  await page.waitForFunction(() => document.querySelectorAll("#mnist-epochs tr").length >= 1, null, { timeout: TRAIN_TIMEOUT_MS });
  await page.click("#mnist-stop");
  await page.waitForFunction(() => document.getElementById("mnist-status").dataset.state === "finished", null, { timeout: 20_000 });
  const stopped = await page.evaluate(() => ({ text: document.getElementById("mnist-status").textContent, rows: document.querySelectorAll("#mnist-epochs tr").length }));
  check("Stop ends a 50-epoch run early", stopped.text.startsWith("stopped") && stopped.rows < 50, `${stopped.text} (${stopped.rows} epochs)`);
  // 6. The transformer: a short training run, 50 streamed tokens, the attention maps and a hover.
  await page.waitForFunction(() => !document.getElementById("gpt-train").disabled, null, { timeout: 30_000 });
  await page.fill("#gpt-steps", "40");
  await page.click("#gpt-train");
  await page.waitForFunction(() => ["trained", "error"].includes(document.getElementById("gpt-status").dataset.state), null, { timeout: TRAIN_TIMEOUT_MS });
  const gptTrained = await page.evaluate(() => ({ status: document.getElementById("gpt-status").textContent, heads: document.getElementById("gpt-model").dataset.heads }));
  check("the GPT trains in its Worker", gptTrained.status.startsWith("done at step 40") && gptTrained.heads === "4", `${gptTrained.status}; ${gptTrained.heads} heads`);
  await page.evaluate(() => {
    window.__outputMutations = 0;
    new MutationObserver((records) => (window.__outputMutations += records.length)).observe(document.getElementById("gpt-output"), { childList: true, characterData: true, subtree: true });
  });
  await page.fill("#gpt-tokens-count", "50");
  await page.click("#gpt-generate");
  await page.waitForFunction(() => ["maps", "error"].includes(document.getElementById("gpt-status").dataset.state), null, { timeout: 60_000 });
  const generated = await page.evaluate(() => ({
    status: document.getElementById("gpt-status").textContent,
    pieces: Number(document.getElementById("gpt-output").dataset.pieces),
    text: document.getElementById("gpt-output").textContent,
    prompt: document.getElementById("gpt-prompt").value,
    mutations: window.__outputMutations,
    heatmap: Number(document.getElementById("gpt-heatmap").dataset.size),
    tokens: document.querySelectorAll("#gpt-tokens .token").length,
    mapsShown: !document.getElementById("gpt-maps").hidden,
  }));
  // Prompt + 50 characters = 62 tokens, within the context of 64: the maps cover all of them.
  check("generation streams 50 tokens, one update each", generated.pieces === 50 && generated.mutations >= 50 && generated.text.length === generated.prompt.length + 50 && generated.text.startsWith(generated.prompt),
    `${generated.pieces} pieces, ${generated.mutations} updates: ${JSON.stringify(generated.text)}`);
  check("the attention heatmap opens over the generated text", generated.mapsShown && generated.heatmap === 62 && generated.tokens === 62, `heatmap ${generated.heatmap}×${generated.heatmap}, ${generated.tokens} tokens`);
  await page.hover("#gpt-tokens .token:nth-child(30)");
  const hover = await page.evaluate(() => ({
    text: document.getElementById("gpt-hover").textContent,
    tinted: [...document.querySelectorAll("#gpt-tokens .token")].filter((s) => s.style.background).length,
  }));
  check("hovering token 30 shows what it attends to", hover.text.startsWith("token 29 ") && hover.tinted === 30, `${hover.text}; ${hover.tinted} tokens tinted`);

  // The page's GPT downloads as a checkpoint Node loads; one written in Node loads through the file input.
  const [gptDownload] = await Promise.all([page.waitForEvent("download"), page.click("#gpt-download")]);
  await gptDownload.saveAs(join(work, "page-gpt.safetensors"));
  const pageGpt = sd.loadCheckpoint(new Uint8Array(readFileSync(join(work, "page-gpt.safetensors"))));
  check("the page's GPT downloads as a checkpoint Node loads", pageGpt.step === 40 && pageGpt.model.config.heads === 4, `step ${pageGpt.step}`);
  pageGpt.model.dispose();
  const corpus = await sd.loadEmbeddedCorpus();
  const tiny = { ...sd.DEFAULT_GPT_TRAINING, layers: 1, dModel: 32, heads: 2, context: 32, batchSize: 4, steps: 3, warmupSteps: 1, evalEvery: 1000, evalSequences: 4 };
  const nodeGpt = await sd.trainGpt(tiny, { text: corpus, textName: sd.EMBEDDED_TEXT_NAME, onCheckpoint: (bytes, info) => info.final && writeFileSync(join(work, "node-gpt.safetensors"), bytes) });
  nodeGpt.model.dispose();
  await page.setInputFiles("#gpt-file", join(work, "node-gpt.safetensors"));
  await page.waitForFunction(() => document.getElementById("gpt-model").dataset.heads === "2", null, { timeout: 20_000 }).catch(() => {});
  const gptLoaded = await page.evaluate(() => document.getElementById("gpt-model").textContent);
  check("a train-gpt checkpoint written in Node loads through the file input", /\(step 3\): 1 layers, 2 heads, d 32, context 32/.test(gptLoaded), gptLoaded);

  // 7. The quick speed test: every build and the threads give checked outputs and times.
  await page.click("#speed-quick");
  await page.waitForFunction(() => ["finished", "error"].includes(document.getElementById("speed-status").dataset.state), null, { timeout: TRAIN_TIMEOUT_MS });
  const speed = await page.evaluate(() => ({
    status: document.getElementById("speed-status").textContent,
    rows: [...document.querySelectorAll("#speed-body tr")].map((tr) => ({ name: tr.querySelector("th").textContent, cells: [...tr.querySelectorAll("td")].map((td) => td.dataset.ms ?? td.textContent) })),
  }));
  const names = speed.rows.map((r) => r.name);
  const timed = speed.rows.every((r) => r.cells.length === 3 && r.cells.every((c) => Number(c) > 0));
  check("the quick speed test times GEMM, softmax and attention on every build, threads and plain JS", speed.status.startsWith("done") && timed &&
    ["plain JavaScript", "simdnet relaxed SIMD", "simdnet SIMD", "simdnet scalar"].every((n) => names.includes(n)) && names.some((n) => /threads$/.test(n)),
    `${speed.status}; ${speed.rows.map((r) => `${r.name}: ${r.cells.map((c) => (Number(c) > 0 ? `${Number(c).toPrecision(2)} ms` : c)).join(", ")}`).join(" | ")}`);
  await page.close();
  check("no console errors, page errors or failed requests (isolated)", problems.length === 0, problems.slice(0, 5).join(" | "));
} finally {
  await server.close();
}

// 8. Without COOP/COEP: not isolated, still trains (on one thread).
const plain = await serveWeb({ isolate: false });
const plainProblems = [];
try {
  const page = await openPage(browser.context, plain.pageUrl, plainProblems);
  const isolated = await page.evaluate(() => self.crossOriginIsolated);
  await page.fill("#mnist-epochs-input", "1");
  const workerThreads = await page.evaluate(() => Number(document.getElementById("mnist").dataset.workerThreads));
  const run = await trainInPage(page);
  check("without COOP/COEP the page is not isolated and trains on one thread", isolated === false && workerThreads === 1 && run.accuracy >= 0.9, `isolated ${isolated}, ${workerThreads} thread(s), ${run.status}`);
  // Threads split work so that every element gets the same instructions: the same run, the same bits.
  // (Seen failing about one run in six at the time of writing, in Node too: 2-thread trainMlp runs
  // gave 0.91 once against 0.9115 five times; a race in the pool, not in the page.)
  check("one thread and several train to the same accuracy", run.accuracy === isolatedAccuracy, `${run.accuracy} vs ${isolatedAccuracy}`);
  check("no console errors, page errors or failed requests (not isolated)", plainProblems.length === 0, plainProblems.slice(0, 5).join(" | "));
} finally {
  await plain.close();
  await browser.close();
  rmSync(work, { recursive: true, force: true });
}

finish();
