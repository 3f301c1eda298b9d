// The state of one kernel-bench run: the two backends (SIMD and scalar, side by side in this process)
// and the rows, checks, notes and first-call times that every part appends to.

import * as sd from "../../src/index.js";
import type { Check, Row } from "./types.js";

export interface BackendEntry {
  impl: "simd" | "scalar";
  backend: sd.Backend;
}

export class KernelContext {
  readonly rows: Row[] = [];
  readonly checks: Check[] = [];
  readonly notes: string[] = [];
  /**
   * Time of each impl's first (check) call, keyed "workload/label": slow calls get one sample per
   * round, and an impl whose first call a workload's own check already made is not run again.
   */
  readonly firstCallMs = new Map<string, number>();
  readonly backends: BackendEntry[];

  private constructor(readonly simd: sd.Backend, readonly scalar: sd.Backend) {
    this.backends = [
      { impl: "simd", backend: simd },
      { impl: "scalar", backend: scalar },
    ];
  }

  static async create(): Promise<KernelContext> {
    const simd = await sd.createBackend({ simd: true });
    const scalar = await sd.createBackend({ simd: false });
    return new KernelContext(simd, scalar);
  }

  /** Seeded normal data (the library's platform-independent generator), as a plain Float32Array. */
  randnData(shape: number[], seed: number): Float32Array {
    sd.setBackend(this.simd);
    const t = sd.randn(shape, { seed });
    const data = t.toFloat32Array();
    t.dispose();
    return data;
  }
}

/** Runs fn with `backend` current (tensors made inside live on it). */
export function onBackend<T>(backend: sd.Backend, fn: () => T): T {
  sd.setBackend(backend);
  return fn();
}
