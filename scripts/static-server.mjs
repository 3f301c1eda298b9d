// A tiny static file server for `npm run web` and the browser tests: 127.0.0.1 (an ephemeral port
// unless one is asked for), serving only files under `root`, with the headers that make the page
// crossOriginIsolated (COOP + COEP, unless `isolate: false`, to check the one-thread fallback) and
// the MIME types that streaming Wasm compilation and module scripts need. No dependencies.

import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".gz": "application/gzip",
};

const ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/**
 * Resolve a request path to a file under root, or null if it escapes root (`..`, encoded or not,
 * backslashes, NUL) or is malformed.
 */
export function resolveUnder(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  const segments = decoded.split("/");
  if (segments.some((s) => s === "..")) return null;
  const abs = resolve(root, "." + decoded);
  const base = resolve(root);
  if (abs !== base && !abs.startsWith(base + sep)) return null;
  return abs;
}

/** Start serving `root`; resolves to { url, close(), requests } once listening. */
export function startServer(root, { log = () => {}, port = 0, isolate = true } = {}) {
  const headers = isolate ? ISOLATION : {};
  const requests = [];
  const server = createServer(async (req, res) => {
    const send = (status, body, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store", ...headers });
      res.end(req.method === "HEAD" ? undefined : body);
      requests.push({ method: req.method, url: req.url, status, type });
      log(`${status} ${req.method} ${req.url}`);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed\n");
    const urlPath = new URL(req.url ?? "/", "http://localhost").pathname;
    let file = resolveUnder(root, urlPath);
    if (file === null) return send(403, "forbidden\n");
    try {
      if ((await stat(file)).isDirectory()) file = resolve(file, "index.html");
      const body = await readFile(file);
      send(200, body, TYPES[extname(file).toLowerCase()] ?? "application/octet-stream");
    } catch (err) {
      send(err && err.code === "ENOENT" ? 404 : 500, `${err && err.code ? err.code : "error"}\n`);
    }
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port } = server.address();
      resolvePromise({
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}
