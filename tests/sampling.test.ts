import { describe, expect, it } from "vitest";
import { ArgumentError } from "../src/runtime/errors.js";
import { Random } from "../src/runtime/random.js";
import { argmax, probabilities, sampleToken, samplingDistribution, type SamplingOptions } from "../src/transformer/sampling.js";

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

function randomLogits(rng: Random, n: number, scale = 3): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

/** Independent reference: softmax(l/T), keep ids by (p desc, id asc) under topK/topP, renormalise. */
function expected(logits: number[], { temperature = 1, topK = Infinity, topP = 1 }: SamplingOptions): number[] {
  const e = logits.map((l) => Math.exp(l / temperature));
  const s = e.reduce((a, b) => a + b, 0);
  const p = e.map((v) => v / s);
  const ranked = p.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, topK);
  const kMass = ranked.reduce((a, [v]) => a + v, 0);
  const kept: number[] = [];
  let cum = 0;
  for (const [v, i] of ranked) {
    kept.push(i);
    cum += v / kMass;
    if (cum >= topP - 1e-12) break;
  }
  const mass = kept.reduce((a, i) => a + p[i]!, 0);
  return p.map((v, i) => (kept.includes(i) ? v / mass : 0));
}

describe("probabilities", () => {
  it("is the tutorial's softmax ([2, 4, 5] → [0.0351, 0.2595, 0.7054])", () => {
    const p = probabilities(new Float32Array([2, 4, 5]));
    expect(p).toBeInstanceOf(Float64Array);
    const want = [0.03511903, 0.25949646, 0.70538451];
    p.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 7));
  });

  it("is stable for huge logits and gives masked (-Infinity) tokens probability 0", () => {
    const p = probabilities(new Float32Array([1000, 1001, -Infinity, 999]));
    const want = expected([1, 2, -Infinity, 0], {});
    p.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
    expect(p[2]).toBe(0);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
  });

  it("temperature: T > 1 flattens, T < 1 sharpens, T → 0 concentrates on the argmax", () => {
    const logits = new Float32Array([2, 4, 5, 1]);
    const p1 = probabilities(logits, 1), p2 = probabilities(logits, 2), ph = probabilities(logits, 0.5);
    expect(p2[2]!).toBeLessThan(p1[2]!);
    expect(p2[0]!).toBeGreaterThan(p1[0]!);
    expect(ph[2]!).toBeGreaterThan(p1[2]!);
    expect(probabilities(logits, 1e-3)[2]).toBeGreaterThan(1 - 1e-12);
    const flat = probabilities(logits, 1e9);
    flat.forEach((v) => expect(v).toBeCloseTo(0.25, 6));
    const want = expected([2, 4, 5, 1], { temperature: 0.7 });
    probabilities(logits, 0.7).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
  });

  it("rejects bad temperatures and logits", () => {
    for (const t of [0, -1, Number.NaN]) {
      const error = thrown(() => probabilities(new Float32Array([1, 2]), t));
      expect(error).toBeInstanceOf(ArgumentError);
      expect(error.message).toContain(`temperature must be a number > 0`);
      expect(error.message).toContain(String(t));
    }
    expect(thrown(() => probabilities(new Float32Array(0))).message).toContain("empty");
    expect(thrown(() => probabilities(new Float32Array([1, Number.NaN]))).message).toContain("logit 1 is NaN");
    expect(() => probabilities(new Float32Array([-Infinity, -Infinity]))).toThrow(ArgumentError);
    expect(() => probabilities(new Float32Array([0, Infinity]))).toThrow(ArgumentError);
  });
});

