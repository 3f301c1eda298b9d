// Threaded results in the browser equal Node's bit for bit (issue 12). The harness half of the test that
// run.mjs runs: the shared cases (bit-identity-cases.mjs) on Node with 2 threads and 1, and in Chromium in
// a Worker of a cross-origin-isolated page with BROWSER_THREADS threads, on each build; then one check per
// build and comparison, naming the cases whose hashes differ.

import { rmSync } from "node:fs";
import { join } from "node:path";
import { BIT_IDENTITY_BUILDS, runBitIdentityCases, SPLIT_EVERYTHING } from "./bit-identity-cases.mjs";

const BROWSER_THREADS = 2;
const BUNDLE_DIR = "build/browser-test"; // two folders below the root, like dist/<dir>/: see the worker's imports

/** { [build]: { 1: run, 2: run } } on Node, each on a fresh backend disposed afterwards. */
export async function nodeBitIdentity(sd) {
  const runs = {};
  for (const build of BIT_IDENTITY_BUILDS) {
    runs[build] = {};
    for (const threads of [2, 1]) {
      const backend = await sd.createBackend({ build, threads, parallelThresholds: SPLIT_EVERYTHING });
      try {
        runs[build][threads] = await runBitIdentityCases(sd, backend);
      } finally {
        backend.dispose();
      }
    }
  }
  return runs;
}

/**
 * Bundle the Worker and the pool's worker into build/browser-test/ (the library's new URL("../../build/…")
 * then still points at build/), open the page, and return what the Worker posted. Removes the bundle.
 */
export async function browserBitIdentity(root, context, serverUrl, timeoutMs) {
  const { build } = await import("esbuild");
  const outdir = join(root, BUNDLE_DIR);
  try {
    await build({
      absWorkingDir: root,
      entryPoints: {
        "bit-identity-worker": "tests/browser/bit-identity-worker.mjs",
        // The pool spawns new Worker(new URL("./worker-browser.js", import.meta.url)): next to the bundle.
        "worker-browser": "dist/runtime/pool/worker-browser.js",
      },
      outdir, bundle: true, format: "esm", platform: "browser", target: "es2022", logLevel: "warning",
    });
    const page = await context.newPage();
    try {
      await page.goto(`${serverUrl}/tests/browser/bit-identity.html?threads=${BROWSER_THREADS}`, { timeout: timeoutMs });
      await page.waitForFunction(() => window.__done === true, null, { timeout: timeoutMs });
      return await page.evaluate(() => window.__bitIdentity);
    } finally {
      await page.close();
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Names (and output indices) of the cases whose hashes differ, or whose lists differ in length. */
function differences(got, want) {
  const out = [];
  if (got.cases.length !== want.cases.length) out.push(`${got.cases.length} cases vs ${want.cases.length}`);
  got.cases.forEach((c, i) => {
    const w = want.cases[i];
    if (!w || c.name !== w.name) return out.push(`case ${i} is "${c.name}" vs "${w?.name}"`);
    const bad = c.hashes.map((h, j) => (h === w.hashes[j] && c.sizes[j] === w.sizes[j] ? -1 : j)).filter((j) => j >= 0);
    if (bad.length > 0 || c.hashes.length !== w.hashes.length) out.push(`${c.name} [output ${bad.join(", ")}]`);
  });
  return out;
}

function summary(list) {
  return list.length === 0 ? "" : `${list.length} differ: ${list.slice(0, 6).join("; ")}${list.length > 6 ? "; …" : ""}`;
}

/** The checks, through run.mjs's `check`. */
export function checkBitIdentity(check, node, browser) {
  check("bit identity: the Worker page ran without throwing", browser && !browser.error, browser ? browser.error ?? "" : "no result");
  if (!browser || browser.error) return;
  check("bit identity: the Worker's page is cross-origin isolated", browser.crossOriginIsolated === true);
  for (const [i, build] of BIT_IDENTITY_BUILDS.entries()) {
    const b = browser.runs[i];
    const [n2, n1] = [node[build][2], node[build][1]];
    const outputs = n1.cases.reduce((s, c) => s + c.hashes.length, 0);
    check(`bit identity (${build}): the browser ran ${build} on ≥ 2 threads in a Worker`, b.info.build === build && b.info.threads >= 2, `${b.info.build}, ${b.info.threads} threads: ${b.info.threadsReason}`);
    check(`bit identity (${build}): Node ran 2 threads and 1`, n2.info.threads === 2 && n1.info.threads === 1, `${n2.info.threadsReason} / ${n1.info.threadsReason}`);
    const jobs = (run) => run.cases.reduce((s, c) => s + c.jobs, 0);
    check(`bit identity (${build}): the threaded runs split work (pool jobs: browser ${jobs(b)}, Node ${jobs(n2)}), case by case alike`,
      jobs(n2) > 100 && b.cases.every((c, j) => c.jobs === n2.cases[j]?.jobs), `cases with jobs: ${n2.cases.filter((c) => c.jobs > 0).length}/${n2.cases.length}`);
    const one = differences(n2, n1);
    check(`bit identity (${build}): Node 2 threads = Node 1 thread, ${n1.cases.length} cases, ${outputs} outputs`, one.length === 0, summary(one));
    const cross = differences(b, n2);
    check(`bit identity (${build}): Chromium ${b.info.threads} threads = Node 2 threads, ${n1.cases.length} cases, ${outputs} outputs`, cross.length === 0, summary(cross));
    check(`bit identity (${build}): no tensors leaked (browser, Node 2, Node 1)`, b.leakedTensors === 0 && n2.leakedTensors === 0 && n1.leakedTensors === 0, `${b.leakedTensors}, ${n2.leakedTensors}, ${n1.leakedTensors}`);
  }
}
