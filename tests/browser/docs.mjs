#!/usr/bin/env node
// The README's code examples, unchanged but for the shortenings their markers declare (see
// tests/helpers/doc-examples.mjs), run in headless Chromium the way a page without a bundler loads
// the package: an import map names "simdnet" (dist/index.js) and its browser platform module, and
// the example is the page's module script. Each must finish without a page error, console error or
// failed request, and print what its marker expects. Examples marked nodeOnly are skipped here, with their reason printed.
//
//   node tests/browser/docs.mjs     (needs `npm run build` first)

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { docExamples, toJavaScript } from "../helpers/doc-examples.mjs";
import { launchChromium } from "./chromium.mjs";
import { checkSuite } from "./checks.mjs";
import { startServer } from "./server.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TIMEOUT_MS = 180_000;
const { check, finish, run } = checkSuite("docs-browser");

const IMPORT_MAP = JSON.stringify({ imports: { simdnet: "/dist/index.js", "#simdnet/platform": "/dist/runtime/platform/browser.js" } });

async function main() {
  const examples = docExamples().filter((e) => e.id.startsWith("README.md"));
  const server = await startServer(root);
  const launched = await launchChromium();
  console.log(`  chromium: ${launched.browser.executablePath} (${launched.browser.origin})`);
  try {
    for (const example of examples) {
      if (example.options.skip || example.options.nodeOnly) {
        console.log(`skip ${example.id}: ${example.options.why}`);
        continue;
      }
      const page = await launched.context.newPage();
      const problems = [];
      const printed = [];
      page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
      page.on("console", (msg) => (msg.type() === "error" ? problems.push(`console error: ${msg.text()}`) : printed.push(msg.text())));
      page.on("requestfailed", (req) => problems.push(`request failed: ${req.url()}`));
      page.on("response", (res) => res.status() >= 400 && problems.push(`HTTP ${res.status()} for ${res.url()}`));
      try {
        await page.goto(`${server.url}/tests/browser/index.html?blank`, { waitUntil: "commit" });
        const code = (await toJavaScript(example)) + "\nwindow.__exampleDone = true;\n";
        await page.setContent(`<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module">${code.replace(/<\/script/gi, "<\\/script")}</script>`);
        await page.waitForFunction(() => window.__exampleDone === true || undefined, null, { timeout: TIMEOUT_MS }).catch((e) => problems.push(`did not finish: ${e.message.split("\n")[0]}`));
        const expect = example.options.expect ? new RegExp(example.options.expect, "m") : undefined;
        if (expect && !printed.some((line) => expect.test(line))) problems.push(`nothing printed matches /${example.options.expect}/`);
        check(`${example.id} runs in Chromium${expect ? ` and prints /${example.options.expect}/` : ""}`, problems.length === 0, problems.join("; ") || `printed ${printed.length} line(s), last: ${(printed.at(-1) ?? "").slice(0, 80)}`);
      } finally {
        await page.close();
      }
    }
  } finally {
    await launched.close();
    await server.close();
  }
}

await run(main); // no overall timer: each example's page wait is bounded by TIMEOUT_MS
