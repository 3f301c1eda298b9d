// The one option parser every command uses: --name value, --name=value, -h; values may start with
// "-" (so "--seed -5" reaches the range check and gets a clear refusal instead of a parse error);
// unknown options are errors with a suggestion for near misses. Options every command that
// computes shares (kernel build, help, version) live in COMMON_OPTIONS, so a new one — the lead's
// --threads — is added in one place.

import { ArgumentError } from "../index.js";

export type OptionType = "string" | "boolean";
export type OptionSpecs = Record<string, OptionType>;

export const COMMON_OPTIONS: OptionSpecs = { build: "string", scalar: "boolean", threads: "string", help: "boolean", version: "boolean" };

export interface ParsedOptions {
  values: Record<string, string | boolean | undefined>;
  /** The options the user wrote (to tell "left at the default" from "asked for the default"). */
  given: ReadonlySet<string>;
  string(name: string): string | undefined;
  flag(name: string): boolean;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const score = c.startsWith(word) || word.startsWith(c) ? 0.5 : distance(word, c);
    if (score < bestScore) [best, bestScore] = [c, score];
  }
  return bestScore <= (word.length <= 3 ? 1 : 2) ? best : undefined;
}

export function parseOptions(command: string, argv: readonly string[], specs: OptionSpecs): ParsedOptions {
  const values: Record<string, string | boolean | undefined> = {};
  const given = new Set<string>();
  const names = Object.keys(specs);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h") {
      if (!("help" in specs)) throw new ArgumentError(`${command}: unknown option -h`);
      values.help = true;
      given.add("help");
      continue;
    }
    if (!arg.startsWith("--") || arg === "--") {
      throw new ArgumentError(`${command}: unexpected argument ${JSON.stringify(arg)} (options start with --; see simdnet ${command} --help)`);
    }
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const type = specs[name];
    if (type === undefined) {
      const near = suggest(name, names);
      throw new ArgumentError(`${command}: unknown option --${name}${near ? ` (did you mean --${near}?)` : ""}; see simdnet ${command} --help`);
    }
    if (given.has(name)) throw new ArgumentError(`${command}: --${name} is given twice`);
    given.add(name);
    if (type === "boolean") {
      if (eq >= 0) throw new ArgumentError(`${command}: --${name} takes no value (got "${arg.slice(eq + 1)}")`);
      values[name] = true;
      continue;
    }
    if (eq >= 0) {
      values[name] = arg.slice(eq + 1);
      continue;
    }
    const next = argv[i + 1];
    // A following "--known-option" means the value was forgotten; "-5" is a value (refused or not by the range check).
    if (next === undefined || (next.startsWith("--") && next.slice(2).split("=")[0]! in specs)) {
      throw new ArgumentError(`${command}: --${name} needs a value${next === undefined ? "" : ` (it is followed by the option ${next})`}`);
    }
    values[name] = next;
    i++;
  }
  return {
    values,
    given,
    string: (name) => values[name] as string | undefined,
    flag: (name) => values[name] === true,
  };
}

/** An integer flag with a lower bound; the error names the flag and repeats what was given. */
export function intOption(name: string, v: string | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const n = v.trim() === "" ? NaN : Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new ArgumentError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}

/** A finite number flag with a lower bound (exclusive or not). */
export function numberOption(name: string, v: string | undefined, fallback: number, min: number, exclusive = false, max = Infinity): number {
  if (v === undefined) return fallback;
  const n = v.trim() === "" ? NaN : Number(v);
  const ok = Number.isFinite(n) && (exclusive ? n > min : n >= min) && n <= max;
  if (!ok) throw new ArgumentError(`--${name} must be a number ${exclusive ? ">" : ">="} ${min}${max < Infinity ? ` and <= ${max}` : ""}, got "${v}"`);
  return n;
}
