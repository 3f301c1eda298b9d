// IDX files (MNIST, Fashion-MNIST, EMNIST): a 4-byte magic, one big-endian u32 per dimension, then
// the values, big-endian, row-major. Often shipped gzipped.
//
//   bytes 0–1  zero
//   byte  2    type code: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
//   byte  3    rank (number of dimensions), >= 1 here
//   then       rank × u32 big-endian dimension sizes, then prod(shape) values
//
// The file is untrusted. The header is checked against the bytes actually present before anything
// is allocated; a gzipped file is checked against its trailer (ISIZE, the uncompressed size mod 2^32)
// and against `maxBytes`, and decompression stops as soon as the output passes what the header
// promised, so a small file cannot make this allocate much more than it really decompresses to.
// Only web APIs (DataView, DecompressionStream): the same code runs in Node and in browsers.

import { FormatError, formatShape } from "../runtime/errors.js";

export type IdxDtype = "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  data: IdxData;
}

export interface IdxOptions {
  /** Largest file (header + data, uncompressed) to accept, in bytes. Default 1 GiB. */
  maxBytes?: number;
}

export const IDX_DEFAULT_MAX_BYTES = 2 ** 30;

const TYPES: Record<number, { dtype: IdxDtype; size: number }> = {
  0x08: { dtype: "uint8", size: 1 },
  0x09: { dtype: "int8", size: 1 },
  0x0b: { dtype: "int16", size: 2 },
  0x0c: { dtype: "int32", size: 4 },
  0x0d: { dtype: "float32", size: 4 },
  0x0e: { dtype: "float64", size: 8 },
};

/** What an IDX header says: the element type, the shape, and how many bytes the whole file must have. */
export interface IdxHeader {
  dtype: IdxDtype;
  elementSize: number;
  shape: number[];
  /** Bytes of magic + dimensions. */
  headerBytes: number;
  /** Bytes of values the header promises: prod(shape) × elementSize. */
  dataBytes: number;
}

const hex = (b: number) => `0x${b.toString(16).padStart(2, "0")}`;

/** Bytes needed before the header can be parsed: 4, then 4 + 4·rank once the rank is known. */
function headerLength(bytes: Uint8Array): number {
  return bytes.length < 4 ? 4 : 4 + 4 * bytes[3]!;
}

/**
 * Parse and validate an IDX header from the first bytes of a file (`where` names the byte stream in
 * messages, e.g. "IDX file" or "decompressed IDX data"). Throws FormatError with the offset of the
 * offending field. Does not look at the data.
 */
export function parseIdxHeader(bytes: Uint8Array, maxBytes = IDX_DEFAULT_MAX_BYTES, where = "IDX file"): IdxHeader {
  if (bytes.length < 4) {
    throw new FormatError(`${where}: truncated header: the 4-byte magic needs 4 bytes, the data has ${bytes.length}`, bytes.length);
  }
  for (const i of [0, 1]) {
    if (bytes[i] !== 0) {
      const gz = bytes[0] === 0x1f && bytes[1] === 0x8b ? " (this is gzip data; use the async readIdx, which decompresses)" : "";
      throw new FormatError(`${where}: bad magic: byte ${i} must be 0x00, got ${hex(bytes[i]!)}${gz}`, i);
    }
  }
  const type = TYPES[bytes[2]!];
  if (type === undefined) {
    throw new FormatError(`${where}: bad magic: unknown type code ${hex(bytes[2]!)}, expected one of 0x08 (uint8), 0x09 (int8), 0x0b (int16), 0x0c (int32), 0x0d (float32), 0x0e (float64)`, 2);
  }
  const rank = bytes[3]!;
  if (rank < 1) throw new FormatError(`${where}: bad magic: rank (byte 3) must be at least 1, got 0`, 3);
  const headerBytes = 4 + 4 * rank;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    const at = 4 + 4 * d;
    if (at + 4 > bytes.length) {
      throw new FormatError(`${where}: truncated header: dimension ${d} of ${rank} (4 bytes at offset ${at}) is cut off, the header needs ${headerBytes} bytes and the data has ${bytes.length}`, at);
    }
    const size = view.getUint32(at, false);
    shape.push(size);
    count *= size;
    if (count > Number.MAX_SAFE_INTEGER) {
      throw new FormatError(`${where}: dimensions ${formatShape(shape)}${d + 1 < rank ? "…" : ""} multiply to more than 2^53 elements`, at);
    }
    if (headerBytes + count * type.size > maxBytes) {
      throw new FormatError(`${where}: dimensions ${formatShape(shape)}${d + 1 < rank ? "…" : ""} of ${type.dtype} need at least ${headerBytes + count * type.size} bytes, more than maxBytes = ${maxBytes}`, at);
    }
  }
  return { dtype: type.dtype, elementSize: type.size, shape, headerBytes, dataBytes: count * type.size };
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Values from big-endian bytes (exactly header.dataBytes of them) into a native array. `owned` means
 * `data` is a fresh array of its own (byteOffset 0, whole buffer) that may be reused in place.
 */
