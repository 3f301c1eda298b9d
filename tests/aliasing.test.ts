// Every op with an output, against every input it could alias (issue 9, finding 8). An op that can
// work in place gives, in place, the bits it gives out of place; everywhere else an `out` (or grad,
// dq, dgamma, optimizer state…) that shares memory with an input is refused with an ArgumentError that
// names both, before anything is written or allocated. A partly overlapping view (shifted by a few
// elements) is refused even where exact aliasing is allowed.

import { describe, expect, it } from "vitest";
import * as ops from "../src/ops/index.js";
import {
  ArgumentError, Tensor, activationBackward, adamStep, add, addBias, addPositions, attention, attentionBackward,
  attentionScores, empty, embedding, embeddingBackward, exp, gelu, geluBackward, layerNorm, layerNormBackward, linear,
  logSoftmax, softmaxBackward, qkvAttentionBackward, cachedAttention, matmul, memory, mergeHeads, momentumStep, mseBackward, mul, qkvAttention, relu, reluBackward, scale, sgdStep,
  sigmoid, sigmoidBackward, softmax, softmaxCrossEntropy, softmaxCrossEntropyIndex, splitHeads, sub, sumPositions, sumRows,
  tanh, tanhBackward, tensor, tidy,
} from "../src/index.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { randomFloats } from "./helpers/compare.js";

type Inputs = Record<string, Tensor>;

interface Case {
  op: string;
  /** Fresh inputs, the same values on every call. */
  inputs: () => Inputs;
  /** Runs the op; with `slot` and `into`, that output goes into `into`. Returns every tensor the op wrote. */
  run: (x: Inputs, slot?: string, into?: Tensor) => Record<string, Tensor>;
  /** [output slot, input] pairs the op documents as in place. */
  inPlace?: [string, string][];
  /** [output slot, input] pairs that must be refused. */
  refused: [string, string][];
}

let seed = 1;
const rand = (shape: number[], s = seed++) => tensor(randomFloats(shape.reduce((a, b) => a * b, 1), s), shape);
const positive = (shape: number[], s = seed++) => tensor(randomFloats(shape.reduce((a, b) => a * b, 1), s).map((v) => 0.5 + Math.abs(v)), shape);
/** Inputs with fixed seeds: each call of the returned function makes equal tensors. */
function fixed(make: () => Inputs): () => Inputs {
  const first = seed;
  seed += 100;
  return () => {
    const saved = seed;
    seed = first;
    try {
      return make();
    } finally {
      seed = saved;
    }
  };
}
const one = (slot: string, t: Tensor) => ({ [slot]: t });
const opt = (slot: string | undefined, into: Tensor | undefined, name: string) => (slot === name ? into : undefined);

const R = 5, C = 7, H = 2, T = 3, D = 4;
const ids = new Int32Array([2, 0, 5, 2, 1]);
const labels = new Int32Array([1, 6, 0, 3, 3]);

