// backendInfo() reports the build a module is (its build_kind export), not the one asked for, and on
// Node 20 says how to get the relaxed build. The child-process cases load the compiled package
// (dist/, built by `npm test`), in a Node started without --experimental-wasm-relaxed-simd.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { WasmLoadError, init, memory, tensor, tidy, add } from "../src/index.js";

const wasm = (file: string) => fileURLToPath(new URL(`../build/${file}`, import.meta.url));

describe("backendInfo() with init({ wasm })", () => {
  it.each([
    ["simdnet.wasm", "simd", true],
    ["simdnet.scalar.wasm", "scalar", false],
    ["simdnet.relaxed.wasm", "relaxed", true],
  ] as const)("%s is reported as the %s build, whatever the engine would have picked", async (file, build, simd) => {
    const info = await init({ wasm: wasm(file) });
    expect(info.build).toBe(build);
    expect(info.simd).toBe(simd);
    expect(info.source).toBe(wasm(file));
    // The default choice here is relaxed (vitest passes the flag), so any other build was detected.
    if (build !== "relaxed") expect(info.reason).toMatch(new RegExp(`is the ${build} build`));
    const sum = tidy(() => add(tensor([1, 2, 3]), tensor([10, 20, 30])).toArray());
    expect(sum).toEqual([11, 22, 33]);
  });

  it("a module that contradicts the build asked for is refused, naming both", async () => {
    await init({ build: "simd" });
    const before = memory().numTensors;
    await expect(init({ wasm: wasm("simdnet.wasm"), build: "scalar" })).rejects.toThrow(WasmLoadError);
    await expect(init({ wasm: wasm("simdnet.scalar.wasm"), simd: true })).rejects.toThrow(
      /the simd build was requested but .*simdnet\.scalar\.wasm is the scalar build/,
    );
    // The current backend is untouched and still works.
    expect(memory().numTensors).toBe(before);
    expect(tidy(() => add(tensor([1]), tensor([2])).toArray())).toEqual([3]);
  });

  it("bytes in memory are identified too", async () => {
    const { readFileSync } = await import("node:fs");
    const info = await init({ wasm: readFileSync(wasm("simdnet.scalar.wasm")) });
    expect(info.build).toBe("scalar");
    expect(info.reason).toMatch(/is the scalar build/);
  });
});

describe("Node 20 and relaxed SIMD", () => {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const runChild = (prelude: string) => {
    const script = `${prelude} const { init } = await import("./dist/index.js"); console.log(JSON.stringify(await init()));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    return JSON.parse(out) as { build: string; reason: string };
  };
  const node20 = process.versions.node.startsWith("20.");

  it.runIf(node20)("without the flag the reason names --experimental-wasm-relaxed-simd and v8.setFlagsFromString", () => {
    const info = runChild("");
    expect(info.build).toBe("simd");
    expect(info.reason).toContain("node --experimental-wasm-relaxed-simd");
    expect(info.reason).toContain('v8.setFlagsFromString("--experimental-wasm-relaxed-simd")');
  });

  it.runIf(node20)("asking for the relaxed build without the flag is an error that says how to turn it on", () => {
    const script = 'const { init } = await import("./dist/index.js"); try { await init({ build: "relaxed" }); console.log("no error"); } catch (e) { console.log(e.name + ": " + e.message); }';
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    expect(out).toMatch(/^WasmLoadError: init: the relaxed-SIMD build was requested/);
    expect(out).toContain("--experimental-wasm-relaxed-simd");
    expect(out).toContain("v8.setFlagsFromString");
  });

  it("v8.setFlagsFromString before init() gives the relaxed build, as the README says", () => {
    const info = runChild('const v8 = await import("node:v8"); v8.setFlagsFromString("--experimental-wasm-relaxed-simd");');
    expect(info.build).toBe("relaxed");
    expect(info.reason).not.toMatch(/flag/);
  });
});