function decode(header: IdxHeader, data: Uint8Array, owned: boolean): IdxData {
  // Not `data.slice()`: on a Node Buffer that is a view of the caller's bytes (which may sit at any
  // offset inside Node's shared 8 KiB pool), so the swap below would write into the caller's file
  // and the typed array at offset 0 would read someone else's bytes. `new Uint8Array(view)` always
  // copies into a fresh buffer of exactly that length.
  const buf = owned && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : new Uint8Array(data);
  const size = header.elementSize;
  const n = header.dataBytes / size;
  // Reverse each element's bytes on little-endian hosts: the bit patterns (NaN payloads included)
  // come through unchanged, which reading through DataView.getFloat32 would not promise.
  if (size > 1 && LITTLE_ENDIAN_HOST) {
    for (let i = 0; i < buf.length; i += size) {
      for (let a = i, b = i + size - 1; a < b; a++, b--) {
        const t = buf[a]!;
        buf[a] = buf[b]!;
        buf[b] = t;
      }
    }
  }
  switch (header.dtype) {
    case "uint8": return buf;
    case "int8": return new Int8Array(buf.buffer, buf.byteOffset, n);
    case "int16": return new Int16Array(buf.buffer, buf.byteOffset, n);
    case "int32": return new Int32Array(buf.buffer, buf.byteOffset, n);
    case "float32": return new Float32Array(buf.buffer, buf.byteOffset, n);
    default: return new Float64Array(buf.buffer, buf.byteOffset, n);
  }
}

function checkLength(header: IdxHeader, total: number, where: string): void {
  const want = header.headerBytes + header.dataBytes;
  if (total < want) {
    throw new FormatError(`${where}: data too short: shape ${formatShape(header.shape)} of ${header.dtype} needs ${header.dataBytes} data bytes (${want} in all), got ${total - header.headerBytes} (${total} in all)`, total);
  }
  if (total > want) {
    throw new FormatError(`${where}: data too long: shape ${formatShape(header.shape)} of ${header.dtype} needs ${header.dataBytes} data bytes (${want} in all), got ${total - header.headerBytes} (${total} in all)`, want);
  }
}

/** Read an uncompressed IDX file. */
export function readIdxSync(bytes: Uint8Array, options: IdxOptions = {}): IdxArray {
  const maxBytes = options.maxBytes ?? IDX_DEFAULT_MAX_BYTES;
  const header = parseIdxHeader(bytes, maxBytes);
  checkLength(header, bytes.length, "IDX file");
  const data = decode(header, bytes.subarray(header.headerBytes, header.headerBytes + header.dataBytes), false);
  return { dtype: header.dtype, shape: header.shape, data };
}

/** Read an IDX file, plain or gzipped (detected by the gzip magic 1f 8b). */
export async function readIdx(bytes: Uint8Array, options: IdxOptions = {}): Promise<IdxArray> {
  if (!isGzip(bytes)) return readIdxSync(bytes, options);
  const maxBytes = options.maxBytes ?? IDX_DEFAULT_MAX_BYTES;
  const { header, data } = await gunzipIdx(bytes, maxBytes);
  return { dtype: header.dtype, shape: header.shape, data: decode(header, data, true) };
}