const CASES: Case[] = [
  ...(["add", "sub", "mul"] as const).map((op): Case => ({
    op,
    inputs: fixed(() => ({ a: rand([R, C]), b: rand([R, C]) })),
    run: (x, _s, into) => one("out", { add, sub, mul }[op](x.a!, x.b!, { out: into })),
    inPlace: [["out", "a"], ["out", "b"]],
    refused: [],
  })),
  ...(["add", "sub"] as const).map((op): Case => ({
    op: `${op} (row broadcast)`,
    inputs: fixed(() => ({ a: rand([R, C]), b: rand([1, C]) })),
    run: (x, _s, into) => one("out", { add, sub }[op](x.a!, x.b!, { out: into })),
    inPlace: [["out", "a"]],
    refused: [["out", "b"]],
  })),
  { op: "scale", inputs: fixed(() => ({ x: rand([R, C]) })), run: (x, _s, into) => one("out", scale(x.x!, 1.5, { out: into })), inPlace: [["out", "x"]], refused: [] },
  ...([["relu", relu], ["sigmoid", sigmoid], ["tanh", tanh], ["exp", exp], ["gelu", gelu]] as const).map(([op, f]): Case => ({
    op, inputs: fixed(() => ({ x: rand([R, C]) })), run: (x, _s, into) => one("out", f(x.x!, { out: into })), inPlace: [["out", "x"]], refused: [],
  })),
  {
    op: "geluBackward", inputs: fixed(() => ({ x: rand([R, C]), dy: rand([R, C]) })), run: (x, _s, into) => one("out", geluBackward(x.x!, x.dy!, { out: into })),
    inPlace: [["out", "x"], ["out", "dy"]], refused: [],
  },
  ...([["reluBackward", reluBackward], ["sigmoidBackward", sigmoidBackward], ["tanhBackward", tanhBackward]] as const).map(([op, f]): Case => ({
    op, inputs: fixed(() => ({ y: rand([R, C]), dy: rand([R, C]) })), run: (x, _s, into) => one("out", f(x.y!, x.dy!, { out: into })),
    inPlace: [["out", "y"], ["out", "dy"]], refused: [],
  })),
  {
    op: "activationBackward", inputs: fixed(() => ({ y: positive([R, C]), dy: rand([R, C]) })),
    run: (x, _s, into) => one("out", activationBackward("sigmoid", x.y!, x.dy!, { out: into })), inPlace: [["out", "y"], ["out", "dy"]], refused: [],
  },
  { op: "sumRows", inputs: fixed(() => ({ x: rand([R, C]) })), run: (x, _s, into) => one("out", sumRows(x.x!, { out: into })), refused: [["out", "x"]] },
  ...([["softmax", softmax], ["logSoftmax", logSoftmax]] as const).map(([op, f]): Case => ({
    op, inputs: fixed(() => ({ x: rand([R, C]) })), run: (x, _s, into) => one("out", f(x.x!, { out: into, temperature: 0.7 })), inPlace: [["out", "x"]], refused: [],
  })),
  ...([["softmax (causal)", softmax], ["logSoftmax (causal)", logSoftmax]] as const).map(([op, f]): Case => ({
    op, inputs: fixed(() => ({ x: rand([C, C]) })), run: (x, _s, into) => one("out", f(x.x!, { out: into, causal: true })), inPlace: [["out", "x"]], refused: [],
  })),
  { op: "matmul", inputs: fixed(() => ({ a: rand([C, C]), b: rand([C, C]) })), run: (x, _s, into) => one("out", matmul(x.a!, x.b!, { out: into })), refused: [["out", "a"], ["out", "b"]] },
  {
    op: "linear", inputs: fixed(() => ({ x: rand([C, C]), w: rand([C, C]), bias: rand([1, C]) })),
    run: (x, _s, into) => one("out", linear(x.x!, x.w!, x.bias!, { out: into, activation: "relu" })), refused: [["out", "x"], ["out", "w"], ["out", "bias"]],
  },
  {
    op: "addBias", inputs: fixed(() => ({ x: rand([R, C]), bias: rand([1, C]) })),
    run: (x, _s, into) => one("out", addBias(x.x!, x.bias!, { out: into, activation: "tanh" })), inPlace: [["out", "x"]], refused: [["out", "bias"]],
  },
  {
    op: "mseBackward", inputs: fixed(() => ({ pred: rand([R, C]), target: rand([R, C]) })),
    run: (x, _s, into) => one("out", mseBackward(x.pred!, x.target!, 0.3, { out: into })), inPlace: [["out", "pred"], ["out", "target"]], refused: [],
  },
  {
    op: "softmaxCrossEntropy", inputs: fixed(() => ({ logits: rand([R, C]), targets: softmax(rand([R, C])) })),
    run: (x, slot, into) => {
      const grad = into ?? empty([R, C]);
      softmaxCrossEntropy(x.logits!, x.targets!, { grad: opt(slot, into, "grad") ?? grad });
      return { grad };
    },
    refused: [["grad", "logits"], ["grad", "targets"]],
  },
  {
    op: "softmaxCrossEntropyIndex", inputs: fixed(() => ({ logits: rand([R, C]) })),
    run: (x, _s, into) => {
      const grad = into ?? empty([R, C]);
      softmaxCrossEntropyIndex(x.logits!, labels, { grad });
      return { grad };
    },
    refused: [["grad", "logits"]],
  },
  {
    op: "attention", inputs: fixed(() => ({ q: rand([H, T, D]), k: rand([H, T, D]), v: rand([H, T, D]), lse: rand([H, T]) })),
    run: (x, slot, into) => {
      const lse = opt(slot, into, "lse") ?? x.lse!;
      return { out: attention(x.q!, x.k!, x.v!, { causal: true, lse, out: opt(slot, into, "out") }), lse };
    },
    refused: [["out", "q"], ["out", "k"], ["out", "v"], ["lse", "q"], ["lse", "v"]],
  },
  {
    op: "attentionScores", inputs: fixed(() => ({ q: rand([H, T, T]), k: rand([H, T, T]) })),
    run: (x, _s, into) => one("out", attentionScores(x.q!, x.k!, { causal: true, out: into })), refused: [["out", "q"], ["out", "k"]],
  },
  {
    op: "qkvAttention", inputs: fixed(() => ({ qkv: rand([2 * T, 3 * H * D]), lse: rand([2 * H, T]) })),
    run: (x, slot, into) => {
      const lse = opt(slot, into, "lse") ?? x.lse!;
      return { out: qkvAttention(x.qkv!, H, { batch: 2, causal: true, lse, out: opt(slot, into, "out") }), lse };
    },
    refused: [["out", "qkv"], ["lse", "qkv"]],
  },
  {
    op: "softmaxBackward", inputs: fixed(() => ({ y: softmax(rand([R, C])), dy: rand([R, C]) })),
    run: (x, _s, into) => one("out", softmaxBackward(x.y!, x.dy!, { out: into })), refused: [["out", "y"], ["out", "dy"]],
  },
  {
    op: "qkvAttentionBackward",
    inputs: fixed(() => {
      const qkv = rand([2 * T, 3 * H * D]), lse = empty([2 * H, T]);
      const out = qkvAttention(qkv, H, { batch: 2, causal: true, lse });
      return { qkv, out, dout: rand([2 * T, H * D]), lse };
    }),
    run: (x, _s, into) => one("dqkv", qkvAttentionBackward(x.qkv!, x.out!, x.dout!, x.lse!, H, { batch: 2, causal: true, dqkv: into })),
    refused: [["dqkv", "qkv"], ["dqkv", "out"], ["dqkv", "dout"], ["dqkv", "lse"]],
  },
  {
    op: "cachedAttention", inputs: fixed(() => ({ q: rand([2, 3 * H * D]), k: rand([T + 2, H * D]), v: rand([T + 2, H * D]) })),
    run: (x, _s, into) => one("out", cachedAttention(x.q!, x.k!, x.v!, T + 1, H, { out: into })), refused: [["out", "q"], ["out", "k"], ["out", "v"]],
  },
  {
    op: "attentionBackward",
    inputs: fixed(() => {
      const q = rand([H, T, D]), k = rand([H, T, D]), v = rand([H, T, D]), lse = empty([H, T]);
      const out = attention(q, k, v, { causal: true, lse });
      return { q, k, v, out, dout: rand([H, T, D]), lse };
    }),
    run: (x, slot, into) => {
      const g = attentionBackward(x.q!, x.k!, x.v!, x.out!, x.dout!, x.lse!, {
        causal: true, dq: opt(slot, into, "dq"), dk: opt(slot, into, "dk"), dv: opt(slot, into, "dv"),
      });
      return { ...g };
    },
    refused: [["dq", "q"], ["dq", "k"], ["dk", "v"], ["dv", "dout"], ["dq", "out"], ["dk", "q"]],
  },
  ...(["splitHeads", "mergeHeads"] as const).map((op): Case => ({
    op,
    inputs: fixed(() => ({ x: op === "splitHeads" ? rand([2 * T, H * D]) : rand([2 * H, T, D]) })),
    run: (x, _s, into) => one("out", op === "splitHeads" ? splitHeads(x.x!, 2, H, D, { out: into }) : mergeHeads(x.x!, 2, { out: into })),
    refused: [["out", "x"]],
  })),
  {
    op: "addPositions", inputs: fixed(() => ({ x: rand([2 * T, C]), table: rand([T + 2, C]) })),
    run: (x, _s, into) => one("out", addPositions(x.x!, x.table!, T, { start: 1, out: into })), inPlace: [["out", "x"]], refused: [["out", "table"]],
  },
  { op: "sumPositions", inputs: fixed(() => ({ dx: rand([2 * T, C]) })), run: (x, _s, into) => one("out", sumPositions(x.dx!, T, { out: into })), refused: [["out", "dx"]] },
  {
    op: "layerNorm", inputs: fixed(() => ({ x: rand([R, C]), gamma: rand([C]), beta: rand([C]), mean: empty([R]), rstd: empty([R]) })),
    run: (x, slot, into) => {
      const stats = { mean: opt(slot, into, "mean") ?? x.mean!, rstd: x.rstd! };
      return { out: layerNorm(x.x!, x.gamma!, x.beta!, { out: opt(slot, into, "out"), stats }), ...stats };
    },
    inPlace: [["out", "x"]],
    refused: [["out", "gamma"], ["out", "beta"], ["mean", "x"], ["mean", "rstd"], ["mean", "gamma"]],
  },
  {
    op: "layerNormBackward",
    inputs: fixed(() => {
      const x = rand([R, C]), gamma = rand([C]), mean = empty([R]), rstd = empty([R]);
      layerNorm(x, gamma, rand([C]), { stats: { mean, rstd } });
      return { dy: rand([R, C]), x, gamma, mean, rstd, dbeta: empty([C]) };
    }),
    run: (x, slot, into) => ({
      ...layerNormBackward(x.dy!, x.x!, x.gamma!, { mean: x.mean!, rstd: x.rstd! }, {
        dx: opt(slot, into, "dx"), dgamma: opt(slot, into, "dgamma"), dbeta: opt(slot, into, "dbeta") ?? x.dbeta!,
      }),
    }),
    inPlace: [["dx", "dy"]],
    refused: [["dgamma", "gamma"], ["dx", "x"], ["dgamma", "dy"], ["dgamma", "dbeta"], ["dbeta", "mean"], ["dx", "gamma"]],
  },
  {
    op: "embedding", inputs: fixed(() => ({ table: rand([6, C]) })),
    run: (x, _s, into) => one("out", embedding(ids, x.table!, { out: into })), refused: [["out", "table"]],
  },
  {
    op: "embeddingBackward", inputs: fixed(() => ({ dout: rand([R, C]) })),
    run: (x, _s, into) => one("out", embeddingBackward(ids, x.dout!, 6, { out: into })), refused: [["out", "dout"]],
  },
  {
    op: "sgdStep", inputs: fixed(() => ({ param: rand([R, C]), grad: rand([R, C]) })),
    run: (x, slot, into) => {
      const param = opt(slot, into, "param") ?? x.param!;
      sgdStep(param, x.grad!, 0.1);
      return { param };
    },
    refused: [["param", "grad"]],
  },
  {
    op: "momentumStep", inputs: fixed(() => ({ param: rand([R, C]), grad: rand([R, C]), velocity: rand([R, C]) })),
    run: (x, slot, into) => {
      const velocity = opt(slot, into, "velocity") ?? x.velocity!;
      momentumStep(x.param!, x.grad!, velocity, 0.1, 0.9);
      return { param: x.param!, velocity };
    },
    refused: [["velocity", "grad"], ["velocity", "param"]],
  },
  {
    op: "adamStep", inputs: fixed(() => ({ param: rand([R, C]), grad: rand([R, C]), m: rand([R, C]), v: positive([R, C]) })),
    run: (x, slot, into) => {
      const m = opt(slot, into, "m") ?? x.m!;
      const v = opt(slot, into, "v") ?? x.v!;
      adamStep(x.param!, x.grad!, m, v, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 3 });
      return { param: x.param!, m, v };
    },
    refused: [["m", "grad"], ["v", "m"], ["m", "param"]],
  },
];

