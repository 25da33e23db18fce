/**
 * wgtensor in a real browser: Debian's Chromium, headless, with WebGPU (SwiftShader), driven over
 * the DevTools protocol. The page is `page/checks.ts` bundled for the browser by esbuild from the
 * package's sources (no shims, no plugins: the `#platform` import resolves to the browser
 * platform, as the package's `imports` map does for any bundler). Checks:
 *   - the golden fixture A through UniFormerV2 from each weight file (as bytes) within 1e-4 of the
 *     official logits;
 *   - three steps of the main job's training loop whose losses equal Node's (same seed) within 1e-5;
 *   - the errors a user meets (shape, a non-checkpoint, a mismatched checkpoint, a path, a tiling
 *     wider than the adapter's subgroups) are named, and the default tiling is right;
 *   - the demo page renders (screenshots in .artifacts/browser/).
 * Without Chromium or a WebGPU adapter in it the suite skips, except under CI (CI=true), where it fails.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { motionData, motionTrainer, trainMotion } from "../../src/train/motion.js";
import { gpu } from "../../src/runtime/webgpu/device.js";
import { webgpuBackend } from "../../src/runtime/webgpu/jit.js";
import { cpuBackend } from "../../src/runtime/cpu/backend.js";
import { chromiumPath, launchChromium, serveStatic, type Launched, type StaticServer } from "./chromium.js";
import type { Checks } from "./page/checks.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const artifacts = path.join(root, ".artifacts", "browser");
const ci = process.env.CI === "true";
const browserPath = chromiumPath();
if (ci && !browserPath) throw new Error("CI: no Chromium found (scripts/setup.sh installs Debian's chromium; CHROMIUM_PATH overrides)");

/** Call `wgtChecks[name](...args)` in the page. */
function check<K extends keyof Checks>(page: Page, name: K, ...args: Parameters<Checks[K]>): Promise<Awaited<ReturnType<Checks[K]>>> {
  return page.evaluate(
    (n, a) => {
      const checks = (globalThis as unknown as { wgtChecks: Record<string, (...x: unknown[]) => unknown> }).wgtChecks;
      return checks[n]!(...a);
    },
    name,
    args,
  ) as Promise<Awaited<ReturnType<Checks[K]>>>;
}

