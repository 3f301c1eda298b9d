#!/usr/bin/env node
// Bundler test: an app that imports "simdnet" (bundle-app/app.js) is built with esbuild
// (`--bundle --platform=browser`, its defaults otherwise: iife), with Vite (`vite build`, no
// config) and with webpack 5 (production mode, only entry and output named), and served by Vite's
// dev server, with no flags, plugins, loaders or copied files; each runs in headless Chromium.
//   - no output file mentions a `node:` module (package.json's #simdnet/platform "default" branch);
//   - Vite and webpack emit the .wasm and data files as assets (they are new URL("…", import.meta.url) literals),
//     so init() fetches the relaxed build and both embedded data sets load;
//   - esbuild emits no assets and its iife has no import.meta.url: init() falls back to the modules
//     embedded in build/simdnet.inline.js, and the data loaders fail with a message that says what to do.
// The package is installed into a temp app's node_modules from the tarball `npm pack` makes, so the
// test also proves that package.json's "files" ship everything the browser needs.
//
//   node tests/browser/bundle.mjs     (needs `npm run build` first)

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.mjs";
import { checkSuite } from "./checks.mjs";
import { startServer } from "./server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const TIMEOUT_MS = 60_000;
const CORPUS_START = "In the beginning God created the heaven";

const { check, finish, run } = checkSuite("bundle");

function makeApp() {
  const dir = mkdtempSync(join(tmpdir(), "simdnet-bundle-"));
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const out = execFileSync(npm, ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir], { cwd: root, encoding: "utf8" });
  const tarball = join(dir, out.trim().split("\n").pop());
  const target = join(dir, "node_modules", "simdnet");
  mkdirSync(target, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"]);
  for (const f of ["app.js", "index.html"]) copyFileSync(join(here, "bundle-app", f), join(dir, f));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "simdnet-bundle-app", private: true, type: "module" }));
  return dir;
}

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}

