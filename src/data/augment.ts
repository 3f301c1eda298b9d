// Data augmentation for image batches: small random translations. An MLP sees pixels, not shapes;
// showing it each digit shifted by a pixel or two each epoch teaches it that position does not
// matter, which is worth about a point of test accuracy on the 8,000-digit embedded MNIST.

import type { Random } from "../runtime/random.js";

/**
 * Shift each image in `images` (rows of height·width floats, row-major) by a random offset in
 * [−maxShift, maxShift] on each axis, in place, filling uncovered pixels with 0 (background).
 */
export function randomShift(images: Float32Array, count: number, height: number, width: number, maxShift: number, rng: Random): void {
  const size = height * width;
  const tmp = new Float32Array(size);
  for (let r = 0; r < count; r++) {
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    if (dx === 0 && dy === 0) continue;
    const img = images.subarray(r * size, (r + 1) * size);
    tmp.fill(0);
    for (let y = 0; y < height; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= height) continue;
      for (let x = 0; x < width; x++) {
        const sx = x - dx;
        if (sx >= 0 && sx < width) tmp[y * width + x] = img[sy * width + sx]!;
      }
    }
    img.set(tmp);
  }
}
