// Turn a drawing into an MNIST-style input, the way the MNIST digits themselves were made: the
// digit's bounding box is scaled (keeping its aspect ratio) so its longer side is 20 px, with area
// averaging so thin strokes become grey edges rather than gaps; then it is placed in a 28×28 field
// so that its centre of mass sits at the centre. A network trained on MNIST has only ever seen
// digits framed this way, so skipping any step costs accuracy: a digit drawn small in a corner is
// another input entirely. No DOM here, so the same code runs in Node tests.

export const SIZE = 28;
export const BOX = 20;
/** Pixels at or below this intensity count as background when finding the bounding box. */
const INK = 0.05;

/**
 * @param {Float32Array | number[]} gray  width × height intensities in [0, 1], row-major (ink = 1)
 * @param {number} width
 * @param {number} height
 * @returns {Float32Array | null}  28 × 28 = 784 values in [0, 1], or null when nothing is drawn
 */
export function toMnistInput(gray, width, height) {
  if (gray.length !== width * height) throw new RangeError(`toMnistInput: ${gray.length} pixels for ${width}×${height}`);
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (gray[y * width + x] > INK) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  const small = resampleArea(gray, width, x0, y0, bw, bh, tw, th);

  // Centre of mass of the scaled digit in pixel indices, then the whole-pixel shift that moves it to
  // (14, 14): the MNIST files put it there (measured on the shipped digits: within half a pixel).
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  const dx = Math.round(SIZE / 2 - mx / mass);
  const dy = Math.round(SIZE / 2 - my / mass);
  const out = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < th; y++) {
    const oy = y + dy;
    if (oy < 0 || oy >= SIZE) continue;
    for (let x = 0; x < tw; x++) {
      const ox = x + dx;
      if (ox >= 0 && ox < SIZE) out[oy * SIZE + ox] = small[y * tw + x];
    }
  }
  return out;
}

/**
 * Resample the box (x0, y0, bw, bh) of `gray` to tw × th by area averaging: each target pixel is the
 * mean of the source area it covers, counting partly covered source pixels by the covered fraction.
 */
function resampleArea(gray, width, x0, y0, bw, bh, tw, th) {
  const sx = bw / tw;
  const sy = bh / th;
  const out = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const fy0 = ty * sy, fy1 = fy0 + sy;
    for (let tx = 0; tx < tw; tx++) {
      const fx0 = tx * sx, fx1 = fx0 + sx;
      let sum = 0;
      for (let y = Math.floor(fy0); y < Math.ceil(fy1); y++) {
        const wy = Math.min(fy1, y + 1) - Math.max(fy0, y);
        for (let x = Math.floor(fx0); x < Math.ceil(fx1); x++) {
          const wx = Math.min(fx1, x + 1) - Math.max(fx0, x);
          sum += wx * wy * gray[(y0 + y) * width + x0 + x];
        }
      }
      out[ty * tw + tx] = Math.min(1, sum / (sx * sy));
    }
  }
  return out;
}

/** Canvas RGBA pixels to intensities in [0, 1]: the drawing is white ink on black, so red is enough. */
export function rgbaToGray(rgba, width, height) {
  const gray = new Float32Array(width * height);
  for (let i = 0; i < gray.length; i++) gray[i] = rgba[4 * i] / 255;
  return gray;
}
