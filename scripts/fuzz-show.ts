// node --import tsx scripts/fuzz-show.ts --format NAME --seed S --index I: print mutant I of a fuzz run (its first bytes as text) and load it once, to reproduce a failure.
import { parseArgs } from "node:util";
import { init } from "../src/index.js";
import { allFormats } from "../tests/fuzz/formats.js";
import { mutantRandom } from "../tests/fuzz/random.js";

const { values } = parseArgs({ options: { format: { type: "string" }, seed: { type: "string", default: "1" }, index: { type: "string", default: "0" } } });
await init();
const format = allFormats().find((f) => f.name === values.format);
if (!format) throw new Error(`formats: ${allFormats().map((f) => f.name).join(", ")}`);
const bytes = format.mutate(mutantRandom(Number(values.seed), Number(values.index)));
console.log(`${bytes.length} bytes; as text: ${JSON.stringify(new TextDecoder().decode(bytes.subarray(0, 400)))}`);
try {
  const loaded = await format.load(bytes);
  console.log(`accepted: ${loaded.summary.slice(0, 400)}\ncheck: ${loaded.check() ?? "confirmed"}`);
  loaded.dispose();
} catch (error) {
  console.log(`rejected: ${(error as Error).name}: ${(error as Error).message.slice(0, 400)}`);
}