/** Ops that return a number, a rank-0 tensor or an Int32Array and take no output to alias. */
// qkvAttentionScores always allocates its [B·h, T, T] result (it is for inspection): no out to alias.
const NO_OUTPUT = ["dot", "sum", "mse", "argmaxRows", "sumSquares", "allFinite", "sinusoidalPositions", "checkActivation", "qkvAttentionScores"];
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to throw");
}

const copies = (written: Record<string, Tensor>) => Object.fromEntries(Object.entries(written).map(([k, t]) => [k, t.toFloat32Array()]));
const snapshot = (x: Inputs) => Object.fromEntries(Object.entries(x).map(([k, t]) => [k, t.toFloat32Array()]));

/** The shape the op writes into `slot`, found by running it once out of place. */
function slotShape(c: Case, slot: string): readonly number[] {
  return tidy(() => c.run(c.inputs())[slot]!.shape.slice());
}

/** `x` with input `name` moved into a larger tensor, and a view of that tensor shifted by 3 elements. */
function partlyOverlapping(x: Inputs, name: string, shape: readonly number[]): { x: Inputs; into: Tensor } {
  const source = x[name]!;
  const size = shape.reduce((a, b) => a * b, 1);
  const base = empty([3 + Math.max(source.size, size) + 3]);
  const moved = base.slice(0, source.shape);
  moved.view().set(source.view());
  return { x: { ...x, [name]: moved }, into: base.slice(3, shape) };
}

