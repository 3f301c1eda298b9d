// The CLI's file system side: atomic saves (temporary file in the same folder, fsync, rename over
// the target, fsync the folder), output paths checked before any training, and input files whose
// problems come out as one line naming the flag — never a bare ENOENT or EISDIR.

import { open, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ArgumentError } from "../index.js";

let tempCounter = 0;
const TEMP_SUFFIX = ".tmp";

/** The temporary name a save of `path` by this process uses: hidden, beside the target. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${++tempCounter}${TEMP_SUFFIX}`);
}

/** Errors from the file system as a short phrase ("no such file or folder"). */
function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT": return "no such file or folder";
    case "EISDIR": return "it is a folder, not a file";
    case "ENOTDIR": return "a part of the path is not a folder";
    case "EACCES":
    case "EPERM": return "permission denied";
    case "EROFS": return "the file system is read-only";
    case "ENOSPC": return "the disk is full";
    default: return (error as Error)?.message ?? String(error);
  }
}

/**
 * Write `bytes` to `path` so that, whenever the process dies, `path` holds either its previous
 * content or all of `bytes` — never a part. rename() within one folder replaces the name in one
 * step (POSIX); fsync before it makes the data durable before the name points at it, and fsync of
 * the folder makes the rename itself survive a power cut (skipped where folders cannot be opened).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const temp = tempPathFor(path);
  try {
    const file = await open(temp, "wx", 0o644);
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw new ArgumentError(`cannot save ${path}: ${describe(error)}`, { cause: error });
  }
  await syncFolder(dirname(path));
}

async function syncFolder(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Windows cannot open a folder; some file systems refuse fsync on one. The rename is still atomic.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** Remove temporary files a killed earlier run left beside `path` (only those of dead processes). */
export async function removeStaleTemps(path: string): Promise<number> {
  const dir = dirname(resolve(path));
  const prefix = `.${basename(path)}.`;
  let removed = 0;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    const pid = Number(name.slice(prefix.length).split(".")[0]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await rm(join(dir, name), { force: true }).catch(() => {});
    removed++;
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Check before training that `path` can be saved: its folder exists and takes a new file, and the
 * path is not a folder. Proven by creating (and removing) a temporary file, as the save will.
 */
export async function checkWritable(flag: string, path: string): Promise<void> {
  const dir = dirname(resolve(path));
  const where = `--${flag} ${path}`;
  const dirStat = await stat(dir).catch((error) => {
    throw new ArgumentError(`${where}: the folder ${dir} ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `cannot be used (${describe(error)})`}`);
  });
  if (!dirStat.isDirectory()) throw new ArgumentError(`${where}: ${dir} is not a folder`);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new ArgumentError(`${where}: that is a folder; name a file inside it`);
  const probe = tempPathFor(resolve(path));
  try {
    await (await open(probe, "wx", 0o644)).close();
  } catch (error) {
    throw new ArgumentError(`${where}: cannot write into ${dir} (${describe(error)})`);
  } finally {
    await rm(probe, { force: true }).catch(() => {});
  }
}

/** Read a file named by a flag; problems come out as one line that names the flag and the path. */
export async function readInput(flag: string, path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new ArgumentError(`--${flag} ${path}: cannot read it (${describe(error)})`, { cause: error });
  }
}

/** Check that a flag names an existing folder. */
export async function checkFolder(flag: string, path: string): Promise<void> {
  const s = await stat(path).catch((error) => {
    throw new ArgumentError(`--${flag} ${path}: ${describe(error)}`);
  });
  if (!s.isDirectory()) throw new ArgumentError(`--${flag} ${path}: not a folder`);
}

/** The loss chart's default place: beside the checkpoint, named after it ("runs/gpt.safetensors" → "runs/gpt-loss.svg"). */
export function besideOutput(output: string, suffix: string): string {
  const base = basename(output).replace(/\.[^.]*$/, "");
  return join(dirname(output), `${base || "run"}${suffix}`);
}

export { describe as describeFileError };
