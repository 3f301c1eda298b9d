// The kernel module when init() is not told where it is: the .wasm file shipped next to the code
// (read from disk in Node, fetched in browsers), else the same module embedded as base64 in
// build/simdnet.inline.js. The fallback is what makes an esbuild bundle work with no flags and no
// copied files: esbuild emits no assets for new URL("…", import.meta.url), and its default iife
// format has no import.meta.url at all; a dev server may also answer a missing file with its HTML page.

import { WasmLoadError } from "./errors.js";
import { compileWasm, defaultWasmUrl, type BuildName } from "./wasm-loader.js";

export async function loadDefaultModule(build: BuildName): Promise<{ module: WebAssembly.Module; origin: string }> {
  let firstError: unknown;
  try {
    return await compileWasm(defaultWasmUrl(build));
  } catch (error) {
    firstError = error;
  }
  let base64: string;
  try {
    // @ts-ignore: generated JavaScript (scripts/inline-wasm.mjs) with no type declarations
    const inline = (await import("../../build/simdnet.inline.js")) as Record<BuildName, string>;
    base64 = inline[build];
  } catch {
    throw firstError; // no embedded copy either: the first error says what was missing
  }
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  try {
    const { module } = await compileWasm(bytes);
    return { module, origin: `the ${build} module embedded in simdnet.inline.js (the .wasm file was not reachable: ${(firstError as Error).message})` };
  } catch (cause) {
    throw new WasmLoadError(`the embedded ${build} module failed to compile: ${(cause as Error).message}`, { cause });
  }
}
