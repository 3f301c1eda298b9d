// Every ```js / ```ts example in README.md and docs/*.md runs, as a user would run it: saved as an
// .mjs file in a scratch app whose node_modules/simdnet is this package (dist/, built by npm test),
// executed by a fresh Node. Markers above a fence (see helpers/doc-examples.mjs) may shorten long runs
// and say what the output must show; tests/browser/docs.mjs runs the same examples in Chromium.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, docExamples, toJavaScript } from "./helpers/doc-examples.mjs";

const examples = docExamples();
const app = mkdtempSync(join(tmpdir(), "simdnet-docs-"));
mkdirSync(join(app, "node_modules"));
symlinkSync(ROOT, join(app, "node_modules", "simdnet"), "dir");
afterAll(() => rmSync(app, { recursive: true, force: true }));

function runNode(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd: app, timeout: 240_000, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("code examples in the docs", () => {
  it("finds the examples: three in the README, one in docs/MLP.md", () => {
    expect(examples.filter((e) => e.id.startsWith("README.md")).length).toBeGreaterThanOrEqual(3);
    expect(examples.some((e) => e.id.startsWith("docs/MLP.md"))).toBe(true);
  });

  for (const example of examples) {
    const run = example.options.skip ? it.skip : it;
    run(`${example.id} runs in Node${example.options.expect ? ` and prints /${example.options.expect}/` : ""}`, async () => {
      const file = join(app, `${example.id.replace(/[^A-Za-z0-9]+/g, "_")}.mjs`);
      writeFileSync(file, await toJavaScript(example));
      const { code, stdout, stderr } = await runNode(file);
      expect(stderr, `${example.id} wrote to stderr`).toBe("");
      expect(code, `${example.id} exited with ${code}`).toBe(0);
      if (example.options.expect) expect(stdout).toMatch(new RegExp(example.options.expect, "m"));
    }, 300_000);
  }
});
