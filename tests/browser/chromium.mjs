// Which Chromium the browser tests drive, and how to launch it with playwright-core.
// Order: $CHROMIUM if set; else a system Chromium (/usr/bin/chromium, or chromium / chromium-browser /
// google-chrome on the PATH); else the one that comes through npm (@sparticuz/chromium, a
// devDependency: unpacked to a temp folder on first use), so `npm test` needs only Node and npm.
// SIMDNET_NO_SYSTEM_CHROMIUM=1 skips the system browsers, to check the npm fallback on a machine that has one.

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

const QUIET_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

function onPath(name) {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** { executablePath, args, origin } of the browser to use; throws with what to install if none. */
export async function findChromium() {
  if (process.env.CHROMIUM) {
    if (!existsSync(process.env.CHROMIUM)) throw new Error(`CHROMIUM=${process.env.CHROMIUM} does not exist`);
    return { executablePath: process.env.CHROMIUM, args: QUIET_ARGS, origin: "$CHROMIUM" };
  }
  if (process.env.SIMDNET_NO_SYSTEM_CHROMIUM !== "1") {
    const system = ["/usr/bin/chromium"].find(existsSync) ?? ["chromium", "chromium-browser", "google-chrome"].map(onPath).find(Boolean);
    if (system) return { executablePath: system, args: QUIET_ARGS, origin: "system" };
  }
  let sparticuz;
  try {
    sparticuz = (await import("@sparticuz/chromium")).default;
  } catch (cause) {
    throw new Error("no Chromium found: install one (apt-get install chromium), set CHROMIUM=/path, or `npm install` the devDependency @sparticuz/chromium", { cause });
  }
  const executablePath = await sparticuz.executablePath();
  // Not its own flag set: that is tuned for serverless hosts (--single-process, --disable-web-security,
  // no site isolation) and leaves pages without crossOriginIsolated, which the tests check.
  return { executablePath, args: QUIET_ARGS, origin: "npm @sparticuz/chromium" };
}

/**
 * Launch headless Chromium with a fresh profile. Returns { context, browser: { executablePath, origin }, close }.
 * A persistent context because the plain launch() refuses --user-data-dir, which keeps runs apart.
 */
export async function launchChromium() {
  const found = await findChromium();
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "simdnet-chromium-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: found.executablePath, headless: true, timeout: 30_000, args: found.args });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`could not launch ${found.executablePath} (${found.origin}): ${error.message}`, { cause: error });
  }
  return {
    context,
    browser: found,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
