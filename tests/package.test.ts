// What the published package holds and says: the files npm would pack, source maps that carry their
// sources, the platform split's targets, the licence, ESM-only in the README, and docs/ that refer to
// nothing outside the repository. Needs dist/ (npm test builds it first).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

describe("the published package", () => {
  const packed = (): string[] => {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const out = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return (JSON.parse(out)[0].files as { path: string }[]).map((f) => f.path);
  };

  it("npm pack ships the code, the kernels (and their embedded copy), the data, the licence, and no sources or tests", () => {
    const files = packed();
    for (const f of [
      "LICENSE", "README.md", "dist/index.js", "dist/index.d.ts", "dist/runtime/platform/node.js", "dist/runtime/platform/browser.js",
      "build/simdnet.relaxed.wasm", "build/simdnet.wasm", "build/simdnet.scalar.wasm", "build/simdnet.inline.js",
      "data/mnist/digits-images-idx3-ubyte.gz", "data/mnist/digits-labels-idx1-ubyte.gz", "data/corpus/kjv.txt.gz",
    ]) expect(files, f).toContain(f);
    expect(files.filter((f) => f.startsWith("src/") || f.startsWith("tests/") || f.endsWith(".wat"))).toEqual([]);
  });

  it("every source map in dist/ carries the sources it maps to (src/ is not shipped)", () => {
    const maps = readdirSync(join(root, "dist"), { recursive: true }).map(String).filter((f) => f.endsWith(".js.map"));
    expect(maps.length).toBeGreaterThan(20);
    for (const f of maps) {
      const map = JSON.parse(readFileSync(join(root, "dist", f), "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(map.sourcesContent?.length, f).toBe(map.sources.length);
      expect(map.sourcesContent!.every((c) => typeof c === "string" && c.length > 0), f).toBe(true);
    }
  });

  it("#simdnet/platform resolves to existing files under both conditions, and the browser one imports no node: module", () => {
    const target = pkg.imports["#simdnet/platform"];
    for (const file of [target.node, target.default, target.source.node, target.source.default]) expect(existsSync(join(root, file)), file).toBe(true);
    expect(readFileSync(join(root, target.default), "utf8")).not.toMatch(/(?:from\s*|import\s*\(\s*)["']node:/);
    expect(readFileSync(join(root, target.node), "utf8")).toMatch(/from "node:fs\/promises"/);
  });

  it("has no runtime dependencies, and an MIT LICENSE as package.json says", () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.license).toBe("MIT");
    expect(readFileSync(join(root, "LICENSE"), "utf8")).toMatch(/^MIT License\n/);
  });

  it("no npm 6 (or any npm) in node_modules/.bin to shadow the user's npm in scripts", () => {
    expect(existsSync(join(root, "node_modules", ".bin", "npm"))).toBe(false);
  });

  it("the README says the package is ESM-only", () => {
    expect(readFileSync(join(root, "README.md"), "utf8")).toMatch(/\*\*ESM-only\*\*/);
  });
});

describe("docs/ refer to nothing outside the repository", () => {
  const docs = readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md"));

  it.each(docs)("docs/%s: links resolve inside the repo; no ../ paths that leave it", (name) => {
    const file = join(root, "docs", name);
    const text = readFileSync(file, "utf8");
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue; // web links are checked by hand
      const abs = resolve(dirname(file), target!);
      expect(abs.startsWith(root), `${name} links to ${target}`).toBe(true);
      expect(existsSync(abs), `${name} links to missing ${target}`).toBe(true);
    }
    // Paths in backticks that start with ../ must be files of the repo seen from docs/ (code such as
    // new URL("../../build/…", import.meta.url) starts with `new`, not ../, and is not matched).
    for (const [, path] of text.matchAll(/`(\.\.\/[^`\s"]*)`/g)) {
      const abs = resolve(root, "docs", path!);
      expect(abs.startsWith(root) && existsSync(abs), `${name} mentions ${path}, which is not in the repository`).toBe(true);
    }
    expect(text, `${name} mentions the machine's /work folder`).not.toMatch(/\/work\//);
  });
});
