// The page's entry: start simdnet on the main thread (for predictions), say what the engine offers,
// and wire up each part. The heavy work (training) runs in Workers.

import { backendInfo, engineSupportsRelaxedSimd, engineSupportsSimd, init } from "simdnet";
import { setupMnist } from "./mnist-panel.js";
import { setupSpeed } from "./speed-panel.js";
import { setupGpt } from "./gpt-panel.js";

const engine = document.getElementById("engine");
try {
  await init();
  const info = backendInfo();
  const facts = {
    SIMD: engineSupportsSimd(),
    "relaxed SIMD": engineSupportsRelaxedSimd(),
    "cross-origin isolated": self.crossOriginIsolated === true,
    SharedArrayBuffer: typeof SharedArrayBuffer === "function",
    cores: navigator.hardwareConcurrency ?? 1,
  };
  engine.textContent = `${Object.entries(facts).map(([k, v]) => `${k}: ${v === true ? "yes" : v === false ? "no" : v}`).join(" · ")} — main thread uses the ${info.build} build`;
  engine.dataset.isolated = String(facts["cross-origin isolated"]);
  setupMnist();
  setupGpt();
  setupSpeed();
  document.body.dataset.ready = "true";
} catch (error) {
  engine.textContent = `simdnet could not start: ${error.message}`;
  document.body.dataset.ready = "error";
  throw error;
}
