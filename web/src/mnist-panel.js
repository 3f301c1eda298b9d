// The MNIST part of the page: train in a Worker (live loss, accuracy per epoch, stop), draw a digit
// and see the ten class probabilities while drawing, load a model `simdnet train-mlp` saved, and
// download the one trained here. Predictions run on the main thread with their own copy of the
// latest model: one 784-128-64-10 forward pass takes well under a millisecond.

import { NeuralNetwork, tensor } from "simdnet";
import { createDrawPad } from "./draw-pad.js";
import { createLineChart } from "./line-chart.js";
import { toMnistInput, SIZE } from "./preprocess.js";

const $ = (id) => document.getElementById(id);

export function setupMnist() {
  const state = { net: null, modelBytes: null, modelName: "simdnet-mnist.safetensors", training: false, epochs: 0 };
  const status = (text) => ($("mnist-status").textContent = text);
  const chart = createLineChart($("mnist-loss"), {
    xLabel: "step",
    yMin: 0,
    series: [
      { name: "train", color: "#2a6fdb" },
      { name: "test", color: "#d9480f", dots: true },
    ],
  });
  const bars = createBars($("mnist-bars"));
  const preview = $("mnist-preview").getContext("2d");
  const pad = createDrawPad($("mnist-pad"), predict);

  // ---- the model used for predictions -------------------------------------------------------
  function useModel(bytes, origin) {
    const net = NeuralNetwork.load(bytes); // checks the whole file first: throws a typed error naming what is wrong
    if (net.layerSizes[0] !== SIZE * SIZE || net.layerSizes.at(-1) !== 10) {
      const sizes = net.layerSizes.join("-");
      net.dispose();
      throw new Error(`${origin}: the network is ${sizes}; a digit model takes 784 inputs and gives 10 outputs`);
    }
    state.net?.dispose();
    state.net = net;
    state.modelBytes = bytes;
    $("mnist-model").textContent = `${origin}: ${net.layerSizes.join("-")}, ${net.options.loss}`;
    $("mnist-model").dataset.layers = net.layerSizes.join(",");
    $("mnist-download").disabled = false;
    predict();
  }

  function predict() {
    const input = toMnistInput(pad.gray(), $("mnist-pad").width, $("mnist-pad").height);
    drawPreview(preview, input);
    if (!input || !state.net) {
      bars.show(null);
      return;
    }
    const x = tensor(input, [1, SIZE * SIZE]);
    let scores;
    try {
      const y = state.net.predict(x);
      scores = Array.from(y.view());
      y.dispose();
    } finally {
      x.dispose();
    }
    // Cross-entropy models give probabilities; the tutorial's MSE + ReLU outputs are scores, shown
    // as shares of their (non-negative) sum so the bars read the same way.
    const probabilities = state.net.options.loss === "cross-entropy" ? scores : normalize(scores);
    bars.show(probabilities);
    const best = probabilities.indexOf(Math.max(...probabilities));
    $("mnist-prediction").textContent = String(best);
    $("mnist-prediction").dataset.probabilities = JSON.stringify(probabilities);
  }

  // ---- training in the Worker ---------------------------------------------------------------
  const worker = new Worker(new URL("./mnist-worker.js", import.meta.url), { type: "module", name: "mnist-training" });
  worker.onerror = (event) => status(`the training worker failed: ${event.message}`);
  worker.onmessage = ({ data: m }) => {
    if (m.type === "ready") {
      $("mnist-train").disabled = false;
      $("mnist").dataset.workerThreads = String(m.info.threads);
      status(`ready: ${m.trainCount.toLocaleString()} training and ${m.testCount.toLocaleString()} test digits; worker backend ${m.info.build}, ${m.info.threads} thread(s)`);
    } else if (m.type === "batch") {
      chart.add("train", m.step, m.loss);
      status(`epoch ${m.epoch}/${m.epochs}, batch ${m.batch}/${m.batches}, loss ${m.loss.toFixed(4)}`);
    } else if (m.type === "epoch") {
      const s = m.stats;
      chart.add("test", (s.epoch * state.stepsPerEpoch) | 0, s.valLoss);
      const row = document.createElement("tr");
      row.innerHTML = `<td>${s.epoch}</td><td>${s.loss.toFixed(4)}</td><td>${s.valLoss.toFixed(4)}</td><td>${(100 * s.valAccuracy).toFixed(2)}%</td><td>${s.seconds.toFixed(1)} s</td>`;
      $("mnist-epochs").append(row);
      $("mnist-accuracy").textContent = `${(100 * s.valAccuracy).toFixed(2)}%`;
    } else if (m.type === "model") {
      useModel(m.bytes, `trained here (step ${m.step})`);
    } else if (m.type === "done") {
      finish(`${m.stopped ? "stopped" : "done"} at step ${m.step} in ${m.seconds.toFixed(1)} s: test accuracy ${(100 * m.testAccuracy).toFixed(2)}%`);
      $("mnist-accuracy").textContent = `${(100 * m.testAccuracy).toFixed(2)}%`;
      $("mnist-accuracy").dataset.final = String(m.testAccuracy);
    } else if (m.type === "error") {
      finish(`error: ${m.message}`);
    }
  };
  function finish(text) {
    state.training = false;
    $("mnist-train").disabled = false;
    $("mnist-stop").disabled = true;
    status(text);
    $("mnist-status").dataset.state = text.startsWith("error") ? "error" : "finished";
  }

  $("mnist-train").addEventListener("click", () => {
    const config = readConfig();
    if (typeof config === "string") return status(config);
    state.training = true;
    state.stepsPerEpoch = Math.ceil(8000 / config.batchSize);
    chart.reset();
    $("mnist-epochs").replaceChildren();
    $("mnist-accuracy").textContent = "–";
    delete $("mnist-accuracy").dataset.final;
    $("mnist-status").dataset.state = "training";
    $("mnist-train").disabled = true;
    $("mnist-stop").disabled = false;
    worker.postMessage({ type: "train", config });
  });
  $("mnist-stop").addEventListener("click", () => worker.postMessage({ type: "stop" }));
  $("mnist-clear").addEventListener("click", () => pad.clear());
  $("mnist-preset").addEventListener("change", () => {
    // The tutorial's recipe: plain SGD at 0.1, MSE on ReLU outputs, no augmentation.
    const tutorial = $("mnist-preset").value === "tutorial";
    $("mnist-lr").value = tutorial ? "0.1" : "0.002";
    $("mnist-batch").value = tutorial ? "32" : "16";
  });

  // ---- files in and out ---------------------------------------------------------------------
  $("mnist-file").addEventListener("change", async (event) => {
    const file = event.target.files?.[0];
    if (!file) return;
    try {
      useModel(new Uint8Array(await file.arrayBuffer()), file.name);
      state.modelName = file.name;
      status(`loaded ${file.name}`);
    } catch (error) {
      status(`could not load ${file.name}: ${error.message}`);
    }
  });
  $("mnist-download").addEventListener("click", () => {
    if (!state.modelBytes) return;
    const url = URL.createObjectURL(new Blob([state.modelBytes], { type: "application/octet-stream" }));
    const a = Object.assign(document.createElement("a"), { href: url, download: "simdnet-mnist.safetensors" });
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
}

/** The form's values as a train-mlp configuration, or a message saying which field is wrong. */
function readConfig() {
  const preset = $("mnist-preset").value;
  const epochs = Number($("mnist-epochs-input").value);
  const batchSize = Number($("mnist-batch").value);
  const learningRate = Number($("mnist-lr").value);
  const seed = Number($("mnist-seed").value);
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 100) return "epochs must be a whole number from 1 to 100";
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 8000) return "batch size must be a whole number from 1 to 8000";
  if (!(learningRate > 0 && learningRate < 10)) return "learning rate must be a number above 0 and below 10";
  if (!Number.isInteger(seed) || seed < 0) return "seed must be a whole number ≥ 0";
  return { preset, epochs, batchSize, learningRate, seed };
}

