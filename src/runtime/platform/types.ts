// What the library needs from its host that differs between Node and browsers. Two implementations,
// chosen by package.json "imports" conditions (`#simdnet/platform`): node.ts for Node, browser.ts for
// everything else, so a browser bundle never reaches a `node:` module, not even a dynamic import.
// Both files are dependency-free (no imports from the rest of the library), because under some
// resolutions (tsx, vitest without the "source" condition) they load from dist/ while their callers
// load from src/: typed errors are made by the callers, from the plain errors these throw.

import type { SpawnWorker } from "../pool/spawn.js";

export interface Platform {
  /** "node" or "browser": for messages, and for callers that must say why a Node-only loader refused. */
  readonly name: "node" | "browser";
  /**
   * The bytes at `url`: a file shipped with the package (found relative to a module's import.meta.url)
   * or any URL the host can fetch. Node reads file: URLs from disk and fetches the rest; browsers fetch.
   * Throws a plain Error (with `code` ENOENT etc. for files, or an HTTP status message) on failure.
   */
  readUrl(url: URL): Promise<Uint8Array>;
  /** How to name `url` in messages: a file path for file: URLs in Node, else the URL itself. */
  describeUrl(url: URL): string;
  /** The bytes of a local file (Node only; undefined in browsers, which have no file system). */
  readFile?: (path: string) => Promise<Uint8Array>;
  /** The names in a local directory (Node only). */
  readDir?: (path: string) => Promise<string[]>;
  /** `dir` joined with `name` by the host's path rules (Node only). */
  joinPath?: (dir: string, name: string) => string;
  /** Cores this process may use: os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers. */
  availableCores(): Promise<number>;
  /** How the worker pool starts a thread: worker_threads in Node, module Web Workers in browsers. */
  spawner(): Promise<SpawnWorker>;
}
