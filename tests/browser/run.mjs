#!/usr/bin/env node
// Browser smoke test: serve the repo, open tests/browser/index.html in headless Chromium (the system
// one, else the npm one: see chromium.mjs) via playwright-core, and check that the library loads there (SIMD build, crossOriginIsolated) and
// computes the same numbers as in Node on the same seeded inputs. Chromium accepts relaxed SIMD, so
// its default backend is the relaxed (FMA) build; Node 20 needs a V8 flag for it, set below before
// any module is compiled, so both sides run the same build. The plain SIMD build is compared too:
// it must give the same bits in both engines. Then bit-identity.mjs: threaded op outputs in a Worker of
// the isolated page hash the same as Node's on 2 threads and 1, on the relaxed and SIMD builds.
//
//   node tests/browser/run.mjs          (needs `npm run build` first: dist/ and build/*.wasm)
//   CHROMIUM=/path/to/chrome  BROWSER_TEST_VERBOSE=1  to override the browser / log requests;
//   SIMDNET_NO_SYSTEM_CHROMIUM=1 to use the npm Chromium even where a system one exists.
//
// Exits 0 only if every check passed; prints "browser: N passed, M failed" last.

import { existsSync } from "node:fs";
import v8 from "node:v8";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startServer } from "./server.mjs";
import { runCases } from "./cases.mjs";
import { launchChromium } from "./chromium.mjs";
import { checkSuite } from "./checks.mjs";
import { browserBitIdentity, checkBitIdentity, nodeBitIdentity } from "./bit-identity.mjs";

v8.setFlagsFromString("--experimental-wasm-relaxed-simd");

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const verbose = process.env.BROWSER_TEST_VERBOSE === "1";
const PAGE_TIMEOUT_MS = 60_000;
const TOTAL_TIMEOUT_MS = 120_000;
const RTOL = 1e-5;

const { check, finish, run } = checkSuite("browser");

/**
 * Elementwise |x - y| <= RTOL * max(|y|, 0.01 * max|y|): relative, with a floor so that entries that
 * cancel to near zero are judged against the array's scale rather than against themselves.
 */
function compare(name, got, want, rtol = RTOL) {
  if (!got || !want) return check(name, false, "missing result");
  const sameShape = JSON.stringify(got.shape) === JSON.stringify(want.shape);
  if (!sameShape || got.data.length !== want.data.length) {
    return check(name, false, `shape ${JSON.stringify(got.shape)} vs ${JSON.stringify(want.shape)}`);
  }
  let scale = 0;
  for (const y of want.data) scale = Math.max(scale, Math.abs(y));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.data.length; i++) {
    const x = got.data[i];
    const y = want.data[i];
    let e = Math.abs(x - y) / Math.max(Math.abs(y), 0.01 * scale, 1e-30);
    if (!Number.isFinite(x) || !Number.isFinite(y) || Number.isNaN(e)) e = Infinity;
    if (e > worst) { worst = e; at = i; }
  }
  check(name, worst <= rtol, `max rel err ${worst.toExponential(2)} (tol ${rtol})${worst > rtol ? ` at [${at}]: ${got.data[at]} vs ${want.data[at]}` : ""}`);
}

/** Float64 references from the inputs themselves, so Node and the browser cannot both be wrong alike. */
function refMatmul(a, b, transposeB) {
  const [m, k] = a.shape;
  const n = transposeB ? b.shape[0] : b.shape[1];
  const data = new Array(m * n).fill(0);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a.data[i * k + p] * (transposeB ? b.data[j * k + p] : b.data[p * n + j]);
      data[i * n + j] = s;
    }
  return { shape: [m, n], data };
}
// simdnet's causal mask is aligned bottom-right: row i of [rows, cols] sees columns j <= i + (cols - rows).
function refSoftmaxCausal(x) {
  const [r, c] = x.shape;
  const data = new Array(r * c).fill(0);
  for (let i = 0; i < r; i++) {
    const len = Math.max(0, Math.min(i + 1 + c - r, c));
    let mx = -Infinity;
    for (let j = 0; j < len; j++) mx = Math.max(mx, x.data[i * c + j]);
    let s = 0;
    for (let j = 0; j < len; j++) s += Math.exp(x.data[i * c + j] - mx);
    for (let j = 0; j < len; j++) data[i * c + j] = Math.exp(x.data[i * c + j] - mx) / s;
  }
  return { shape: [r, c], data };
}

