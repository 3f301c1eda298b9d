#!/usr/bin/env node
// `npm run web`: bundle the page with esbuild, then serve the project on 127.0.0.1 with COOP/COEP
// (so the page is cross-origin isolated and threads can run) and application/wasm.
//
// Why a bundle and not an import map: Workers ignore the page's import map, and the library resolves
// `#simdnet/platform` through package.json "imports", so a Worker importing dist/ directly fails.
// esbuild resolves it (the browser branch) at build time. The bundles go to web/build/, two folders
// below the root like dist/<dir>/, so the library's new URL("../../build/…", import.meta.url) and
// new URL("../../data/…") still point at the project's build/ and data/ folders.
//
//   npm run web [-- --port 8080] [-- --no-isolation]   (needs `npm run build`: dist/ and build/*.wasm)

import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../scripts/static-server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "..");

/** Bundle the page's entries (the page, its Workers, the thread pool's worker) into web/build/. */
export async function buildPage() {
  if (!existsSync(join(root, "dist/index.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  const { build } = await import("esbuild");
  await build({
    absWorkingDir: root,
    entryPoints: {
      main: "web/src/main.js",
      "mnist-worker": "web/src/mnist-worker.js",
      "speed-worker": "web/src/speed-worker.js",
      "gpt-worker": "web/src/gpt-worker.js",
      // The pool spawns new Worker(new URL("./worker-browser.js", import.meta.url)): next to the bundles.
      "worker-browser": "dist/runtime/pool/worker-browser.js",
    },
    outdir: "web/build",
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    sourcemap: true,
    logLevel: "warning",
  });
}

/** Build, then serve; resolves to the static server ({ url, close }) and the page's URL. */
export async function serveWeb({ port = 0, isolate = true, log } = {}) {
  await buildPage();
  const server = await startServer(root, { port, isolate, log });
  return { ...server, pageUrl: `${server.url}/web/` };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf("--port");
  const port = portAt >= 0 ? Number(args[portAt + 1]) : Number(process.env.PORT ?? 8080);
  const unknown = args.filter((a, i) => !["--port", "--no-isolation"].includes(a) && !(i === portAt + 1 && portAt >= 0));
  if (unknown.length > 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`usage: npm run web [-- --port N] [-- --no-isolation]${unknown.length ? ` (unknown: ${unknown.join(" ")})` : ""}`);
    process.exit(2);
  }
  const isolate = !args.includes("--no-isolation");
  const { pageUrl } = await serveWeb({ port, isolate });
  console.log(`simdnet page: ${pageUrl}${isolate ? "" : " (without COOP/COEP: one thread)"}  (Ctrl-C stops)`);
}
