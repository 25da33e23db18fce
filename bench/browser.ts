/**
 * @file The same work in Chromium (WebGPU on SwiftShader) and in Node (Dawn on lavapipe), side
 * by side: the main job's UniFormerV2 forward over a batch of clips and its training step, with
 * the first (compiling) call apart. Both sides run `timings` from test/browser/page/checks.ts.
 *
 *   npx tsx bench/browser.ts [--batch 16] [--repeats 5]
 *   npx tsx bench/browser.ts --tilings [--size 512]   every matmul tiling that fits Chromium's adapter
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { chromiumPath, launchChromium, serveStatic } from "../test/browser/chromium.js";
import { tilings, timings } from "../test/browser/page/checks.js";
import { gpu } from "../src/runtime/webgpu/device.js";

const { values } = parseArgs({
  options: { batch: { type: "string", default: "16" }, repeats: { type: "string", default: "5" }, tilings: { type: "boolean", default: false }, size: { type: "string", default: "512" } },
  strict: true,
});
const batch = Number(values.batch);
const repeats = Number(values.repeats);
const root = fileURLToPath(new URL("../", import.meta.url));
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type Timings = Awaited<ReturnType<typeof timings>>;

/** Run `body` in a fresh page of headless Chromium that has loaded the checks. */
async function inChromium<T>(body: (page: import("puppeteer-core").Page) => Promise<T>): Promise<T> {
  const executable = chromiumPath();
  if (!executable) throw new Error("no Chromium (scripts/setup.sh installs it)");
  const dir = mkdtempSync(path.join(tmpdir(), "wgt-bench-"));
  await build({
    entryPoints: { checks: path.join(root, "test/browser/page/checks.ts") },
    bundle: true,
    platform: "browser",
    format: "esm",
    outdir: dir,
    alias: { "#platform": path.join(root, "src/platform/browser.ts") },
    logLevel: "error",
  });
  writeFileSync(path.join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><script type="module" src="checks.js"></script>`);
  const server = await serveStatic({ "/": dir });
  const chromium = await launchChromium(executable);
  try {
    const page = await chromium.browser.newPage();
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => "wgtChecks" in globalThis);
    return await body(page);
  } finally {
    await chromium.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type PageChecks = { timings: typeof timings; tilings: typeof tilings; adapter(): Promise<{ vendor: string; architecture: string }> };

if (values.tilings) {
  const size = Number(values.size);
  const rows = await inChromium((page) => page.evaluate((s) => (globalThis as unknown as { wgtChecks: PageChecks }).wgtChecks.tilings(s), size));
  console.log(`${size}³ matmul in Chromium, GPU time (timestamp queries), best of 3`);
  for (const r of rows.sort((a, b) => a.ms - b.ms)) console.log(`${r.ms.toFixed(1).padStart(8)} ms  ${(2 * size ** 3 / r.ms / 1e6).toFixed(2).padStart(6)} GFLOP/s  max err ${r.worst.toExponential(1)}  ${JSON.stringify(r.tiling)}`);
  process.exit(0);
}

const browser = await inChromium((page) =>
  page.evaluate(async (b, r) => {
    const checks = (globalThis as unknown as { wgtChecks: PageChecks }).wgtChecks;
    const info = await checks.adapter();
    return { timings: await checks.timings(b, r), adapter: `${info.vendor} ${info.architecture}` };
  }, batch, repeats),
);
const info = (await gpu()).info;
const node = await timings(batch, repeats);
const row = (name: string, t: Timings) =>
  `| ${name} | ${median(t.forward).toFixed(3)} s | ${(batch / median(t.forward)).toFixed(1)} | ${t.firstForward.toFixed(1)} s | ${median(t.step).toFixed(3)} s | ${(batch / median(t.step)).toFixed(1)} | ${t.firstStep.toFixed(1)} s |`;
console.log(`main job's UniFormerV2 (width 32, 8×32×32), batch ${batch}, median of ${repeats}`);
console.log(`| where | forward | clips/s | first forward | training step | clips/s | first step |`);
console.log(`|---|---|---|---|---|---|---|`);
console.log(row(`Chromium, WebGPU (${browser.adapter})`, browser.timings));
console.log(row(`Node, Dawn (${info.description || info.vendor})`, node));
process.exit(0);