describe("sampleToken", () => {
  it("greedy picks the argmax, the first one on ties, and draws no random number", () => {
    const rng = new Random(1);
    const before = new Random(1).uniform();
    expect(sampleToken(new Float32Array([0.5, 3, -1, 2.9]), { greedy: true }, rng)).toBe(1);
    expect(sampleToken(new Float32Array([1, 7, 7, 3]), { greedy: true }, rng)).toBe(1);
    expect(sampleToken(new Float32Array([-Infinity, -5]), { greedy: true, temperature: 0 }, rng)).toBe(1);
    expect(rng.uniform()).toBe(before);
    expect(argmax([4, 9, 9])).toBe(1);
  });

  it("topK = 1 equals greedy", () => {
    const rng = new Random(7);
    for (let trial = 0; trial < 300; trial++) {
      const logits = randomLogits(rng, 1 + rng.int(50));
      if (trial % 10 === 0) logits[rng.int(logits.length)] = Math.max(...logits); // a tie for the maximum
      const greedy = sampleToken(logits, { greedy: true }, rng);
      expect(sampleToken(logits, { topK: 1, temperature: 0.3 + rng.uniform() * 3 }, rng)).toBe(greedy);
      expect(greedy).toBe(argmax(logits));
    }
  });

  it("the same seed gives the same sequence of samples; another seed a different one", () => {
    const logits = randomLogits(new Random(3), 40, 1);
    const run = (seed: number, options: SamplingOptions) => {
      const rng = new Random(seed);
      return Array.from({ length: 200 }, () => sampleToken(logits, options, rng));
    };
    for (const options of [{}, { temperature: 0.8, topK: 5 }, { topP: 0.9 }]) {
      expect(run(42, options)).toEqual(run(42, options));
      expect(run(42, options)).not.toEqual(run(43, options));
    }
  });

  it("empirical frequencies over 20,000 draws match the renormalised distribution within 0.01", () => {
    const logits = [2, 4, 5, 1, 3, 3.5, 0, -1];
    const f32 = new Float32Array(logits);
    const cases: SamplingOptions[] = [
      {},
      { temperature: 1.7 },
      { topK: 5 }, // the tutorial samples among the top 5
      { topK: 3, temperature: 0.8 },
      { topP: 0.9 },
      { topP: 0.5, temperature: 2 },
      { topK: 4, topP: 0.8 },
    ];
    const rng = new Random(2024);
    for (const options of cases) {
      const want = expected(logits, options);
      const dist = samplingDistribution(f32, options);
      dist.forEach((v, i) => expect(v, `${JSON.stringify(options)} p[${i}]`).toBeCloseTo(want[i]!, 6));
      const counts = new Array(logits.length).fill(0);
      const draws = 20_000;
      for (let d = 0; d < draws; d++) counts[sampleToken(f32, options, rng)]++;
      counts.forEach((c, i) => {
        expect(Math.abs(c / draws - want[i]!), `${JSON.stringify(options)} token ${i}`).toBeLessThan(0.01);
        if (want[i] === 0) expect(c, `${JSON.stringify(options)} token ${i} is cut off`).toBe(0);
      });
    }
  });

  it("top-k and top-p keep the expected sets", () => {
    const f32 = new Float32Array([2, 4, 5, 1, 3]); // probabilities ≈ .032 .233 .634 .012 .086
    const support = (o: SamplingOptions) => Array.from(samplingDistribution(f32, o)).flatMap((v, i) => (v > 0 ? [i] : []));
    expect(support({ topK: 2 })).toEqual([1, 2]);
    expect(support({ topK: 99 })).toEqual([0, 1, 2, 3, 4]);
    expect(support({ topP: 0.6 })).toEqual([2]);
    expect(support({ topP: 0.7 })).toEqual([1, 2]);
    expect(support({ topP: 1 })).toEqual([0, 1, 2, 3, 4]);
    // top-p applies to the top-k set renormalised: in {2, 1}, token 2 has .634/.867 = .73.
    expect(support({ topK: 2, topP: 0.72 })).toEqual([2]);
    expect(support({ topK: 2, topP: 0.74 })).toEqual([1, 2]);
    // Ties at the top-k boundary keep the lower id.
    expect(support({ topK: 2 }).length).toBe(2);
    expect(Array.from(samplingDistribution(new Float32Array([1, 3, 3, 3]), { topK: 2 }))).toEqual([0, 0.5, 0.5, 0]);
    // Masked tokens are never drawn even with topP = 1.
    const rng = new Random(5);
    for (let i = 0; i < 2000; i++) expect(sampleToken(new Float32Array([-Infinity, 0, -Infinity]), {}, rng)).toBe(1);
  });

  it("temperature → 0 concentrates the samples on the argmax", () => {
    const logits = randomLogits(new Random(11), 30, 1);
    const best = argmax(logits);
    const rng = new Random(12);
    const count = (temperature: number) => {
      let hits = 0;
      for (let i = 0; i < 2000; i++) if (sampleToken(logits, { temperature }, rng) === best) hits++;
      return hits / 2000;
    };
    const [hot, warm, cold, frozen] = [count(3), count(1), count(0.2), count(1e-4)];
    expect(hot).toBeLessThan(warm);
    expect(warm).toBeLessThan(cold);
    expect(frozen).toBe(1);
  });

  it("rejects bad options and logits, naming the option and value", () => {
    const l = new Float32Array([1, 2, 3]);
    const rng = new Random(0);
    const cases: [SamplingOptions, string][] = [
      [{ temperature: 0 }, "temperature must be a number > 0 (use greedy: true for argmax), got 0"],
      [{ temperature: -0.5 }, "temperature must be a number > 0 (use greedy: true for argmax), got -0.5"],
      [{ temperature: Number.NaN }, "got NaN"],
      [{ topK: 0 }, "topK must be an integer >= 1, got 0"],
      [{ topK: 2.5 }, "topK must be an integer >= 1, got 2.5"],
      [{ topK: Number.NaN }, "topK must be an integer >= 1, got NaN"],
      [{ topP: 0 }, "topP must be a number in (0, 1], got 0"],
      [{ topP: 1.01 }, "topP must be a number in (0, 1], got 1.01"],
      [{ topP: Number.NaN }, "topP must be a number in (0, 1], got NaN"],
      [{ greedy: true, topK: 0 }, "topK must be an integer >= 1, got 0"],
    ];
    for (const [options, message] of cases) {
      const error = thrown(() => sampleToken(l, options, rng));
      expect(error, JSON.stringify(options)).toBeInstanceOf(ArgumentError);
      expect(error.message).toContain(message);
      expect(error.message).toMatch(/^sampleToken: /);
      expect(() => samplingDistribution(l, options)).toThrow(ArgumentError);
    }
    expect(thrown(() => sampleToken(new Float32Array(0), {}, rng)).message).toContain("logits is empty");
    expect(thrown(() => sampleToken(new Float32Array([0, Number.NaN, 1]), {}, rng)).message).toContain("logit 1 is NaN");
    expect(thrown(() => sampleToken(new Float32Array([0, Number.NaN]), { greedy: true }, rng)).message).toContain("NaN");
    expect(() => sampleToken(l, {}, undefined as unknown as Random)).toThrow(ArgumentError);
  });
});