function normalize(scores) {
  const clipped = scores.map((s) => Math.max(0, s));
  const sum = clipped.reduce((a, b) => a + b, 0);
  return sum > 0 ? clipped.map((s) => s / sum) : clipped;
}

/** The 28×28 input the network sees, magnified, so users see what the preprocessing did. */
function drawPreview(ctx, input) {
  const image = ctx.createImageData(SIZE, SIZE);
  for (let i = 0; i < SIZE * SIZE; i++) {
    const v = input ? Math.round(input[i] * 255) : 0;
    image.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}

/** Ten horizontal bars, one per digit, the most likely one highlighted. */
function createBars(container) {
  const rows = [];
  for (let d = 0; d < 10; d++) {
    const row = document.createElement("div");
    row.className = "bar";
    row.innerHTML = `<span class="digit">${d}</span><span class="track"><span class="fill"></span></span><span class="value">–</span>`;
    container.append(row);
    rows.push(row);
  }
  return {
    show(p) {
      const best = p ? p.indexOf(Math.max(...p)) : -1;
      rows.forEach((row, d) => {
        row.querySelector(".fill").style.width = p ? `${(100 * p[d]).toFixed(1)}%` : "0";
        row.querySelector(".value").textContent = p ? `${(100 * p[d]).toFixed(1)}%` : "–";
        row.classList.toggle("best", d === best);
      });
    },
  };
}
