// Node: pool workers are worker_threads on the same WebAssembly.Module and shared Memory (both are
// cloneable into workerData). Workers are unref'd: an idle pool never keeps a finished script alive.
//
// The published package starts dist/runtime/pool/worker-node.js. Running from src/ (vitest, tsx) there
// is only TypeScript, which Node 20 cannot start as a worker: the entry is bundled once per process
// with esbuild (a dev dependency through tsx) and started from source text, which takes ~30 ms per
// worker instead of the ~800 ms that registering tsx inside each worker costs (worker-node-tsx.mjs,
// the fallback when esbuild is missing).

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { WorkerInit } from "./control.js";
import type { SpawnWorker, WorkerHandle } from "./spawn.js";

type Entry = { kind: "file"; url: URL } | { kind: "source"; code: string };

let devBundle: Promise<Entry> | undefined;

async function findEntry(): Promise<Entry> {
  const compiled = new URL("./worker-node.js", import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return { kind: "file", url: compiled };
  devBundle ??= bundleFromSource();
  return devBundle;
}

async function bundleFromSource(): Promise<Entry> {
  const tsEntry = fileURLToPath(new URL("./worker-node.ts", import.meta.url));
  try {
    const esbuild = await import("esbuild");
    const out = await esbuild.build({
      entryPoints: [tsEntry], bundle: true, write: false, platform: "node", format: "cjs", target: "node20", logLevel: "silent",
    });
    return { kind: "source", code: out.outputFiles[0]!.text };
  } catch {
    return { kind: "file", url: new URL("./worker-node-tsx.mjs", import.meta.url) };
  }
}

export async function spawnNodeWorker(): Promise<SpawnWorker> {
  const entry = await findEntry();
  return (init: WorkerInit): WorkerHandle => {
    const worker = entry.kind === "file"
      ? new Worker(entry.url, { workerData: init })
      : new Worker(entry.code, { eval: true, workerData: init });
    worker.unref();
    let listener: ((message: string) => void) | undefined;
    let failed = false;
    const fail = (message: string) => {
      if (failed) return;
      failed = true;
      listener?.(message);
    };
    worker.on("error", (err) => fail(`worker ${init.index + 1} failed: ${err?.message ?? err}`));
    worker.on("exit", (code) => fail(`worker ${init.index + 1} exited with code ${code}`));
    return {
      terminate: () => {
        failed = true;
        void worker.terminate();
      },
      onFailure: (l) => (listener = l),
    };
  };
}
