// The browser (and any non-Node) implementation of Platform: fetch only, no file system. Chosen by
// the "default" condition of `#simdnet/platform` in package.json, so bundlers targeting browsers
// (esbuild, Vite, webpack) resolve here and never reach a `node:` module.

import type { Platform } from "./types.js";

export const platform: Platform = {
  name: "browser",
  async readUrl(url) {
    if (url.protocol === "file:") throw new Error("file: URLs cannot be fetched in a browser; serve the files over http(s)");
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  },
  describeUrl: (url) => url.href,
  availableCores: async () => {
    const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
    return typeof n === "number" && n > 0 ? n : 1;
  },
  spawner: async () => (await import("../pool/spawn-browser.js")).spawnBrowserWorker,
};
