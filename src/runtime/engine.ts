// The current backend: where tensor(), zeros(), randn() allocate. Ops do not consult it — they run
// on their inputs' backend — so switching backends never strands existing tensors.

import { Backend, type BackendInfo, type BackendOptions, type MemoryInfo } from "./backend.js";
import { NotInitializedError } from "./errors.js";

let current: Backend | undefined;

/**
 * Load the kernel module and make it the current backend. SIMD where the engine supports it,
 * else the scalar build; `init({ simd: false })` forces scalar. Calling it again makes a new backend
 * current; tensors of the old one stay valid on it.
 */
export async function init(options: BackendOptions = {}): Promise<BackendInfo> {
  current = await Backend.create(options);
  return current.info();
}

/** Make a backend without making it current (e.g. to compare SIMD and scalar in one process). */
export function createBackend(options: BackendOptions = {}): Promise<Backend> {
  return Backend.create(options);
}

export function setBackend(backend: Backend): void {
  current = backend;
}

export function getBackend(): Backend {
  if (!current) throw new NotInitializedError("simdnet is not initialised: call `await init()` before creating tensors");
  return current;
}

/**
 * Terminate the current backend's worker threads (if any). The backend stays current and usable on one
 * thread. Idle workers never keep Node alive, so scripts need not call this; it frees the threads early.
 */
export function shutdown(): void {
  current?.dispose();
}

/** What the current backend is and why it was chosen. */
export function backendInfo(): BackendInfo {
  return getBackend().info();
}

/** Live tensors and bytes of the current backend. */
export function memory(): MemoryInfo {
  return getBackend().memoryInfo();
}
