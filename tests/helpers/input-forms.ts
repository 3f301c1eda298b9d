// The shapes in which a file reaches a loader: a plain Uint8Array, a Node Buffer that sits at a
// non-zero offset of a larger ArrayBuffer (as small files read with fs do, inside Node's 8 KiB pool),
// and a view at an odd offset inside a larger buffer whose bytes around the view are a known fence.
// A loader must read only its view and write nothing into it.

export interface InputForm {
  name: string;
  bytes: Uint8Array;
  /** True if the view, the fence around it and the rest of the backing buffer are as they were. */
  untouched(): boolean;
}

const FENCE = 0xa5;

export function plainForm(file: Uint8Array): InputForm {
  const bytes = file.slice();
  return { name: "Uint8Array", bytes, untouched: () => equal(bytes, file) };
}

/** A Buffer at byteOffset != 0 of a buffer that holds other bytes before and after it (like Node's pool). */
export function bufferForm(file: Uint8Array): InputForm {
  // Small Buffers come from the shared pool; take one after another so the offset is not 0.
  let bytes: Buffer = Buffer.from(file);
  if (bytes.byteOffset === 0) {
    const backing = Buffer.alloc(file.length + 24, FENCE);
    backing.set(file, 8);
    bytes = backing.subarray(8, 8 + file.length);
  }
  const whole = new Uint8Array(bytes.buffer).slice();
  return { name: "Buffer", bytes, untouched: () => equal(new Uint8Array(bytes.buffer), whole) };
}

/** A view at an odd offset (so no typed array of 2+ bytes can alias it) inside a fenced buffer. */
export function fencedForm(file: Uint8Array, offset = 7, fence = 33): InputForm {
  const backing = new Uint8Array(offset + file.length + fence).fill(FENCE);
  backing.set(file, offset);
  const bytes = backing.subarray(offset, offset + file.length);
  return {
    name: `view at offset ${offset}`,
    bytes,
    untouched: () => equal(bytes, file) && backing.subarray(0, offset).every((b) => b === FENCE) && backing.subarray(offset + file.length).every((b) => b === FENCE),
  };
}

export const inputForms = (file: Uint8Array): InputForm[] => [plainForm(file), bufferForm(file), fencedForm(file)];

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