async function main() {
  const distEntry = join(root, "dist/index.js");
  if (!existsSync(distEntry)) throw new Error(`${distEntry} is missing: run \`npm run build\` first`);

  // Node side first: same cases, same inputs.
  const sd = await import(pathToFileURL(distEntry).href);
  await sd.init();
  const nodeResults = await runCases(sd);
  const nodeBits = await nodeBitIdentity(sd);

  const server = await startServer(root, { log: verbose ? (l) => console.log(`  [http] ${l}`) : undefined });
  let launched;
  const problems = [];
  try {
    launched = await launchChromium();
    console.log(`  chromium: ${launched.browser.executablePath} (${launched.browser.origin})`);
    const { context } = launched;
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("console", (msg) => {
      if (verbose) console.log(`  [console.${msg.type()}] ${msg.text()}`);
      if (msg.type() === "error") problems.push(`console error: ${msg.text()} (${msg.location()?.url ?? "?"})`);
    });
    page.on("requestfailed", (req) => problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));
    page.on("response", (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.url()}`);
    });

    const url = `${server.url}/tests/browser/index.html`;
    const response = await page.goto(url, { timeout: PAGE_TIMEOUT_MS });
    check("page loads", response?.status() === 200, `HTTP ${response?.status()}`);
    const headers = response?.headers() ?? {};
    await page.waitForFunction(() => window.__done === true, null, { timeout: PAGE_TIMEOUT_MS });
    const { results, error } = await page.evaluate(() => ({ results: window.__results, error: window.__error }));
    check("page ran without throwing", !error && !!results, error ?? "");
    for (const file of ["simdnet.relaxed.wasm", "simdnet.wasm", "simdnet.scalar.wasm"]) {
      const wasmResponse = server.requests.find((r) => r.url.endsWith(`/build/${file}`));
      check(
        `build/${file} was fetched over HTTP as application/wasm`,
        wasmResponse?.status === 200 && wasmResponse.type === "application/wasm",
        wasmResponse ? `HTTP ${wasmResponse.status}, ${wasmResponse.type}` : "never requested",
      );
    }
    check("COOP/COEP headers served", headers["cross-origin-opener-policy"] === "same-origin" && headers["cross-origin-embedder-policy"] === "require-corp");

    if (results) {
      const b = results;
      check("crossOriginIsolated", b.page.crossOriginIsolated === true && b.page.sharedArrayBuffer === true);
      check("backendInfo() reports SIMD in the browser", b.info.simd === true, `simd=${b.info.simd}, reason: ${b.info.reason}`);
      check("the default build in Chromium is relaxed SIMD", b.info.build === "relaxed", `build=${b.info.build}, reason: ${b.info.reason}`);
      check("Node (with the flag) picked the same build", nodeResults.info.build === b.info.build, `Node: ${nodeResults.info.build}`);
      compare("plain SIMD build matmul: browser = Node, bit for bit", b.simdMatmul, nodeResults.simdMatmul, 0);
      compare("plain SIMD build attention: browser = Node, bit for bit", b.simdAttention, nodeResults.simdAttention, 0);
      check("scalar backend reports no SIMD", b.scalarInfo.simd === false, `simd=${b.scalarInfo.simd}, reason: ${b.scalarInfo.reason}`);
      for (const k of ["a", "b", "bt", "x"]) compare(`randn input ${k} identical in browser and Node`, b.inputs[k], nodeResults.inputs[k], 0);
      compare("matmul 33×65·65×17: browser = Node", b.matmul, nodeResults.matmul);
      compare("matmul 33×65·(17×65)ᵀ transposeB: browser = Node", b.matmulTransposeB, nodeResults.matmulTransposeB);
      compare("softmax 5×7 causal: browser = Node", b.softmaxCausal, nodeResults.softmaxCausal);
      compare("attention [2,6,8] causal: browser = Node", b.attentionCausal, nodeResults.attentionCausal);
      compare("scalar build matmul (browser) = SIMD matmul (Node)", b.scalarMatmul, nodeResults.matmul);
      compare("scalar build matmul: browser = Node", b.scalarMatmul, nodeResults.scalarMatmul);
      compare("matmul = float64 reference", b.matmul, refMatmul(b.inputs.a, b.inputs.b, false), 1e-4);
      compare("matmul transposeB = float64 reference", b.matmulTransposeB, refMatmul(b.inputs.a, b.inputs.bt, true), 1e-4);
      compare("softmax causal = float64 reference", b.softmaxCausal, refSoftmaxCausal(b.inputs.x), 1e-5);
      compare("NeuralNetwork training losses: browser = Node", b.mlpLosses, nodeResults.mlpLosses, 1e-6);
      check("NeuralNetwork safetensors save → load predicts identically", b.mlpReload.same === true);
      check("readIdx of a gzipped IDX file", JSON.stringify(b.idx) === JSON.stringify({ shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }), JSON.stringify(b.idx));
      check("no tensors leaked in the browser", b.memoryAfter.numTensors === 0, `numTensors=${b.memoryAfter.numTensors}`);
      console.log(`  browser: ${b.page.userAgent}`);
      console.log(`  browser backend: ${JSON.stringify({ build: b.info.build, simd: b.info.simd, reason: b.info.reason })}`);
    }

    // Threads: the same ops in a Worker of this isolated page and in Node, hashed (bit-identity.mjs).
    checkBitIdentity(check, nodeBits, await browserBitIdentity(root, context, server.url, PAGE_TIMEOUT_MS));
  } finally {
    await launched?.close();
    await server.close();
  }
  check("no page errors, console errors or failed requests", problems.length === 0, problems.join("; "));
}

await run(main, TOTAL_TIMEOUT_MS);
