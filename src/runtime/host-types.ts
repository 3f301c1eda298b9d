// Host types that appear in public signatures (URL, WebAssembly.Module/Memory, AbortSignal), looked
// up on globalThis instead of named directly, so the published .d.ts files compile for users without
// the DOM lib (lib: ES2022 only, no @types/node): there each is `never` (a union member drops out)
// and nothing fails to resolve; with the DOM lib or @types/node they are the usual types.

type Host = typeof globalThis;
type InstanceOf<Name extends string> = Host extends { [K in Name]: { prototype: infer T } } ? T : never;
type WasmApi = Host extends { WebAssembly: infer W } ? W : never;

/** The host's URL, where it has one. */
export type HostUrl = InstanceOf<"URL">;
/** The host's AbortSignal, where it has one. */
export type HostAbortSignal = InstanceOf<"AbortSignal">;
/** A compiled WebAssembly.Module. */
export type WasmModule = WasmApi extends { Module: { prototype: infer T } } ? T : never;
/** A WebAssembly.Memory. */
export type WasmMemory = WasmApi extends { Memory: { prototype: infer T } } ? T : never;
