// Copying a batch's sample rows into the batch buffer, inside Wasm memory. A function of its own, on a
// plain Float32Array, so a test can put canaries around the destination: an off-by-one here writes into
// whatever Wasm memory follows the batch buffer, which nothing else would notice.

/**
 * Copy rows order[start], …, order[start + count − 1] of the row-major matrix at float index `src` (`cols`
 * floats per row) into `count` consecutive rows at float index `dst` of `mem`. Runs of consecutive sample
 * indices are copied in one move (the whole batch when not shuffled). Writes exactly count·cols floats
 * from `dst` and nothing else.
 */
export function gatherRows(mem: Float32Array, src: number, dst: number, cols: number, order: Int32Array, start: number, count: number): void {
  let i = 0;
  while (i < count) {
    let run = 1;
    const first = order[start + i]!;
    // The run stops at the batch's end even when the next batch's first index continues it.
    while (i + run < count && order[start + i + run] === first + run) run++;
    mem.copyWithin(dst + i * cols, src + first * cols, src + (first + run) * cols);
    i += run;
  }
}
