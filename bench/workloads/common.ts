// What every workload module does alike: one simdnet impl per build (each makes its backend current
// before its turn, and its tensors live on that backend), the peers' impls or their error rows, and
// the skip rule for calls predicted to be far too slow.

import * as sd from "../../src/index.js";
import { CFG, message, PEER_NAMES, quick, type BenchContext, type Build } from "../harness/context.js";
import type { Impl, Workload } from "../harness/types.js";
import { fmt } from "../lib/stats.js";
import type { Peer, PeerImpl } from "../peers/types.js";

export type LiveBuild = Build & { backend: sd.Backend };

/** A new workload with the error rows of the simdnet builds that did not load. */
export function newWorkload(ctx: BenchContext, w: Omit<Workload, "impls" | "errors">): Workload {
  return { ...w, impls: [], errors: ctx.buildErrors() };
}

/** One impl per loaded build: `setup` runs with the build's backend current and returns run/result. */
export function addBuilds(
  ctx: BenchContext, w: Workload,
  setup: (b: LiveBuild) => { run: () => void; result?: () => Float32Array; dispose?: () => void; label?: string },
): void {
  for (const b of ctx.liveBuilds) {
    sd.setBackend(b.backend);
    const s = setup(b);
    w.impls.push({
      label: s.label ?? b.label, column: b.label, kind: b.kind, run: s.run, result: s.result, dispose: s.dispose,
      before: async () => sd.setBackend(b.backend),
    });
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

/**
 * Skip reason for an impl whose earlier, smaller run predicts a call longer than CFG.maxPredictedMs
 * (`factor` × that run's median): plain JS, tfjs-cpu and ml-matrix at GEMM n = 1024 in quick mode.
 */
export function predictedTooSlow(ctx: BenchContext, label: string, fromWorkload: string, factor: number): string | undefined {
  const r = ctx.rows.find((x) => x.workload === fromWorkload && x.impl === label && !x.error);
  if (!r) return undefined;
  const predicted = r.medianMs * factor;
  return predicted > CFG.maxPredictedMs
    ? `skipped: ${fromWorkload} took ${fmt(r.medianMs)} ms, so one call would take about ${fmt(predicted)} ms (limit ${CFG.maxPredictedMs} ms${quick ? ", quick mode" : ""})`
    : undefined;
}