describe.skipIf(!browserPath)("in headless Chromium (WebGPU on SwiftShader)", () => {
  let chromium: Launched;
  let server: StaticServer;
  let page: Page;
  let pageDir: string;
  let hasAdapter = false;
  const consoleLines: string[] = [];

  beforeAll(async () => {
    pageDir = mkdtempSync(path.join(tmpdir(), "wgt-page-"));
    // The library in its own chunk, as a bundler's vendor chunk or Vite's dev server has it:
    // call sites in error messages then point into the page's code.
    await build({
      entryPoints: { checks: path.join(root, "test/browser/page/checks.ts"), wgtensor: path.join(root, "src/index.ts") },
      bundle: true,
      splitting: true,
      platform: "browser",
      format: "esm",
      outdir: pageDir,
      alias: { "#platform": path.join(root, "src/platform/browser.ts") },
      logLevel: "error",
    });
    writeFileSync(path.join(pageDir, "index.html"), `<!doctype html><meta charset="utf-8"><title>wgtensor checks</title><script type="module" src="checks.js"></script>`);
    server = await serveStatic({ "/": pageDir, "/fixtures/": path.join(root, "test/fixtures/uniformerv2") });
    chromium = await launchChromium(browserPath!);
    page = await chromium.browser.newPage();
    page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => consoleLines.push(`pageerror: ${String(e)}`));
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => "wgtChecks" in globalThis, { timeout: 30_000 });
    hasAdapter = await page.evaluate(async () => {
      const g = (globalThis as unknown as { navigator: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator.gpu;
      return g ? (await g.requestAdapter()) !== null : false;
    });
    if (ci && !hasAdapter) throw new Error("CI: Chromium has no WebGPU adapter (flags: --enable-unsafe-webgpu)");
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    if (pageDir) rmSync(pageDir, { recursive: true, force: true });
  });

  const gpuIt = (name: string, body: () => Promise<void>, timeout: number) =>
    it(name, async (ctx) => {
      if (!hasAdapter) return ctx.skip();
      try {
        await body();
      } catch (error) {
        throw new Error(`${String(error)}\n--- page console ---\n${consoleLines.slice(-30).join("\n")}`);
      }
    }, timeout);

  gpuIt("the page sees a software adapter with its real subgroup width", async () => {
    const info = await check(page, "adapter");
    expect(info.backend).toBe("browser");
    expect(info.software, JSON.stringify(info)).toBe(true);
    expect(info.limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
  }, 60_000);

  gpuIt("the default matmul tiling fits the adapter and matches the CPU interpreter", async () => {
    const { worst, tiling } = await check(page, "matmul", 96);
    expect(worst, tiling).toBeLessThan(1e-3);
  }, 120_000);

  gpuIt("wg.tuneDotClasses in the page keeps its choice in IndexedDB, and a reloaded page compiles with it", async () => {
    const tuned = await check(page, "tuneInPage");
    expect(tuned.location).toBe("IndexedDB wgtensor/tuning");
    expect(tuned.persistent).toBe(true);
    expect(tuned.square, JSON.stringify(tuned)).toBeDefined();
    expect(tuned.gflops).toBeGreaterThan(0);
    await page.reload();
    await page.waitForFunction(() => "wgtChecks" in globalThis, { timeout: 30_000 });
    expect((await check(page, "cachedTuning")).square).toBe(tuned.square);
  }, 180_000);

  gpuIt("a layerNorm fused into a matmul (rows shared across the adapter's subgroups) matches the CPU interpreter", async () => {
    const { worst, kernels } = await check(page, "fusedPrologue");
    expect(kernels).toBe(1);
    expect(worst).toBeLessThan(1e-4);
  }, 120_000);

  gpuIt("fixture A through UniFormerV2 from each weight file, as bytes, within 1e-4 of the official logits", async () => {
    const results = await check(page, "fixture", "/fixtures", "A", ["weights.safetensors", "weights.pth", "weights_slowfast_format.pth"]);
    expect(results.map((r) => r.file)).toEqual(["weights.safetensors", "weights.pth", "weights_slowfast_format.pth"]);
    for (const r of results) expect(r.worst, r.file).toBeLessThan(1e-4);
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(path.join(artifacts, "fixture-A.json"), JSON.stringify(results, null, 1));
  }, 300_000);

  gpuIt("three training steps of the main job: the page's losses equal Node's within 1e-5", async () => {
    // SGD with momentum: AdamW's first steps move every weight by ±lr whatever its gradient's
    // size, so a gradient of ~1e-9 whose sign differs in the last bit between two f32
    // implementations of exp (SwiftShader's, llvmpipe's) moves the loss by ~1e-5.
    const [seed, steps, batch, clips] = [3, 3, 8, 16];
    const optimizer = { kind: "sgd", momentum: 0.9 } as const;
    const inPage = await check(page, "train", seed, steps, batch, clips, optimizer);
    // Node: the same steps on Node's WebGPU adapter (lavapipe), else the CPU interpreter.
    const backend = await gpu().then(
      () => webgpuBackend,
      () => cpuBackend,
    );
    const options = { data: motionData(seed, clips, 4), steps, batch, seed, optimizer, backend };
    const { trainer } = motionTrainer(options);
    const losses: number[] = [];
    await trainMotion({ ...options, onStep: (r) => void losses.push(r.loss) }, trainer);
    trainer.dispose();
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(path.join(artifacts, "training.json"), JSON.stringify({ page: inPage, node: { backend: backend.name, losses } }, null, 1));
    expect(inPage.losses).toHaveLength(steps);
    inPage.losses.forEach((l, i) => expect(Math.abs(l - losses[i]!), `step ${i + 1}: page ${l}, node ${losses[i]}`).toBeLessThan(1e-5));
  }, 600_000);

  gpuIt("errors in the page name what was wrong and where", async () => {
    const e = await check(page, "errors", "/fixtures");
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(path.join(artifacts, "errors.json"), JSON.stringify(e, null, 1));
    expect(e.shape).toMatch(/^ShapeMismatch: matmul: inner dims 3 and 2 differ .* at \/checks\.js:\d+:\d+$/);
    expect(e.notCheckpoint).toMatch(/page\.html.*unknown checkpoint format/);
    expect(e.mismatch).toContain(`A/weights.safetensors: "conv1.weight" has shape [64, 3, 3, 16, 16], the config needs [64, 3, 1, 16, 16]`);
    expect(e.filePath).toMatch(/\/no\/such\/weights\.pth.*needs Node/);
    expect(e.wideSubgroups).toMatch(/^UnsupportedOnAdapterError: .*8 lanes.*only 4 wide/);
  }, 120_000);
});
