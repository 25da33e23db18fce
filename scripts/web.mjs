/**
 * Build the demo web app and serve it on http://localhost:PORT (127.0.0.1 only) with a tiny
 * static file server. WebGPU needs a secure context, which localhost is.
 *
 *   node scripts/web.mjs [--port N]      (default 8080, or the PORT environment variable)
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { buildWeb } from "./build-web.mjs";

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".safetensors": "application/octet-stream",
  ".pth": "application/octet-stream",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
};

function parsePort(argv, env) {
  const i = argv.indexOf("--port");
  const text = i >= 0 ? argv[i + 1] : env.PORT;
  if (text === undefined) return 8080;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port / PORT must be a port number (0–65535), got "${text}"`);
  return port;
}

/** The file under `root` that a URL path names, or undefined when it would leave `root`. */
export function resolveInside(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath.split("?")[0].split("#")[0]);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const file = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  return file === root || file.startsWith(root + path.sep) ? file : undefined;
}

/** Serve the files of `root` (index.html for a folder); GET and HEAD only. */
export function staticServer(root) {
  return createServer(async (req, res) => {
    const send = (status, text) => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
      res.end(req.method === "HEAD" ? undefined : text);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed\n");
    let file = resolveInside(root, req.url ?? "/");
    if (!file) return send(403, "forbidden\n");
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        file = path.join(file, "index.html");
        info = await stat(file);
      }
      if (!info.isFile()) return send(404, "not found\n");
      res.writeHead(200, {
        "content-type": MIME[path.extname(file).toLowerCase()] ?? "application/octet-stream",
        "content-length": info.size,
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      });
      if (req.method === "HEAD") return res.end();
      createReadStream(file).pipe(res);
    } catch {
      send(404, "not found\n");
    }
  });
}

async function main() {
  const port = parsePort(process.argv.slice(2), process.env);
  const started = performance.now();
  const { outdir } = await buildWeb();
  console.log(`built ${path.relative(process.cwd(), outdir) || outdir} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  const server = staticServer(outdir);
  server.on("error", (error) => {
    console.error(error.code === "EADDRINUSE" ? `port ${port} is in use: pick another with --port N` : error.message);
    process.exit(1);
  });
  server.listen(port, "127.0.0.1", () => {
    const { port: bound } = server.address();
    console.log(`serving ${outdir} at http://localhost:${bound}/ (also http://127.0.0.1:${bound}/; Ctrl-C stops)`);
    console.log("WebGPU in Chrome/Chromium on Linux needs a flag: start it with --enable-unsafe-webgpu");
    console.log(`  e.g. chromium --enable-unsafe-webgpu http://localhost:${bound}/`);
    console.log("  or enable chrome://flags/#enable-unsafe-webgpu; without WebGPU the page uses the CPU interpreter");
  });
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
