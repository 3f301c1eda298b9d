// The Wasm SIMD throughput ceiling: a tiny module, assembled byte by byte here, whose only function
// runs `chains` independent f32x4 chains of x = x·m + a (one f32x4.mul and one f32x4.add each, no FMA).
// Each loop iteration is chains × 2 ops × 4 lanes flops with no loads or stores, so its speed is what
// the engine's SIMD code generation and the core's vector ports allow: an upper bound for any kernel
// built from the same instructions (GEMM included).
//
// Exported: run(iters: i32) -> f32 (the lane-sum of all chains, so the work is observable).
// With `fma`, each chain step is one f32x4.relaxed_madd instead (relaxed SIMD; the same 8 flops per
// chain and iteration in one instruction): the ceiling of the relaxed build, where the engine accepts it.

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function f32x4Const(x: number): number[] {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let lane = 0; lane < 4; lane++) view.setFloat32(lane * 4, x, true);
  return [0xfd, ...uleb(12), ...bytes]; // v128.const
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

const OP = {
  localGet: 0x20, localSet: 0x21, localTee: 0x22, i32Const: 0x41, i32Sub: 0x6b,
  block: 0x02, loop: 0x03, brIf: 0x0d, end: 0x0b, void: 0x40,
  f32x4Add: [0xfd, ...uleb(228)], f32x4Mul: [0xfd, ...uleb(230)], f32x4ExtractLane: [0xfd, ...uleb(31)],
  f32x4RelaxedMadd: [0xfd, ...uleb(0x105)],
};

/**
 * The module's bytes for `chains` independent chains. Enough chains hide the mul→add latency; up to
 * about 13 (+ 2 constants) fit V8's allocatable xmm registers on x86-64, beyond that it spills.
 */
export function ceilingModuleBytes(chains: number, fma = false): Uint8Array<ArrayBuffer> {
  if (!(chains >= 1 && chains <= 64)) throw new RangeError(`chains must be in 1..64, got ${chains}`);
  // Locals: 0 = iters (param), 1..chains = accumulators, chains+1 = multiplier, chains+2 = addend.
  const M = chains + 1;
  const A = chains + 2;
  const body: number[] = [];
  body.push(...uleb(1), ...uleb(chains + 2), 0x7b); // one local group: chains+2 × v128
  body.push(...f32x4Const(0.9999999), OP.localSet, ...uleb(M));
  body.push(...f32x4Const(1e-7), OP.localSet, ...uleb(A));
  for (let c = 1; c <= chains; c++) body.push(...f32x4Const(1 + c / 1024), OP.localSet, ...uleb(c));
  body.push(OP.block, OP.void, OP.loop, OP.void);
  for (let c = 1; c <= chains; c++) {
    if (fma) {
      // relaxed_madd(a, b, c) = a·b + c
      body.push(OP.localGet, ...uleb(c), OP.localGet, ...uleb(M), OP.localGet, ...uleb(A), ...OP.f32x4RelaxedMadd, OP.localSet, ...uleb(c));
      continue;
    }
    body.push(OP.localGet, ...uleb(c), OP.localGet, ...uleb(M), ...OP.f32x4Mul);
    body.push(OP.localGet, ...uleb(A), ...OP.f32x4Add, OP.localSet, ...uleb(c));
  }
  // iters -= 1; continue while nonzero (run(0) is treated as run(1) and callers pass >= 1)
  body.push(OP.localGet, 0, OP.i32Const, 1, OP.i32Sub, OP.localTee, 0, OP.brIf, 0);
  body.push(OP.end, OP.end);
  body.push(OP.localGet, ...uleb(1));
  for (let c = 2; c <= chains; c++) body.push(OP.localGet, ...uleb(c), ...OP.f32x4Add);
  body.push(...OP.f32x4ExtractLane, 0, OP.end);

  const typeSec = section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]); // (i32) -> f32
  const funcSec = section(3, [1, 0]);
  const name = [...new TextEncoder().encode("run")];
  const exportSec = section(7, [1, name.length, ...name, 0x00, 0]);
  const codeSec = section(10, [1, ...uleb(body.length), ...body]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...typeSec, ...funcSec, ...exportSec, ...codeSec]);
}

export interface Ceiling {
  chains: number;
  /** Flops per call of run(iters). */
  flopsPerCall(iters: number): number;
  run(iters: number): number;
}

export async function loadCeiling(chains: number, fma = false): Promise<Ceiling> {
  const bytes = ceilingModuleBytes(chains, fma);
  const module = await WebAssembly.compile(bytes);
  const instance = await WebAssembly.instantiate(module);
  const run = instance.exports.run as (iters: number) => number;
  return { chains, flopsPerCall: (iters) => iters * chains * 2 * 4, run };
}
