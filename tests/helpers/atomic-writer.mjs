// A child process for the crash-safety test: saves versions 1, 2, 3… of a large file with the CLI's
// writeFileAtomic as fast as it can, printing each version once its save returned. The parent
// kills it with SIGKILL at random moments. Version v is SIZE bytes: a 4-byte little-endian v, then
// v & 255 repeated, so a reader can tell a whole version from a torn one.
import { writeFileAtomic } from "../../dist/cli/files.js";

const [target, sizeText] = process.argv.slice(2);
const size = Number(sizeText);
for (let v = 1; ; v++) {
  const bytes = new Uint8Array(size).fill(v & 255);
  new DataView(bytes.buffer).setUint32(0, v, true);
  await writeFileAtomic(target, bytes);
  process.stdout.write(`${v}\n`);
}
