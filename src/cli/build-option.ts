// The kernel build a CLI run uses, and the V8 switch that lets Node 20 run the relaxed-SIMD build.

import v8 from "node:v8";
import { ArgumentError, engineSupportsRelaxedSimd, type BackendOptions, type BuildName } from "../index.js";

const BUILD_NAMES: readonly BuildName[] = ["relaxed", "simd", "scalar"];

/**
 * Node 20's V8 accepts relaxed SIMD only behind --experimental-wasm-relaxed-simd (Node >= 22 ships it on).
 * The command is an application, not a library, so it may set the flag for its own process — before any
 * module is compiled — and thereby get the fused multiply-add build by default. Library users choose for
 * themselves (README, "Builds").
 */
export function enableRelaxedSimd(): void {
  if (!engineSupportsRelaxedSimd()) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
}

/** --build NAME (or the older --scalar) as a build name; undefined = the fastest the engine accepts. */
export function parseBuildOption(build: string | undefined, scalar: boolean | undefined): BuildName | undefined {
  if (build !== undefined) {
    if (!BUILD_NAMES.includes(build as BuildName)) throw new ArgumentError(`--build must be one of ${BUILD_NAMES.join(", ")}, got "${build}"`);
    if (scalar && build !== "scalar") throw new ArgumentError(`--scalar contradicts --build ${build}`);
    return build as BuildName;
  }
  return scalar ? "scalar" : undefined;
}

/** --threads N|auto as init's threads option; undefined = the default (auto: every core). */
export function parseThreadsOption(value: string | undefined): number | "auto" | undefined {
  if (value === undefined || value === "auto") return value;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new ArgumentError(`--threads must be "auto" or an integer from 1 to 256, got "${value}"`);
  return n;
}

/** The init() options for --build/--scalar/--threads; results are the same bits on any thread count. */
export function backendOptions(build: BuildName | undefined, threads: number | "auto" | undefined): BackendOptions {
  return { ...(build === undefined ? {} : { build }), ...(threads === undefined ? {} : { threads }) };
}

/** The header's description of the backend: build and threads (with the reason when fewer than asked). */
export function describeBackend(info: { build: BuildName; threads: number; threadsReason?: string }): string {
  const threads = `${info.threads} thread${info.threads === 1 ? "" : "s"}`;
  return `${info.build} kernels, ${threads}${info.threads === 1 && info.threadsReason ? ` (${info.threadsReason})` : ""}`;
}

export const BUILD_HELP = `  --build NAME         kernels: relaxed (SIMD + fused multiply-add) | simd (same bits everywhere) | scalar
                       (default: the fastest this engine accepts)
  --scalar             same as --build scalar
  --threads N|auto     worker threads for the kernels (default auto: every core); results are
                       bit-identical on any count`;
