/**
 * @file Headless Chromium for the browser tests: Debian's `chromium` driven over the DevTools
 * protocol (puppeteer-core; `--dump-dom` would return before asynchronous GPU work ends), with
 * WebGPU enabled (`--enable-unsafe-webgpu`; `--no-sandbox` as root, where the sandbox cannot
 * start), and a static file server on the loopback for the pages and the fixtures.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

/** The browser to drive: `CHROMIUM_PATH`, else the first system browser found. */
export function chromiumPath(): string | undefined {
  const forced = process.env.CHROMIUM_PATH;
  if (forced) return existsSync(forced) ? forced : undefined;
  return CANDIDATES.find((p) => existsSync(p));
}

export const CHROMIUM_FLAGS = [
  "--enable-unsafe-webgpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--disable-dev-shm-usage",
];

export interface Launched {
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(executablePath: string): Promise<Launched> {
  const profile = mkdtempSync(path.join(tmpdir(), "wgt-chromium-"));
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    userDataDir: profile,
    args: [...CHROMIUM_FLAGS, ...(root ? ["--no-sandbox"] : [])],
    protocolTimeout: 600_000,
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const MIME: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".png": "image/png",
  ".webm": "video/webm",
  ".mp4": "video/mp4",
};

export interface StaticServer {
  readonly origin: string;
  close(): Promise<void>;
}

/** Serve `mounts` (URL prefix → folder) on 127.0.0.1 at a free port. Paths never leave their folder. */
export async function serveStatic(mounts: Readonly<Record<string, string>>): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const pathname = decodeURIComponent(url.pathname);
    const prefix = Object.keys(mounts)
      .filter((p) => pathname.startsWith(p))
      .sort((a, b) => b.length - a.length)[0];
    if (prefix === undefined) return void res.writeHead(404).end();
    const root = path.resolve(mounts[prefix]!);
    let file = path.resolve(root, `.${pathname.slice(prefix.length - 1)}`);
    if (file !== root && !file.startsWith(root + path.sep)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!existsSync(file)) return void res.writeHead(404).end();
    // connection: close — a client reusing a kept-alive socket the server has just timed out fails
    res.writeHead(200, { "content-type": MIME[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store", connection: "close" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("serveStatic: no port");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
