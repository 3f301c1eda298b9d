// node --expose-gc --import tsx scripts/header-cost.ts N [maxTensors]
//
// What a legal but huge safetensors header costs to read: N empty F32 tensors (a header of about
// 62 bytes per tensor, no data), read with the default limits or the given maxTensors. Prints the
// outcome, the time, and the growth of the JS heap and the peak RSS (sampled every 5 ms).

import { readSafetensors } from "../src/io/safetensors.js";

const n = Number(process.argv[2] ?? 100_000);
const maxTensors = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const parts: string[] = [];
for (let i = 0; i < n; i++) parts.push(`"tensor_${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
const json = new TextEncoder().encode(`{${parts.join(",")}}`);
parts.length = 0;
const length = Math.ceil(json.length / 8) * 8;
const file = new Uint8Array(8 + length).fill(0x20, 8);
new DataView(file.buffer).setUint32(0, length, true);
file.set(json, 8);

(globalThis as { gc?: () => void }).gc?.();
const before = process.memoryUsage();
let peak = before.rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
const t0 = performance.now();
let outcome: string;
try {
  outcome = `accepted ${Object.keys(readSafetensors(file, maxTensors === undefined ? {} : { maxTensors }).tensors).length} tensors`;
} catch (error) {
  outcome = `rejected: ${(error as Error).message.slice(0, 100)}`;
}
const ms = performance.now() - t0;
const after = process.memoryUsage();
clearInterval(sampler);
peak = Math.max(peak, after.rss);
const mib = (x: number) => `${(x / 2 ** 20).toFixed(0)} MiB`;
console.log(`${n} empty tensors, header ${(length / 2 ** 20).toFixed(1)} MiB, maxTensors ${maxTensors ?? "default"}: ${outcome}; ${ms.toFixed(0)} ms, heap +${mib(after.heapUsed - before.heapUsed)}, RSS peak +${mib(peak - before.rss)}`);
