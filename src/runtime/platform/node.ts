// The Node implementation of Platform: files from disk (node:fs), everything else through fetch.
// Chosen by the "node" condition of `#simdnet/platform` in package.json; browser builds never see it.

import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Platform } from "./types.js";

async function fetchBytes(url: URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

export const platform: Platform = {
  name: "node",
  readUrl: async (url) => (url.protocol === "file:" ? new Uint8Array(await readFile(fileURLToPath(url))) : fetchBytes(url)),
  describeUrl: (url) => (url.protocol === "file:" ? fileURLToPath(url) : url.href),
  readFile: async (path) => new Uint8Array(await readFile(path)),
  readDir: (path) => readdir(path),
  joinPath: join,
  availableCores: async () => {
    const os = await import("node:os");
    return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  },
  // Loaded on first use: a process that runs on one thread never loads worker_threads.
  spawner: async () => (await import("../pool/spawn-node.js")).spawnNodeWorker(),
};
