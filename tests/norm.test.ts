import { describe, expect, it } from "vitest";
import { ArgumentError, ShapeError, empty, layerNorm, layerNormBackward, tensor, tidy } from "../src/index.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { expectClose, randomFloats } from "./helpers/compare.js";
import { checkFiniteDiff } from "./helpers/finite-diff.js";

/** Float64 LayerNorm over rows of `cols`: out, mean, rstd, and the backward for a given dy. */
function layerNormRef(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, rows: number, cols: number, eps: number, dy?: ArrayLike<number>) {
  const out = new Float64Array(rows * cols), mean = new Float64Array(rows), rstd = new Float64Array(rows);
  const dx = new Float64Array(rows * cols), dgamma = new Float64Array(cols), dbeta = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    let m = 0;
    for (let j = 0; j < cols; j++) m += x[i * cols + j]!;
    m /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) v += (x[i * cols + j]! - m) ** 2;
    const r = 1 / Math.sqrt(v / cols + eps);
    mean[i] = m;
    rstd[i] = r;
    const xh = Array.from({ length: cols }, (_, j) => (x[i * cols + j]! - m) * r);
    for (let j = 0; j < cols; j++) out[i * cols + j] = xh[j]! * gamma[j]! + beta[j]!;
    if (!dy) continue;
    let sg = 0, sgx = 0;
    for (let j = 0; j < cols; j++) {
      const g = dy[i * cols + j]! * gamma[j]!;
      sg += g;
      sgx += g * xh[j]!;
      dgamma[j] += dy[i * cols + j]! * xh[j]!;
      dbeta[j] += dy[i * cols + j]!;
    }
    for (let j = 0; j < cols; j++) dx[i * cols + j] = r * (dy[i * cols + j]! * gamma[j]! - sg / cols - xh[j]! * sgx / cols);
  }
  return { out, mean, rstd, dx, dgamma, dbeta };
}

const SHAPES: number[][] = [[1], [3], [17], [2, 33], [5, 65], [3, 1], [2, 3, 17], [4, 2, 64], [1, 7, 129], [33, 8]];

