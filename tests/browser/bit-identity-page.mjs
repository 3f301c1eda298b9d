// Starts the bit-identity Worker (bundled by run.mjs into /build/browser-test/) with the thread count
// from the query (?threads=N) and leaves what it posts on window.__bitIdentity, then sets __done.
const status = document.getElementById("status");
const threads = Number(new URLSearchParams(location.search).get("threads") ?? 2);
const worker = new Worker("/build/browser-test/bit-identity-worker.js", { type: "module" });
const finish = (result) => {
  window.__bitIdentity = result;
  window.__done = true;
  status.textContent = result.error ? `failed: ${result.error}` : "done";
  worker.terminate();
};
worker.onmessage = ({ data }) => finish(data);
worker.onerror = (event) => finish({ error: `worker error: ${event.message}` });
worker.postMessage({ threads });
