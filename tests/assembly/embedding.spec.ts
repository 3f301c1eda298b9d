import { embedding_f32, embedding_backward_f32 } from "../../assembly/embedding";
import { patternBuffer, zerosBuffer, ptr } from "./helpers/buffers";

const DS: i32[] = [1, 3, 4, 5, 8, 16, 17, 33, 65];

function idBuffer(n: i32, vocab: i32, seed: i32): StaticArray<i32> {
  const out = new StaticArray<i32>(max(n, 1));
  for (let i = 0; i < n; i++) out[i] = (i * 5 + seed * 3) % vocab;
  return out;
}

function iptr(buf: StaticArray<i32>): usize {
  return changetype<usize>(buf);
}

describe("embedding_f32", () => {
  it("gathers hand rows, including a repeated id", () => {
    const table = new StaticArray<f32>(6); // vocab 3, d 2
    for (let i = 0; i < 6; i++) table[i] = <f32>(i + 1);
    const ids = new StaticArray<i32>(3);
    ids[0] = 2; ids[1] = 0; ids[2] = 2;
    const out = new StaticArray<f32>(6);
    embedding_f32(3, iptr(ids), ptr(table), 2, 3, ptr(out));
    expect<f32>(out[0]).toBe(5); expect<f32>(out[1]).toBe(6);
    expect<f32>(out[2]).toBe(1); expect<f32>(out[3]).toBe(2);
    expect<f32>(out[4]).toBe(5); expect<f32>(out[5]).toBe(6);
  });

  it("copies exact rows on ragged widths and writes exactly n·d values", () => {
    for (let di = 0; di < DS.length; di++) {
      const d = DS[di], vocab = 7, n = 11;
      const table = patternBuffer(vocab * d, di), ids = idBuffer(n, vocab, di);
      const out = zerosBuffer(n * d + 1);
      out[n * d] = 42;
      embedding_f32(n, iptr(ids), ptr(table), d, vocab, ptr(out));
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < d; c++) expect<f32>(out[r * d + c]).toBe(table[ids[r] * d + c]);
      }
      expect<f32>(out[n * d]).toBe(42);
    }
  });

  it("gives zero rows for ids outside [0, vocab) without reading past the table", () => {
    const d = 5, vocab = 2;
    const table = patternBuffer(vocab * d, 3);
    const ids = new StaticArray<i32>(3);
    ids[0] = -1; ids[1] = 1; ids[2] = 2;
    const out = patternBuffer(3 * d, 9);
    embedding_f32(3, iptr(ids), ptr(table), d, vocab, ptr(out));
    for (let c = 0; c < d; c++) {
      expect<f32>(out[c]).toBe(0);
      expect<f32>(out[d + c]).toBe(table[d + c]);
      expect<f32>(out[2 * d + c]).toBe(0);
    }
  });
});

describe("embedding_backward_f32", () => {
  it("zeroes dtable, then scatter-adds rows (repeated ids accumulate, bad ids are skipped)", () => {
    for (let di = 0; di < DS.length; di++) {
      const d = DS[di], vocab = 5, n = 13;
      const ids = idBuffer(n, vocab, di);
      ids[3] = -4; ids[7] = vocab; // skipped
      const dout = patternBuffer(n * d, di + 1);
      const dtable = patternBuffer(vocab * d + 1, 77); // stale values must be overwritten
      dtable[vocab * d] = 42;
      embedding_backward_f32(n, iptr(ids), ptr(dout), d, vocab, ptr(dtable));
      for (let v = 0; v < vocab; v++) {
        for (let c = 0; c < d; c++) {
          let want: f32 = 0;
          for (let r = 0; r < n; r++) if (ids[r] == v) want += dout[r * d + c];
          expect<f32>(dtable[v * d + c]).toBe(want);
        }
      }
      expect<f32>(dtable[vocab * d]).toBe(42);
    }
  });
});