describe("every op is covered", () => {
  it("the walker has a case (or a reason for none) for every function src/ops exports", () => {
    const covered = new Set([...CASES.map((c) => c.op.split(" ")[0]!), ...NO_OUTPUT]);
    const exported = Object.entries(ops).filter(([, v]) => typeof v === "function").map(([name]) => name);
    expect(exported.length).toBeGreaterThan(40);
    expect(exported.filter((op) => !covered.has(op))).toEqual([]);
  });
});

describe.each(BUILDS)("aliasing on the %s build", (build) => {
  for (const c of CASES) {
    for (const [slot, name] of c.inPlace ?? []) {
      it(`${c.op}: ${slot} = ${name} in place gives the out-of-place bits; a shifted view is refused`, async () => {
        await useBuild(build);
        tidy(() => {
          const expected = copies(c.run(c.inputs()));
          const x = c.inputs();
          const got = copies(c.run(x, slot, x[name]));
          for (const key of Object.keys(expected)) expect(got[key], `${c.op} ${key}`).toEqual(expected[key]);
          const shifted = partlyOverlapping(c.inputs(), name, slotShape(c, slot));
          const before = snapshot(shifted.x);
          expect(() => c.run(shifted.x, slot, shifted.into)).toThrow(ArgumentError);
          expect(() => c.run(shifted.x, slot, shifted.into)).toThrow(new RegExp(`${slot} partly overlaps ${name}`));
          expect(snapshot(shifted.x)).toEqual(before);
        });
      });
    }
    for (const [slot, name] of c.refused) {
      it(`${c.op}: ${slot} sharing memory with ${name} is refused, nothing written, nothing leaked`, async () => {
        await useBuild(build);
        tidy(() => {
          const shape = slotShape(c, slot);
          const size = shape.reduce((a, b) => a * b, 1);
          const x = c.inputs();
          const tries: { x: Inputs; into: Tensor }[] = [partlyOverlapping(x, name, shape)];
          if (size <= x[name]!.size) tries.push({ x, into: x[name]!.slice(0, shape) });
          for (const attempt of tries) {
            const before = snapshot(attempt.x);
            const tensors = memory().numTensors;
            const error = thrown(() => c.run(attempt.x, slot, attempt.into));
            expect(error).toBeInstanceOf(ArgumentError);
            expect(error.message).toMatch(/shares memory with/);
            expect(error.message).toContain(slot);
            expect(error.message).toContain(name);
            expect(memory().numTensors).toBe(tensors);
            expect(snapshot(attempt.x)).toEqual(before);
          }
        });
      });
    }
  }
});