function noNodeImports(label, outDir) {
  const js = filesUnder(outDir).filter((f) => f.endsWith(".js"));
  const offenders = js.filter((f) => /["'`]node:/.test(readFileSync(f, "utf8")));
  check(`${label}: no node: module in the ${js.length} output JS file(s)`, js.length > 0 && offenders.length === 0, offenders.join(", "));
}

async function runPage(context, outDir, problems) {
  const server = await startServer(outDir);
  const page = await context.newPage();
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => msg.type() === "error" && problems.push(`console error: ${msg.text()}`));
  try {
    await page.goto(`${server.url}/index.html`, { timeout: TIMEOUT_MS });
    await page.waitForFunction(() => globalThis.__result !== undefined, null, { timeout: TIMEOUT_MS });
    return { result: await page.evaluate(() => globalThis.__result), requests: server.requests };
  } finally {
    await page.close();
    await server.close();
  }
}

async function buildEsbuild(app) {
  const esbuild = await import("esbuild");
  const outDir = join(app, "esbuild-out");
  // The CLI's defaults: `esbuild app.js --bundle --platform=browser --outfile=esbuild-out/app.js`.
  const result = await esbuild.build({ entryPoints: [join(app, "app.js")], bundle: true, platform: "browser", outfile: join(outDir, "app.js"), logLevel: "silent" });
  // An iife is a classic script, not a module.
  writeFileSync(join(outDir, "index.html"), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script src="./app.js"></script>');
  return { outDir, warnings: result.warnings.length };
}

async function buildVite(app) {
  const { build } = await import("vite");
  const outDir = join(app, "vite-out");
  await build({ root: app, logLevel: "silent", configFile: false, build: { outDir, emptyOutDir: true } });
  return { outDir };
}

/** webpack 5's defaults with only the entry and the output named (what `webpack --entry … -o …` does). */
async function buildWebpack(app) {
  const { default: webpack } = await import("webpack");
  const outDir = join(app, "webpack-out");
  const compiler = webpack({ mode: "production", entry: join(app, "app.js"), output: { path: outDir, filename: "app.js" } });
  const stats = await new Promise((done, fail) => compiler.run((err, result) => (err ? fail(err) : done(result))));
  await new Promise((done) => compiler.close(done));
  const { errors } = stats.toJson({ all: false, errors: true });
  // webpack's output is a classic script; its import.meta.url becomes the script's own URL.
  writeFileSync(join(outDir, "index.html"), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script src="./app.js"></script>');
  return { outDir, errors: errors.map((e) => e.message.split("\n")[0]) };
}

/** Vite's dev server on the app (dependency pre-bundling and all); returns { url, close }. */
async function startViteDev(app) {
  const { createServer } = await import("vite");
  const server = await createServer({ root: app, configFile: false, logLevel: "silent", server: { port: 0, host: "127.0.0.1" } });
  await server.listen();
  return { url: server.resolvedUrls.local[0], close: () => server.close() };
}

async function main() {
  if (!existsSync(join(root, "dist/index.js"))) throw new Error("dist/index.js is missing: run `npm run build` first");
  const app = makeApp();
  const launched = await launchChromium();
  console.log(`  chromium: ${launched.browser.executablePath} (${launched.browser.origin})`);
  try {
    // esbuild
    {
      const problems = [];
      const { outDir, warnings } = await buildEsbuild(app);
      check("esbuild --bundle --platform=browser builds", true, `${warnings} warning(s): import.meta is empty in an iife`);
      noNodeImports("esbuild", outDir);
      const { result: r } = await runPage(launched.context, outDir, problems);
      check("esbuild app: init() and matmul run", !r.error && JSON.stringify(r.product) === "[[19,22],[43,50]]", r.error ?? JSON.stringify(r.product));
      check("esbuild app: the kernels came from the embedded copy, relaxed build", r.build === "relaxed" && /embedded in simdnet\.inline\.js/.test(r.info?.source ?? ""), `${r.build}, ${r.info?.source}`);
      check("esbuild app: loadEmbeddedMnist refuses with a message naming esbuild and readIdx", /esbuild/.test(r.mnistError ?? "") && /readIdx/.test(r.mnistError ?? ""), r.mnistError ?? "no error");
      check("esbuild app: loadEmbeddedCorpus refuses with a message naming decodeGzippedText", /decodeGzippedText/.test(r.corpusError ?? ""), r.corpusError ?? "no error");
      check("esbuild app: no tensors left, no page errors", r.tensorsLeft === 0 && problems.length === 0, problems.join("; "));
    }
    // Vite
    {
      const problems = [];
      const { outDir } = await buildVite(app);
      const assets = filesUnder(outDir).map((f) => f.slice(outDir.length + 1));
      check("vite build emits the three .wasm files and the data files as assets",
        ["simdnet.relaxed", "simdnet.scalar", "kjv.txt", "digits-images"].every((n) => assets.some((a) => a.includes(n))), assets.join(", "));
      noNodeImports("vite", outDir);
      const { result: r, requests } = await runPage(launched.context, outDir, problems);
      const wasmRequest = requests.find((q) => q.url.endsWith(".wasm"));
      check("vite app: init() and matmul run", !r.error && JSON.stringify(r.product) === "[[19,22],[43,50]]", r.error ?? JSON.stringify(r.product));
      check("vite app: the relaxed build was fetched as a .wasm asset", r.build === "relaxed" && /simdnet\.relaxed-.*\.wasm$/.test(r.info?.source ?? "") && wasmRequest?.type === "application/wasm", `${r.build}, ${r.info?.source}`);
      check("vite app: loadEmbeddedMnist gives 9,000 + 1,000 digits", r.mnist?.train === 9000 && r.mnist?.test === 1000 && r.mnist.pixelSum > 5, r.mnistError ?? JSON.stringify(r.mnist));
      check("vite app: loadEmbeddedCorpus gives the 1,888,024-character text", r.corpus?.length === 1_888_024 && r.corpus.start.startsWith(CORPUS_START), r.corpusError ?? JSON.stringify(r.corpus));
      check("vite app: the embedded-module chunk was never fetched", !requests.some((q) => q.url.includes("simdnet.inline")));
      check("vite app: no tensors left, no page errors", r.tensorsLeft === 0 && problems.length === 0, problems.join("; "));
    }
    // webpack 5
    {
      const problems = [];
      const { outDir, errors } = await buildWebpack(app);
      check("webpack 5 builds with no config beyond entry and output", errors.length === 0, errors.join("; "));
      const assets = filesUnder(outDir).map((f) => f.slice(outDir.length + 1));
      check("webpack emits .wasm and data files as assets", assets.filter((a) => a.endsWith(".wasm")).length >= 3 && assets.filter((a) => a.endsWith(".gz")).length >= 2, assets.join(", "));
      noNodeImports("webpack", outDir);
      const { result: r, requests } = await runPage(launched.context, outDir, problems);
      const wasmRequest = requests.find((q) => q.url.endsWith(".wasm"));
      check("webpack app: init() and matmul run", !r.error && JSON.stringify(r.product) === "[[19,22],[43,50]]", r.error ?? JSON.stringify(r.product));
      check("webpack app: the relaxed build was fetched as a .wasm asset", r.build === "relaxed" && /\.wasm$/.test(r.info?.source ?? "") && wasmRequest?.type === "application/wasm", `${r.build}, ${r.info?.source}`);
      check("webpack app: both data sets load", r.mnist?.train === 9000 && r.mnist?.test === 1000 && r.corpus?.length === 1_888_024, r.mnistError ?? r.corpusError ?? "");
      check("webpack app: no tensors left, no page errors", r.tensorsLeft === 0 && problems.length === 0, problems.join("; "));
    }
    // Vite's dev server: it serves kjv.txt.gz with Content-Encoding: gzip, so the page gets plain text.
    {
      const problems = [];
      const dev = await startViteDev(app);
      const page = await launched.context.newPage();
      page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
      page.on("console", (msg) => msg.type() === "error" && problems.push(`console error: ${msg.text()}`));
      try {
        await page.goto(dev.url, { timeout: TIMEOUT_MS });
        await page.waitForFunction(() => globalThis.__result !== undefined, null, { timeout: TIMEOUT_MS });
        const r = await page.evaluate(() => globalThis.__result);
        check("vite dev: init() loads the relaxed .wasm file, matmul runs", r.build === "relaxed" && /simdnet\.relaxed\.wasm$/.test(r.info?.source ?? "") && JSON.stringify(r.product) === "[[19,22],[43,50]]", r.error ?? r.info?.source);
        check("vite dev: both data sets load", r.mnist?.train === 9000 && r.corpus?.length === 1_888_024, r.mnistError ?? r.corpusError ?? "");
        check("vite dev: no page errors", problems.length === 0, problems.join("; "));
      } finally {
        await page.close();
        await dev.close();
      }
    }
  } finally {
    await launched.close();
    rmSync(app, { recursive: true, force: true });
  }
}

await run(main, 4 * TIMEOUT_MS);
