// The code examples in README.md and docs/*.md, extracted for tests/docs-examples.test.ts (Node) and
// tests/browser/docs.mjs (Chromium). Every ```js / ```ts fence is an example. An HTML comment right
// above a fence may adjust how it is tested, and must say why:
//
//   <!-- example-test {"replace": [["epochs: 10", "epochs: 1"]], "expect": "accuracy: 0\\.9", "why": "…"} -->
//   <!-- example-test {"nodeOnly": true, "why": "writes a file with node:fs"} -->
//   <!-- example-test {"skip": true, "why": "…"} -->
//
// "replace" shortens long runs (DOCS_EXAMPLES_FULL=1 runs the examples as written); "expect" is a
// regular expression the printed output must match.

import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function markdownFiles() {
  const docs = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => join(ROOT, "docs", f));
  return [join(ROOT, "README.md"), ...docs];
}

/**
 * Every example: { id ("README.md:42"), file, line, lang, code (as written), testCode (replacements
 * applied unless full), options }. Throws on a marker that is not JSON, has no "why", or whose
 * replacement text is not in the example (so markers cannot silently rot).
 */
export function docExamples({ full = process.env.DOCS_EXAMPLES_FULL === "1" } = {}) {
  const examples = [];
  for (const file of markdownFiles()) {
    const lines = readFileSync(file, "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(js|ts|javascript|typescript)\s*$/.exec(lines[i]);
      if (!open) continue;
      const end = lines.indexOf("```", i + 1);
      if (end < 0) throw new Error(`${relative(ROOT, file)}:${i + 1}: unclosed code fence`);
      const code = lines.slice(i + 1, end).join("\n") + "\n";
      const id = `${relative(ROOT, file)}:${i + 1}`;
      let options = {};
      const marker = /^<!-- example-test (.*) -->$/.exec(lines[i - 1] ?? "");
      if (marker) {
        try {
          options = JSON.parse(marker[1]);
        } catch (cause) {
          throw new Error(`${id}: the example-test marker is not JSON: ${marker[1]}`, { cause });
        }
        if (typeof options.why !== "string" || options.why.length < 10) throw new Error(`${id}: the example-test marker must say why`);
      }
      let testCode = code;
      for (const [from, to] of full ? [] : options.replace ?? []) {
        if (!testCode.includes(from)) throw new Error(`${id}: the marker replaces ${JSON.stringify(from)}, which the example does not contain`);
        testCode = testCode.split(from).join(to);
      }
      examples.push({ id, file, line: i + 1, lang: open[1].startsWith("t") ? "ts" : "js", code, testCode, options });
      i = end;
    }
  }
  return examples;
}

/** The example as plain JavaScript (TypeScript blocks lose their types through esbuild). */
export async function toJavaScript(example) {
  if (example.lang === "js") return example.testCode;
  const { transform } = await import("esbuild");
  return (await transform(example.testCode, { loader: "ts", format: "esm", target: "es2022" })).code;
}
