/**
 * Bundle the demo web app (web/) into a static folder: main.js (+ source map) from
 * web/src/main.ts with esbuild — the library bundled from its sources, `#platform` resolved to
 * the browser implementation — and index.html and style.css beside it. Relative URLs only and
 * nothing fetched from the network, so the folder can be hosted anywhere.
 *
 *   node scripts/build-web.mjs [outdir]     (default web/dist; prints the bundle's size)
 */
import { build } from "esbuild";
import { copyFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const STATIC_FILES = ["index.html", "style.css"];

function esbuildOptions(minify) {
  return {
    absWorkingDir: root,
    entryPoints: [path.join(root, "web/src/main.ts")],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    sourcemap: true,
    minify,
    alias: { "#platform": path.join(root, "src/platform/browser.ts") },
    logLevel: "warning",
  };
}

/**
 * Build into `outdir` (relative paths are taken from the repository root). Resolves to the
 * folder and the bundle's path.
 */
export async function buildWeb({ outdir = "web/dist", minify = true } = {}) {
  const out = path.resolve(root, outdir);
  await mkdir(out, { recursive: true });
  const bundle = path.join(out, "main.js");
  await build({ ...esbuildOptions(minify), outfile: bundle });
  for (const file of STATIC_FILES) await copyFile(path.join(root, "web", file), path.join(out, file));
  return { outdir: out, bundle };
}

/** Bytes of the bundle unminified, minified, and minified + gzip. */
async function bundleSizes(bundle) {
  const raw = await build({ ...esbuildOptions(false), sourcemap: false, write: false, outfile: "main.js" });
  const minified = await readFile(bundle);
  return { raw: raw.outputFiles[0].contents.length, minified: minified.length, gzip: gzipSync(minified, { level: 9 }).length };
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const target = process.argv[2] ? path.resolve(process.argv[2]) : undefined;
  const started = performance.now();
  const { outdir, bundle } = await buildWeb(target ? { outdir: target } : {});
  const sizes = await bundleSizes(bundle);
  console.log(`built ${path.relative(process.cwd(), outdir) || "."} in ${((performance.now() - started) / 1000).toFixed(2)} s: ${STATIC_FILES.join(", ")}, main.js (+ main.js.map)`);
  console.log(`main.js: ${kib(sizes.raw)} raw, ${kib(sizes.minified)} minified, ${kib(sizes.gzip)} gzip`);
}