describe.each(BUILDS)("layerNorm on the %s build", (build) => {
  it("matches float64 forward and backward on odd shapes of rank 1–3, saving stats", async () => {
    await useBuild(build);
    let seed = 1;
    for (const shape of SHAPES) {
      tidy(() => {
        const cols = shape[shape.length - 1]!;
        const n = shape.reduce((a, b) => a * b, 1), rows = n / cols;
        const x = randomFloats(n, seed++).map((v, i) => v * 3 + (i % 5) - 2);
        const gamma = randomFloats(cols, seed++).map((v) => v + 1), beta = randomFloats(cols, seed++);
        const dy = randomFloats(n, seed++);
        const what = `layerNorm ${JSON.stringify(shape)}`;
        const want = layerNormRef(x, gamma, beta, rows, cols, 1e-5, dy);
        const stats = { mean: empty([rows]), rstd: empty([rows]) };
        const xT = tensor(x, shape), gT = tensor(gamma, [cols]);
        const out = layerNorm(xT, gT, tensor(beta, [cols]), { stats });
        expect(out.shape).toEqual(shape);
        expectClose(out.toFloat32Array(), want.out, 1e-5, 2e-6, `${what} out`);
        expectClose(stats.mean.toFloat32Array(), want.mean, 1e-5, 1e-6, `${what} mean`);
        expectClose(stats.rstd.toFloat32Array(), want.rstd, 1e-5, 0, `${what} rstd`);
        const g = layerNormBackward(tensor(dy, shape), xT, gT, stats);
        expect(g.dx.shape).toEqual(shape);
        expect(g.dgamma.shape).toEqual([cols]);
        expectClose(g.dx.toFloat32Array(), want.dx, 1e-4, 1e-5, `${what} dx`);
        expectClose(g.dgamma.toFloat32Array(), want.dgamma, 1e-4, 1e-5, `${what} dgamma`);
        expectClose(g.dbeta.toFloat32Array(), want.dbeta, 1e-5, 1e-5, `${what} dbeta`);
      });
    }
  });

  it("writes into given tensors: out = x in place, dx = dy, dgamma/dbeta overwritten", async () => {
    await useBuild(build);
    tidy(() => {
      const [rows, cols] = [5, 17];
      const x = randomFloats(rows * cols, 50), gamma = randomFloats(cols, 51), beta = randomFloats(cols, 52), dy = randomFloats(rows * cols, 53);
      const want = layerNormRef(x, gamma, beta, rows, cols, 1e-3, dy);
      const xT = tensor(x, [rows, cols]), gT = tensor(gamma, [cols]);
      const stats = { mean: empty([rows]), rstd: empty([rows]) };
      const copy = tensor(x, [rows, cols]);
      expect(layerNorm(copy, gT, tensor(beta, [cols]), { eps: 1e-3, out: copy, stats })).toBe(copy);
      expectClose(copy.toFloat32Array(), want.out, 1e-5, 2e-6, "in place");
      const dyT = tensor(dy, [rows, cols]);
      const dgamma = tensor(new Float32Array(cols).fill(7), [cols]), dbeta = tensor(new Float32Array(cols).fill(-7), [cols]);
      const g = layerNormBackward(dyT, xT, gT, stats, { dx: dyT, dgamma, dbeta });
      expect(g.dx).toBe(dyT);
      expect(g.dgamma).toBe(dgamma);
      expect(g.dbeta).toBe(dbeta);
      expectClose(dyT.toFloat32Array(), want.dx, 1e-4, 1e-5, "dx in dy");
      expectClose(dgamma.toFloat32Array(), want.dgamma, 1e-4, 1e-5, "dgamma overwritten");
      expectClose(dbeta.toFloat32Array(), want.dbeta, 1e-5, 1e-5, "dbeta overwritten");
    });
  });

  it("backward agrees with finite differences on x, gamma and beta (L = Σ out·R)", async () => {
    await useBuild(build);
    for (const [rows, cols] of [[1, 1], [1, 3], [3, 17], [2, 33], [2, 65]] as const) {
      tidy(() => {
        const x = randomFloats(rows * cols, rows * 100 + cols).map((v) => v * 2);
        const gamma = randomFloats(cols, cols + 1).map((v) => v + 1), beta = randomFloats(cols, cols + 2);
        const r = randomFloats(rows * cols, cols + 3);
        const stats = { mean: empty([rows]), rstd: empty([rows]) };
        const xT = tensor(x, [rows, cols]), gT = tensor(gamma, [cols]);
        layerNorm(xT, gT, tensor(beta, [cols]), { stats });
        const g = layerNormBackward(tensor(r, [rows, cols]), xT, gT, stats);
        checkFiniteDiff({
          inputs: [x, gamma, beta], names: ["x", "gamma", "beta"], r, eps: 1e-2, samples: 40,
          grads: [g.dx.toFloat32Array(), g.dgamma.toFloat32Array(), g.dbeta.toFloat32Array()],
          what: `layerNorm ${rows}x${cols}`,
          forward: ([xi, gi, bi]) => tidy(() => layerNorm(tensor(xi!, [rows, cols]), tensor(gi!, [cols]), tensor(bi!, [cols])).toFloat32Array()),
        });
      });
    }
  });
});

describe("layerNorm errors", () => {
  it("name the op, the argument and the shapes", async () => {
    await useBuild("simd");
    tidy(() => {
      const x = tensor(new Float32Array(12), [3, 4]);
      const g4 = tensor(new Float32Array(4), [4]), g3 = tensor(new Float32Array(3), [3]);
      expect(() => layerNorm(x, g3, g4)).toThrow(ShapeError);
      expect(() => layerNorm(x, g3, g4)).toThrow("layerNorm: gamma [3] must be [4] to match the last axis of x [3,4]");
      expect(() => layerNorm(x, g4, g3)).toThrow("layerNorm: beta [3] must be [4]");
      expect(() => layerNorm(x, g4, g4, { eps: -1 })).toThrow(ArgumentError);
      expect(() => layerNorm(x, g4, g4, { stats: { mean: empty([4]), rstd: empty([3]) } })).toThrow("layerNorm: stats.mean [4] must be [3] (one per row of x [3,4])");
      const stats = { mean: empty([3]), rstd: empty([3]) };
      expect(() => layerNormBackward(tensor(new Float32Array(12), [4, 3]), x, g4, stats)).toThrow("layerNormBackward: dy [4,3] must have the shape of x [3,4]");
      expect(() => layerNormBackward(x, x, g4, stats, { dgamma: g3 })).toThrow("layerNormBackward: dgamma has shape [3], the gradient has shape [4]");
      expect(() => layerNorm(tensor(5), g4, g4)).toThrow(/rank >= 1/);
    });
  });
});
