// The browser side of the smoke test: load the library the way a user would, run the shared cases,
// and leave the results on window for the harness (window.__done, __results, __error).
import * as sd from "/dist/index.js";
import { runCases } from "./cases.mjs";

const status = document.getElementById("status");
try {
  const initInfo = await sd.init();
  const results = await runCases(sd);
  results.page = {
    crossOriginIsolated: self.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer === "function",
    userAgent: navigator.userAgent,
    initInfo: { ...initInfo },
  };
  window.__results = results;
  status.textContent = "done";
} catch (err) {
  window.__error = String(err && err.stack ? err.stack : err);
  status.textContent = `failed: ${window.__error}`;
} finally {
  window.__done = true;
}
