// The page's drawing → MNIST input step (web/src/preprocess.js). The shipped MNIST digits are their
// own reference: a digit blown up and placed anywhere on a 280×280 canvas must come back as the
// digit itself, since MNIST framed its digits the same way (20 px box, centre of mass at 14, 14).
import { beforeAll, describe, expect, it } from "vitest";
import { loadEmbeddedMnist, type Dataset } from "../src/index.js";
// @ts-expect-error: a plain-JS browser module without types
import { toMnistInput } from "../web/src/preprocess.js";

const preprocess = toMnistInput as (gray: Float32Array, width: number, height: number) => Float32Array | null;
const CANVAS = 280;
let test: Dataset;

beforeAll(async () => {
  ({ test } = await loadEmbeddedMnist({ seed: 0 }));
});

const digit = (i: number) => test.images.subarray(i * 784, (i + 1) * 784);

/** The 28×28 digit magnified by `k` (each pixel sampled at the nearest source pixel) at (ox, oy). */
function drawn(img: Float32Array, k: number, ox: number, oy: number): Float32Array {
  const g = new Float32Array(CANVAS * CANVAS);
  const side = Math.round(28 * k);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) g[(oy + y) * CANVAS + ox + x] = img[Math.floor(y / k) * 28 + Math.floor(x / k)]!;
  return g;
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ma = 0, mb = 0;
  for (let i = 0; i < a.length; i++) { ma += a[i]!; mb += b[i]!; }
  ma /= a.length; mb /= b.length;
  let s = 0, sa = 0, sb = 0;
  for (let i = 0; i < a.length; i++) { s += (a[i]! - ma) * (b[i]! - mb); sa += (a[i]! - ma) ** 2; sb += (b[i]! - mb) ** 2; }
  return s / Math.sqrt(sa * sb);
}

describe("toMnistInput (the page's drawing preprocessing)", () => {
  it.each([
    [10, 0, 0],
    [4, 150, 30],
    [3, 0, 196],
    [1, 251, 251],
  ])("gives back 200 test digits magnified %i× at (%i, %i)", (k, ox, oy) => {
    let worst = 1;
    for (let i = 0; i < 200; i++) worst = Math.min(worst, correlation(preprocess(drawn(digit(i), k, ox, oy), CANVAS, CANVAS)!, digit(i)));
    // Whole-number magnifications are undone exactly by the area averaging; what is left is the
    // faint ink below the bounding-box threshold at a digit's edge.
    expect(worst).toBeGreaterThan(0.999);
  });

  it("frames a digit drawn at a size that is no whole multiple (2.5×) close to the original", () => {
    // Nearest-pixel magnification by 2.5 makes uneven 3-2-3 pixel blocks, so single digits can come
    // back a pixel off; on average they must still match.
    let sum = 0;
    for (let i = 0; i < 200; i++) sum += correlation(preprocess(drawn(digit(i), 2.5, 17, 40), CANVAS, CANVAS)!, digit(i));
    expect(sum / 200).toBeGreaterThan(0.96); // measured 0.972
  });

  it("puts the centre of mass within half a pixel of (14, 14) and the longer side at 20 px", () => {
    const stroke = new Float32Array(CANVAS * CANVAS);
    for (let y = 30; y < 230; y++) for (let x = 200; x < 240; x++) stroke[y * CANVAS + x] = 1; // a tall bar off to the right
    const out = preprocess(stroke, CANVAS, CANVAS)!;
    let mass = 0, mx = 0, my = 0, top = 28, bottom = -1;
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
      const v = out[y * 28 + x]!;
      mass += v; mx += v * x; my += v * y;
      if (v > 0) { top = Math.min(top, y); bottom = Math.max(bottom, y); }
    }
    expect(Math.abs(mx / mass - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(my / mass - 14)).toBeLessThanOrEqual(0.5);
    expect(bottom - top + 1).toBe(20);
    expect(mass).toBeCloseTo(20 * 4, 3); // 200×40 scaled by 1/10 on each side, ink preserved
  });

  it("returns null for an empty canvas and refuses a pixel count that does not match the size", () => {
    expect(preprocess(new Float32Array(CANVAS * CANVAS), CANVAS, CANVAS)).toBeNull();
    expect(() => preprocess(new Float32Array(10), 3, 3)).toThrow(/10 pixels for 3×3/);
  });
});
