// The transformer part of the page: train the char-level GPT in a Worker (live loss) or load a
// train-gpt checkpoint; generate with streaming output; show attention per layer and head for the
// generated text as a heatmap, and as token highlights: hover a token to see what it attends to.

import { createLineChart } from "./line-chart.js";

const $ = (id) => document.getElementById(id);

export function setupGpt() {
  const state = { bytes: null, maps: null, training: false };
  const status = (text, kind) => {
    $("gpt-status").textContent = text;
    if (kind) $("gpt-status").dataset.state = kind;
  };
  const chart = createLineChart($("gpt-loss"), {
    xLabel: "step",
    yMin: 0,
    series: [{ name: "train", color: "#2a6fdb" }, { name: "held out", color: "#d9480f", dots: true }],
  });
  const worker = new Worker(new URL("./gpt-worker.js", import.meta.url), { type: "module", name: "gpt" });
  worker.onerror = (event) => status(`the GPT worker failed: ${event.message}`, "error");
  worker.onmessage = ({ data: m }) => {
    if (m.type === "ready") {
      $("gpt-train").disabled = false;
      status(`ready: ${m.characters.toLocaleString()} characters of text`, "ready");
    } else if (m.type === "step") {
      chart.add("train", m.step, m.loss);
      status(`step ${m.step}/${m.steps}, loss ${m.loss.toFixed(3)}`);
    } else if (m.type === "eval") chart.add("held out", m.step, m.loss);
    else if (m.type === "model") {
      state.bytes = m.bytes;
      $("gpt-model").textContent = `${m.origin}: ${m.layers} layers, ${m.heads} heads, d ${m.dModel}, context ${m.context}, ${m.vocab} tokens`;
      $("gpt-model").dataset.heads = String(m.heads);
      $("gpt-context").textContent = String(m.context);
      $("gpt-download").disabled = !m.bytes;
      $("gpt-generate").disabled = false;
      fillSelect($("gpt-layer"), m.layers);
      fillSelect($("gpt-head"), m.heads);
      if (!state.training) status("model loaded", "model");
    } else if (m.type === "trained") {
      trainingDone(`${m.stopped ? "stopped" : "done"} at step ${m.step} in ${m.seconds.toFixed(1)} s, held-out loss ${m.evalLoss.toFixed(3)}`);
    } else if (m.type === "piece") {
      $("gpt-output").append(m.piece);
      $("gpt-output").dataset.pieces = String(Number($("gpt-output").dataset.pieces ?? 0) + 1);
    } else if (m.type === "generated") {
      $("gpt-generate").disabled = false;
      status("generated; computing attention maps…", "generated");
      worker.postMessage({ type: "maps", text: m.text });
    } else if (m.type === "maps") {
      state.maps = m;
      showMaps();
      status("generated: hover a token below to see what it attends to", "maps");
    } else if (m.type === "error") {
      if (state.training) trainingDone(`error: ${m.message}`);
      $("gpt-generate").disabled = !$("gpt-model").dataset.heads;
      status(`error: ${m.message}`, "error");
    }
  };
  function trainingDone(text) {
    state.training = false;
    $("gpt-train").disabled = false;
    $("gpt-stop").disabled = true;
    status(text, text.startsWith("error") ? "error" : "trained");
  }

  $("gpt-train").addEventListener("click", () => {
    const steps = Number($("gpt-steps").value);
    if (!Number.isInteger(steps) || steps < 1 || steps > 5000) return status("steps must be a whole number from 1 to 5000");
    state.training = true;
    chart.reset();
    $("gpt-train").disabled = true;
    $("gpt-stop").disabled = false;
    status("training…", "training");
    worker.postMessage({ type: "train", config: { steps, evalEvery: Math.max(1, Math.round(steps / 5)), seed: Number($("gpt-seed").value) || 0 } });
  });
  $("gpt-stop").addEventListener("click", () => worker.postMessage({ type: "stop" }));
  $("gpt-file").addEventListener("change", async (event) => {
    const file = event.target.files?.[0];
    if (file) worker.postMessage({ type: "load", bytes: new Uint8Array(await file.arrayBuffer()), name: file.name });
  });
  $("gpt-download").addEventListener("click", () => {
    const url = URL.createObjectURL(new Blob([state.bytes], { type: "application/octet-stream" }));
    Object.assign(document.createElement("a"), { href: url, download: "simdnet-gpt.safetensors" }).click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  $("gpt-generate").addEventListener("click", () => {
    const number = (id) => Number($(id).value);
    $("gpt-output").textContent = $("gpt-prompt").value;
    $("gpt-output").dataset.pieces = "0";
    $("gpt-tokens").replaceChildren();
    $("gpt-generate").disabled = true;
    status("generating…", "generating");
    worker.postMessage({
      type: "generate", prompt: $("gpt-prompt").value, maxNewTokens: number("gpt-tokens-count"),
      temperature: number("gpt-temperature"), topK: number("gpt-topk"), topP: number("gpt-topp"), seed: number("gpt-sample-seed"),
    });
  });
  $("gpt-layer").addEventListener("change", showMaps);
  $("gpt-head").addEventListener("change", showMaps);

  /** The heatmap of the chosen layer and head, and the tokens, each hoverable. */
  function showMaps() {
    if (!state.maps) return;
    const { tokens, weights } = state.maps;
    const w = weights[Number($("gpt-layer").value)][Number($("gpt-head").value)];
    const t = tokens.length;
    drawHeatmap($("gpt-heatmap"), w, t);
    const spans = tokens.map((token, i) => {
      const span = document.createElement("span");
      span.className = "token";
      span.textContent = token === "\n" ? "↵" : token;
      span.addEventListener("mouseenter", () => {
        spans.forEach((s, j) => (s.style.background = j <= i ? `rgba(217, 72, 15, ${Math.min(1, w[i * t + j] * 1.5)})` : ""));
        span.style.outline = "2px solid #2a6fdb";
        $("gpt-hover").textContent = `token ${i} ${JSON.stringify(token)} attends most to ${JSON.stringify(tokens[argmax(w, i * t, i + 1)])}`;
      });
      span.addEventListener("mouseleave", () => spans.forEach((s) => ((s.style.background = ""), (s.style.outline = ""))));
      return span;
    });
    $("gpt-tokens").replaceChildren(...spans);
    $("gpt-maps").hidden = false;
  }
}

function fillSelect(select, n) {
  select.replaceChildren(...Array.from({ length: n }, (_, i) => Object.assign(document.createElement("option"), { value: String(i), textContent: String(i + 1) })));
}

function argmax(w, offset, n) {
  let best = 0;
  for (let j = 1; j < n; j++) if (w[offset + j] > w[offset + best]) best = j;
  return best;
}

/** A T×T heatmap: row i (a query token) over columns j ≤ i (the tokens it attends to). */
function drawHeatmap(canvas, w, t) {
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(t, t);
  for (let i = 0; i < t * t; i++) {
    const v = Math.round(255 * (1 - Math.min(1, Math.sqrt(w[i])))); // sqrt: small weights stay visible
    image.data.set([255, v, v, 255], 4 * i);
  }
  canvas.width = t;
  canvas.height = t;
  ctx.putImageData(image, 0, 0);
  canvas.dataset.size = String(t);
}
