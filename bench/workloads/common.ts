// What every workload module does alike: one simdnet impl per build (each makes its backend current
// before its turn, and its tensors live on that backend), the "from JS arrays" twins of the best
// builds, the peers' impls or their error rows, and the skip rule for calls predicted to be far too slow.

import * as sd from "../../src/index.js";
import { fromArraysColumn, message, PEER_NAMES, suite, type BenchContext, type Build } from "../harness/context.js";
import type { Impl, Workload } from "../harness/types.js";
import type { Peer, PeerImpl } from "../peers/types.js";

export type LiveBuild = Build & { backend: sd.Backend };

/** A new workload with the error rows of the simdnet builds that did not load. */
export function newWorkload(ctx: BenchContext, w: Omit<Workload, "impls" | "errors">): Workload {
  return { ...w, impls: [], errors: ctx.buildErrors() };
}

/** What a workload's setup gives for one build. */
export interface BuildSetup {
  run: () => void;
  result?: () => Float32Array;
  dispose?: () => void;
  label?: string;
  variant?: string;
  /**
   * The op's input tensors with their Float32Array data and its output tensor: then the best one-thread
   * build and each threaded build also get a "from JS arrays" row (peer suite), which per call copies
   * the inputs in from the Float32Arrays, runs, and copies the output out into a Float32Array, as the
   * peers that take and return JS arrays do.
   */
  arrays?: { inputs: [sd.Tensor, Float32Array][]; output: sd.Tensor };
}

/** One impl per loaded build: `setup` runs with the build's backend current and returns run/result. */
export function addBuilds(ctx: BenchContext, w: Workload, setup: (b: LiveBuild) => BuildSetup): void {
  for (const b of ctx.liveBuilds) {
    sd.setBackend(b.backend);
    const s = setup(b);
    const before = async (): Promise<void> => sd.setBackend(b.backend);
    w.impls.push({ label: s.label ?? b.label, column: b.label, kind: b.kind, variant: s.variant, run: s.run, result: s.result, dispose: s.dispose, before });
    const threaded = b.backend.info().threads > 1;
    if (s.arrays && suite === "peers" && (b === ctx.best || threaded)) {
      const { inputs, output } = s.arrays;
      const out = new Float32Array(output.size);
      const run = (): void => {
        for (const [t, data] of inputs) t.view().set(data);
        s.run();
        out.set(output.view());
      };
      w.impls.push({ label: `${b.label}, JS arrays`, column: fromArraysColumn(threaded ? b.label : undefined), kind: b.kind, variant: "JS arrays", run, result: () => out, before });
    }
  }
}

export function peerImpl(p: Peer, impl: PeerImpl, label = p.name): Impl {
  return { label, column: p.name, kind: "peer", ...impl };
}

/** The peers' impls for one workload, or their error rows. `make` returns undefined when the peer has no adapter. */
export async function addPeers(
  ctx: BenchContext, w: Workload, make: (p: Peer) => Impl | Impl[] | undefined, skip?: (p: Peer) => string | undefined,
  kind: keyof NonNullable<Peer["unsupported"]> | undefined = w.kind as keyof NonNullable<Peer["unsupported"]>,
): Promise<void> {
  for (const name of PEER_NAMES) {
    const err = ctx.peerErrors.get(name);
    const p = ctx.peers.find((x) => x.name === name);
    const why = err ?? (p && kind ? p.unsupported?.[kind] && `not run: ${p.unsupported[kind]}` : undefined) ?? (p ? skip?.(p) : undefined);
    if (why || !p) {
      w.errors.push({ label: name, kind: "peer", error: why ?? "not loaded" });
      continue;
    }
    try {
      await p.activate?.();
      const impl = make(p);
      if (!impl) w.errors.push({ label: name, kind: "peer", error: "not run: no adapter for this workload" });
      else w.impls.push(...(Array.isArray(impl) ? impl : [impl]));
    } catch (e) {
      w.errors.push({ label: name, kind: "peer", error: `setup failed: ${message(e)}` });
    }
  }
}
