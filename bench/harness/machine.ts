// The machine a run happened on and whether it was busy: CPU model, cores, flags, Node/V8 (from
// lib/stats.ts), the 1-min load average at the start, after every workload and at the end, this
// process's CPU time against wall time (well below 1 means something else had the core), and the
// Wasm ceiling — independent f32x4 mul+add chains (and relaxed_madd chains for the relaxed build) —
// measured at the start and at the end: a ceiling that drops over the run means load came in.

import os from "node:os";
import { loadCeiling } from "../lib/ceiling.js";
import { machineInfo, summarize, type MachineInfo } from "../lib/stats.js";
import { CFG } from "./context.js";

export interface Ceiling {
  chains: number;
  gflops: number;
}

export interface Ceilings {
  /** f32x4.mul + f32x4.add chains: the ceiling of the SIMD build (and of XNNPACK/MLAS in Wasm). */
  mulAdd: Ceiling;
  /** f32x4.relaxed_madd chains, when the engine accepts relaxed SIMD. */
  fma?: Ceiling;
}

/** The best chain count's median GFLOP/s over CFG.ceilingCalls calls of about 2 ms each. */
async function measure(fma: boolean): Promise<Ceiling> {
  let best = { chains: 0, gflops: 0 };
  let sink = 0;
  for (const chains of fma ? [8, 10, 12] : [10, 12, 13]) {
    const c = await loadCeiling(chains, fma);
    let iters = 1e5;
    const t0 = performance.now();
    sink += c.run(iters);
    iters = Math.max(1000, Math.round((iters * 2) / Math.max(performance.now() - t0, 0.01)));
    // Warm-up: V8 first runs a new module's code from its baseline compiler (Liftoff) and swaps in the
    // optimized code in the background; without this the start-of-run ceiling read Liftoff speed
    // (23 vs 32 GFLOP/s on a quiet machine) and the run was flagged busy for no reason.
    for (const tw = performance.now(); performance.now() - tw < 300; ) sink += c.run(iters);
    const times: number[] = [];
    for (let i = 0; i < CFG.ceilingCalls; i++) {
      const t = performance.now();
      sink += c.run(iters);
      times.push(performance.now() - t);
    }
    const gflops = c.flopsPerCall(iters) / (summarize(times).medianMs * 1e6);
    if (gflops > best.gflops) best = { chains, gflops };
  }
  if (!Number.isFinite(sink)) throw new Error("ceiling: the chains overflowed");
  return best;
}

export async function measureCeilings(relaxed: boolean): Promise<Ceilings> {
  const mulAdd = await measure(false);
  let fma: Ceiling | undefined;
  if (relaxed) {
    try {
      fma = await measure(true);
    } catch {
      fma = undefined; // the engine rejected relaxed_madd after all: the report shows no FMA ceiling
    }
  }
  return { mulAdd, fma };
}

const load1 = (): number => Math.round(os.loadavg()[0]! * 100) / 100;

/** Load average samples and CPU time over the run. */
export class BusyMonitor {
  readonly machine: MachineInfo = machineInfo();
  readonly loadSamples: { at: string; load1m: number }[] = [{ at: "start", load1m: load1() }];
  private readonly cpu0 = process.cpuUsage();
  private readonly wall0 = performance.now();
  private cpuMs = 0;
  private wallMs = 0;
  /** Cores kept busy by other processes just before the run (this one idle meanwhile). */
  othersAtStart?: number;

  /**
   * How busy the machine is right now, in cores, from the kernel's per-CPU time counters over `ms`
   * while this process sleeps. Unlike the 1-min load average, this does not still count a process that
   * ended seconds ago (the previous bench run, say).
   */
  async measureOthers(ms = 500): Promise<number> {
    const busyMs = (): { busy: number; total: number } => {
      let busy = 0;
      let total = 0;
      for (const c of os.cpus()) {
        const t = c.times;
        busy += t.user + t.nice + t.sys + t.irq;
        total += t.user + t.nice + t.sys + t.irq + t.idle;
      }
      return { busy, total };
    };
    const a = busyMs();
    await new Promise((r) => setTimeout(r, ms));
    const b = busyMs();
    const cores = os.cpus().length;
    this.othersAtStart = b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * cores : 0;
    return this.othersAtStart;
  }

  sample(at: string): void {
    this.loadSamples.push({ at, load1m: load1() });
  }

  /** Stops the CPU-time clock (before numpy's child process, which is not this process's CPU time). */
  stopCpuClock(): void {
    const u = process.cpuUsage(this.cpu0);
    this.cpuMs = (u.user + u.system) / 1000;
    this.wallMs = performance.now() - this.wall0;
  }

  /**
   * The verdict. Our own process keeps one core busy, so the 1-min load average rises towards 1 during
   * the run; "busy" means more than that: other processes using more than a quarter of a core just
   * before the start (measureOthers; the load average only when that was not measured), load above
   * cores − 0.5 at any sample, CPU/wall below 0.9 (preempted; tfjs and onnxruntime run one thread here),
   * or ceilings that differ by more than 10 % between start and end.
   */
  verdict(start: Ceilings, end: Ceilings): { busy: boolean; reasons: string[]; cpuOverWall: number; maxLoad: number; othersAtStart?: number } {
    const reasons: string[] = [];
    const cores = this.machine.cores;
    const maxLoad = Math.max(...this.loadSamples.map((s) => s.load1m));
    const cpuOverWall = this.wallMs > 0 ? this.cpuMs / this.wallMs : NaN;
    if (this.othersAtStart !== undefined) {
      if (this.othersAtStart > 0.25) reasons.push(`other processes used ${this.othersAtStart.toFixed(2)} cores just before the start`);
    } else if (this.loadSamples[0]!.load1m > 0.5) {
      reasons.push(`load average ${this.loadSamples[0]!.load1m} at the start (others running)`);
    }
    if (maxLoad > cores - 0.5) reasons.push(`load average up to ${maxLoad} on ${cores} cores`);
    if (cpuOverWall < 0.9) reasons.push(`this process got ${(cpuOverWall * 100).toFixed(0)} % of a core over the run`);
    const drift = Math.abs(end.mulAdd.gflops / start.mulAdd.gflops - 1);
    if (drift > 0.1) reasons.push(`the mul+add ceiling moved ${(drift * 100).toFixed(0)} % between start and end`);
    return { busy: reasons.length > 0, reasons, cpuOverWall, maxLoad, othersAtStart: this.othersAtStart };
  }
}
