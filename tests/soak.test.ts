// The short soak (the long one is `npm run soak`): after warm-up, training, checkpointing, reloading
// and generating leave live tensors, allocator bytes and Wasm memory exactly flat, and RSS within
// a bound that covers GC noise. A leaked tensor or Wasm page fails here at once; a slow leak of JS
// memory is what the long soak's 100 checkpoints and 20 reloads would show.
import { describe, expect, it } from "vitest";
import { describeReport, soakGpt, soakMlp } from "../scripts/soak-run.js";

// Seen: under 4 MiB after the 1,000-step warm-up (V8 grows its heap during the first thousand steps).
const RSS_LIMIT = 16 * 2 ** 20;

describe("soak (short)", () => {
  it("MNIST training: 3,000 steps with checkpoints, nothing grows after warm-up", async () => {
    const r = await soakMlp(3000, 100);
    console.log(describeReport(r));
    expect(r.steps).toBe(3000);
    expect(r.samples.length).toBe(30); // one every 100 steps
    expect(r.growth).toMatchObject({ numTensors: 0, allocatedBytes: 0, wasmBytes: 0 });
    expect(r.growth.rss).toBeLessThan(RSS_LIMIT);
  });

  it("GPT training with checkpoints reloaded and generation every 50 steps: nothing grows after warm-up", async () => {
    const r = await soakGpt(300, 10, 50, { layers: 1, dModel: 32, heads: 2, context: 32, batchSize: 8 });
    console.log(describeReport(r));
    expect(r.steps).toBe(300);
    expect(r.growth).toMatchObject({ numTensors: 0, allocatedBytes: 0, wasmBytes: 0 });
    expect(r.growth.rss).toBeLessThan(RSS_LIMIT);
  });
});
