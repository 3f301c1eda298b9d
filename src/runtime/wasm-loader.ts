// Finding, reading and compiling the kernel module, in Node and in browsers.
//
// The .wasm files live in the package's build/ folder. Both src/runtime/ (tests, tsx) and
// dist/runtime/ (the published JS) sit two levels below the package root, so one relative URL from
// import.meta.url finds them in every layout. Each URL is written out as a literal
// `new URL("…", import.meta.url)` so that bundlers (esbuild, Vite, webpack) see it and emit the file
// as an asset; a CDN user can still pass `wasm` explicitly.

import { platform } from "#simdnet/platform";
import { WasmLoadError } from "./errors.js";
import type { HostUrl, WasmModule } from "./host-types.js";

export type WasmSource = string | HostUrl | ArrayBuffer | ArrayBufferView | WasmModule;

export const WASM_FILES = { relaxed: "simdnet.relaxed.wasm", simd: "simdnet.wasm", scalar: "simdnet.scalar.wasm" } as const;

/** The three builds of the kernel module: SIMD128 + relaxed SIMD (fused multiply-add), SIMD128, and scalar. */
export type BuildName = keyof typeof WASM_FILES;

/** The same three builds declaring a shared imported memory, for the worker pool (asconfig "*-shared" targets). */
export const SHARED_WASM_FILES: Record<BuildName, string> = {
  relaxed: "simdnet.relaxed.shared.wasm", simd: "simdnet.shared.wasm", scalar: "simdnet.scalar.shared.wasm",
};

// Each URL is a literal `new URL("…", import.meta.url)` so that bundlers (Vite, webpack 5) see and emit the file.
export function defaultWasmUrl(build: keyof typeof WASM_FILES, shared = false): HostUrl {
  if (shared) {
    switch (build) {
      case "relaxed":
        return new URL("../../build/simdnet.relaxed.shared.wasm", import.meta.url);
      case "simd":
        return new URL("../../build/simdnet.shared.wasm", import.meta.url);
      case "scalar":
        return new URL("../../build/simdnet.scalar.shared.wasm", import.meta.url);
    }
  }
  switch (build) {
    case "relaxed":
      return new URL("../../build/simdnet.relaxed.wasm", import.meta.url);
    case "simd":
      return new URL("../../build/simdnet.wasm", import.meta.url);
    case "scalar":
      return new URL("../../build/simdnet.scalar.wasm", import.meta.url);
  }
}

// (module (func (result v128) (v128.const i32x4 0 0 0 0))): validates only where SIMD128 exists.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, // code: body of 20 bytes, no locals, v128.const
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0x0b, // end
]);

export function engineSupportsSimd(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

// (module (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0)))):
// validates only where the relaxed-SIMD proposal is enabled (Chromium ≥ 114, Node ≥ 22; Node 20 needs
// --experimental-wasm-relaxed-simd).
const V128_ZERO = [0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const RELAXED_BODY = [0x00, ...V128_ZERO, ...V128_ZERO, ...V128_ZERO, 0xfd, 0x85, 0x02, 0x0b];
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, RELAXED_BODY.length + 2, 0x01, RELAXED_BODY.length, ...RELAXED_BODY,
]);

export function engineSupportsRelaxedSimd(): boolean {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";

type ByteSource = string | URL | ArrayBuffer | ArrayBufferView;

// WebAssembly.Module is structurally empty to TypeScript, so `instanceof` would narrow every other
// source type away; a tag check keeps the union intact.
function isModule(source: WasmSource): boolean {
  return Object.prototype.toString.call(source) === "[object WebAssembly.Module]";
}

function describe(source: WasmSource): string {
  if (typeof source === "string") return source;
  if (isModule(source)) return "a WebAssembly.Module";
  if (source instanceof URL) return source.href;
  return `${(source as ArrayBuffer).byteLength} bytes given in memory`;
}

/** Compile a module from a URL, a path (Node), bytes, or pass through an already compiled Module. */
export async function compileWasm(source: WasmSource): Promise<{ module: WasmModule; origin: string }> {
  const origin = describe(source);
  if (isModule(source)) return { module: source as WebAssembly.Module, origin };
  const bytes = await readBytes(source as ByteSource, origin);
  const magic = [0x00, 0x61, 0x73, 0x6d];
  if (bytes.byteLength < 8 || magic.some((b, i) => bytes[i] !== b)) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new WasmLoadError(`${origin} is not a WebAssembly module: it starts with bytes [${head}], not the magic "\\0asm" (${bytes.byteLength} bytes)`);
  }
  try {
    return { module: await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>), origin };
  } catch (cause) {
    throw new WasmLoadError(`${origin} failed to compile: ${(cause as Error).message}`, { cause });
  }
}

async function readBytes(source: ByteSource, origin: string): Promise<Uint8Array> {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  const url = source instanceof URL ? source : toUrl(source);
  try {
    return await platform.readUrl(url);
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    const where = url.protocol === "file:" ? `read the kernel module ${platform.describeUrl(url)}` : `fetch the kernel module ${origin}`;
    const hint = code === "ENOENT" ? " (missing: run `npm run build` to compile the kernels)" : "";
    throw new WasmLoadError(`cannot ${where}: ${code ?? (cause as Error).message}${hint}`, { cause });
  }
}

function toUrl(pathOrUrl: string): URL {
  if (/^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl) && !/^[a-z]:[\\/]/i.test(pathOrUrl)) return new URL(pathOrUrl);
  if (isNode) {
    // A plain filesystem path, resolved against the working directory as Node users expect.
    const abs = pathOrUrl.startsWith("/") ? pathOrUrl : `${process.cwd()}/${pathOrUrl}`;
    return new URL(`file://${abs.replace(/\\/g, "/")}`);
  }
  return new URL(pathOrUrl, globalThis.location?.href);
}
