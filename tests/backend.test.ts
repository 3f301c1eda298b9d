import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BackendMismatchError, OutOfMemoryError, WasmLoadError, add, backendInfo, createBackend,
  engineSupportsRelaxedSimd, engineSupportsSimd, init, memory, setBackend, tensor, zeros,
} from "../src/index.js";
import { execFileSync } from "node:child_process";

describe("init and backendInfo", () => {
  it("picks the relaxed-SIMD build where the engine accepts it and says why", async () => {
    expect(engineSupportsSimd()).toBe(true); // Node 20 has SIMD128
    expect(engineSupportsRelaxedSimd()).toBe(true); // vitest.config.ts passes --experimental-wasm-relaxed-simd
    const info = await init();
    expect(info.build).toBe("relaxed");
    expect(info.simd).toBe(true);
    expect(info.reason).toMatch(/relaxed SIMD/);
    expect(info.source).toMatch(/build\/simdnet\.relaxed(\.shared)?\.wasm$/);
    expect(backendInfo()).toEqual({ ...info, memoryBytes: backendInfo().memoryBytes });
  });

  it("picks the plain SIMD build where relaxed SIMD is off (Node 20 without the flag)", () => {
    // A child Node without --experimental-wasm-relaxed-simd, loading the compiled package (npm test builds dist/).
    const script = 'import { init } from "./dist/index.js"; console.log(JSON.stringify(await init()));';
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: new URL("..", import.meta.url), encoding: "utf8", execArgv: [],
    } as Parameters<typeof execFileSync>[2] & { encoding: "utf8" });
    const info = JSON.parse(out) as { build: string; reason: string; source: string };
    expect(info.build).toBe("simd");
    expect(info.reason).toMatch(/supports SIMD128 but not relaxed SIMD/);
    expect(info.source).toMatch(/build\/simdnet(\.shared)?\.wasm$/);
  });

  it("builds can be requested by name, and a missing one is a clear error", async () => {
    expect((await init({ build: "simd" })).source).toMatch(/build\/simdnet(\.shared)?\.wasm$/);
    expect((await init({ simd: true })).build).toBe("simd");
    await expect(init({ build: "avx512" as never })).rejects.toThrow(/build must be "relaxed", "simd" or "scalar", got "avx512"/);
  });

  it("forces the scalar build with simd: false", async () => {
    const info = await init({ simd: false });
    expect(info.build).toBe("scalar");
    expect(info.reason).toMatch(/simd: false/);
    expect(info.source).toMatch(/simdnet\.scalar(\.shared)?\.wasm$/);
    expect(tensor([1, 2]).toArray()).toEqual([1, 2]);
  });

  it("loads from bytes given by the caller", async () => {
    const { readFile } = await import("node:fs/promises");
    const bytes = await readFile(new URL("../build/simdnet.wasm", import.meta.url));
    const b = await createBackend({ wasm: bytes });
    expect(b.info().source).toMatch(/bytes given in memory/);
  });
});

describe("load errors", () => {
  it("a missing file is a WasmLoadError with the path and a hint", async () => {
    const missing = join(tmpdir(), "does-not-exist.wasm");
    await expect(createBackend({ wasm: missing })).rejects.toThrow(WasmLoadError);
    await expect(createBackend({ wasm: missing })).rejects.toThrow(/does-not-exist\.wasm: ENOENT \(missing: run `npm run build`/);
  });

  it("a file that is not Wasm is named, with its first bytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simdnet-"));
    const file = join(dir, "fake.wasm");
    writeFileSync(file, "<html>not wasm</html>");
    await expect(createBackend({ wasm: file })).rejects.toThrow(/fake\.wasm is not a WebAssembly module: it starts with bytes \[3c 68 74 6d\]/);
    await expect(createBackend({ wasm: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]) })).rejects.toThrow(/failed to compile/);
  });

  it("a Wasm module that is not simdnet's names the missing kernels", async () => {
    const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    await expect(createBackend({ wasm: empty })).rejects.toThrow(/lacks kernels heap_base, build_kind, dot_f32/);
  });

  it("bad memory options are refused", async () => {
    await expect(createBackend({ initialMemoryMB: 64, maxMemoryMB: 32 })).rejects.toThrow(/initialMemoryMB <= maxMemoryMB/);
  });
});

describe("backends side by side", () => {
  it("tensors of different backends cannot be mixed, and ops run on their inputs' backend", async () => {
    const simd = await createBackend({ simd: true });
    const scalar = await createBackend({ simd: false });
    setBackend(simd);
    const a = tensor([1, 2, 3]);
    setBackend(scalar);
    const b = tensor([1, 2, 3]);
    expect(() => add(a, b)).toThrow(BackendMismatchError);
    const sum = add(a, a); // runs on simd although scalar is current
    expect(sum.backend).toBe(simd);
    expect(sum.toArray()).toEqual([2, 4, 6]);
    for (const t of [a, b, sum]) t.dispose();
  });
});

describe("out of memory", () => {
  it("throws OutOfMemoryError naming the request at the cap, and the backend stays usable", async () => {
    const small = await createBackend({ initialMemoryMB: 1, maxMemoryMB: 8 });
    setBackend(small);
    const keepMe = tensor([1, 2, 3]);
    expect(() => zeros([4 * 1024 * 1024])).toThrow(OutOfMemoryError);
    expect(() => zeros([4 * 1024 * 1024])).toThrow(/request of 16777216 bytes/);
    expect(keepMe.toArray()).toEqual([1, 2, 3]);
    const ok = zeros([1024 * 1024]);
    expect(ok.size).toBe(1024 * 1024);
    ok.dispose();
    keepMe.dispose();
    expect(memory().numTensors).toBe(0);
  });
});