// Feed the compressed bytes in small slices, pulled on demand, so that the decompressor's output is
// consumed (and checked) as it is produced rather than all at once.
const SLICE = 16 * 1024;

async function gunzipIdx(bytes: Uint8Array, maxBytes: number): Promise<{ header: IdxHeader; data: Uint8Array }> {
  const where = "gzipped IDX file";
  const inner = "decompressed IDX data";
  // 10-byte gzip header + at least an empty deflate block + 8-byte trailer (CRC32, ISIZE).
  if (bytes.length < 20) {
    throw new FormatError(`${where}: truncated: a gzip stream has at least 20 bytes, got ${bytes.length}`, bytes.length);
  }
  const isizeAt = bytes.length - 4;
  const isize = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(isizeAt, true);
  // The true size is isize + k·2^32 >= isize, so an isize above the limit already proves it too big.
  if (isize > maxBytes) {
    throw new FormatError(`${where}: the gzip trailer says it decompresses to ${isize} bytes (mod 2^32), more than maxBytes = ${maxBytes}`, isizeAt);
  }
  if (typeof DecompressionStream === "undefined") {
    throw new FormatError(`${where}: cannot decompress: this JavaScript runtime has no DecompressionStream; decompress the file first`, 0);
  }

  let next = 0;
  const source = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (next >= bytes.length) {
        controller.close();
        return;
      }
      const end = Math.min(next + SLICE, bytes.length);
      // A copy: Buffer.prototype.slice is a view, and the stream must never hold the caller's bytes.
      controller.enqueue(new Uint8Array(bytes.subarray(next, end)));
      next = end;
    },
  }, { highWaterMark: 0 });
  const reader = source.pipeThrough(new DecompressionStream("gzip")).getReader();

  const chunks: Uint8Array[] = [];
  let total = 0;
  let header: IdxHeader | undefined;
  let expected = Infinity;
  const fail = async (error: FormatError): Promise<never> => {
    await reader.cancel().catch(() => undefined);
    throw error;
  };
  for (;;) {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch (cause) {
      throw new FormatError(`${where}: the gzip stream is corrupt or truncated after ${total} decompressed bytes: ${(cause as Error).message}`, 0, { cause });
    }
    if (result.done) break;
    const chunk = result.value;
    if (chunk.length === 0) continue;
    chunks.push(chunk);
    total += chunk.length;
    if (header === undefined) {
      const head = concat(chunks, Math.min(total, 4 + 4 * 255));
      // The header is at most 4 + 4·255 bytes, so this waits for at most that much output.
      if (head.length >= headerLength(head)) {
        try {
          header = parseIdxHeader(head, maxBytes, inner);
        } catch (error) {
          return fail(error as FormatError);
        }
        expected = header.headerBytes + header.dataBytes;
        if (expected % 2 ** 32 !== isize) {
          return fail(new FormatError(`${where}: the IDX header promises ${expected} bytes (shape ${formatShape(header.shape)} of ${header.dtype}) but the gzip trailer says the data decompresses to ${isize} bytes (mod 2^32)`, isizeAt));
        }
      }
    }
    if (total > expected) {
      return fail(new FormatError(`${inner}: data too long: more than the ${expected} bytes the IDX header promises (shape ${formatShape(header!.shape)} of ${header!.dtype}); stopped decompressing after ${total}`, expected));
    }
  }
  if (header === undefined) {
    // Fewer decompressed bytes than a full header: let the parser name what is missing.
    parseIdxHeader(concat(chunks, total), maxBytes, inner);
    throw new FormatError(`${inner}: truncated header`, total); // unreachable: the parser threw
  }
  checkLength(header, total, inner);
  return { header, data: concat(chunks, header.dataBytes, header.headerBytes) };
}

/** `length` bytes of a list of chunks, starting `skip` bytes in, as one fresh array. */
function concat(chunks: Uint8Array[], length: number, skip = 0): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    if (at >= length) break;
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    const n = Math.min(c.length - skip, length - at);
    out.set(c.subarray(skip, skip + n), at);
    at += n;
    skip = 0;
  }
  return out;
}
