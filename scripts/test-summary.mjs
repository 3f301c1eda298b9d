#!/usr/bin/env node
// Reads the output of `npm test` (as-pect, vitest, the browser test) on stdin and prints one closing
// line with the totals, "all: N passed, M failed", so a CI log says in one place how many tests ran.
import { readFileSync } from "node:fs";

const log = readFileSync(0, "utf8").replace(/\x1b\[[0-9;]*m/g, "");
let passed = 0;
let failed = 0;
const found = [];

// as-pect runs twice (SIMD build, then the relaxed-SIMD build): count every run.
for (const aspect of log.matchAll(/\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/g)) {
  passed += Number(aspect[1]);
  failed += Number(aspect[2]) - Number(aspect[1]);
  found.push(`as-pect ${aspect[1]}/${aspect[2]}`);
}
const vitest = /^\s*Tests\s+(?:(\d+) failed\s*\|\s*)?(\d+) passed/m.exec(log);
if (vitest) {
  passed += Number(vitest[2]);
  failed += Number(vitest[1] ?? 0);
  found.push(`vitest ${vitest[2]} passed${vitest[1] ? `, ${vitest[1]} failed` : ""}`);
}
// tests/browser/run.mjs prints "browser: …", bundle.mjs "bundle: …", docs.mjs "docs-browser: …",
// web-page.mjs "web page: …".
for (const browser of log.matchAll(/^(browser|bundle|docs-browser|web page): (\d+) passed, (\d+) failed/gm)) {
  passed += Number(browser[2]);
  failed += Number(browser[3]);
  found.push(`${browser[1]} ${browser[2]} passed, ${browser[3]} failed`);
}
console.log(`(${found.join("; ") || "no test summaries found"})`);
console.log(`all: ${passed} passed, ${failed} failed`);
