// Development bootstrap: under vitest/tsx the pool runs from src/, where the worker is TypeScript,
// and Node 20 cannot start a .ts file as a worker. Register tsx's loader in this thread, then load
// the real entry. The published package starts dist/runtime/pool/worker-node.js directly.
import { register } from "tsx/esm/api";

register();
await import("./worker-node.ts");
