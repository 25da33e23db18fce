/**
 * The demo web app (`npm run web`) in headless Chromium with WebGPU: built as `npm run build:web`
 * builds it, served on the loopback, driven like a user would (tabs, Start/Stop, Classify with no
 * checkpoint, Compile & profile), with a screenshot of each tab in .artifacts/browser/. The page
 * must come up with its adapter named, train on WebGPU (the loss shows), classify a real video with
 * the random model (five labels with bars), and draw a kernel timeline.
 * Without Chromium (or its adapter) this skips, except under CI (CI=true), where it fails.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, launchChromium, serveStatic, type Launched, type StaticServer } from "./chromium.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const artifacts = path.join(root, ".artifacts", "browser");
const ci = process.env.CI === "true";
const browserPath = chromiumPath();
if (ci && !browserPath) throw new Error("CI: no Chromium found (scripts/setup.sh installs Debian's chromium; CHROMIUM_PATH overrides)");

interface BuildWeb {
  buildWeb(o: { outdir: string; minify?: boolean }): Promise<{ outdir: string }>;
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, `demo-${name}.png`) });
}

const text = (page: Page, selector: string) => page.evaluate(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? ""`) as Promise<string>;
const setValue = (page: Page, selector: string, value: string) => page.evaluate(`document.querySelector(${JSON.stringify(selector)}).value = ${JSON.stringify(value)}`);

describe.skipIf(!browserPath)("the demo web app in headless Chromium", () => {
  let chromium: Launched;
  let server: StaticServer;
  let page: Page;
  let dir: string;
  const errors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "wgt-demo-"));
    const { buildWeb } = (await import(path.join(root, "scripts/build-web.mjs"))) as BuildWeb;
    await buildWeb({ outdir: path.join(dir, "site") });
    // A small real video for the Classify tab (VP8 in WebM: Chromium decodes it everywhere).
    const video = path.join(dir, "media", "clip.webm");
    mkdirSync(path.dirname(video), { recursive: true });
    execFileSync("ffmpeg", ["-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10", "-t", "2", "-c:v", "libvpx", "-b:v", "200k", video]);
    server = await serveStatic({ "/": path.join(dir, "site"), "/media/": path.dirname(video) });
    chromium = await launchChromium(browserPath!);
    page = await chromium.browser.newPage();
    await page.setViewport({ width: 1280, height: 1200 });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => "wgtDemo" in globalThis, { timeout: 30_000 });
    await page.evaluate(() => (globalThis as unknown as { wgtDemo: { ready: Promise<void> } }).wgtDemo.ready);
  }, 180_000);

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("comes up naming its WebGPU adapter", async () => {
    const status = await text(page, "#status");
    if (ci) expect(status).toMatch(/WebGPU on google swiftshader/);
    else expect(status).toMatch(/^ready/);
    expect(errors).toEqual([]);
  });

  it("trains both models live on WebGPU, evaluates them on held-out clips and draws the curves", async () => {
    await page.click("#tab-train");
    await page.select("#train-models", "both");
    await page.select("#train-backend", "webgpu");
    await setValue(page, "#train-steps", "4");
    await setValue(page, "#train-batch", "8");
    await page.click("#train-start");
    await page.waitForFunction(`/done in/.test(document.querySelector("#status")?.textContent ?? "")`, { timeout: 400_000 });
    await shot(page, "train");
    const stats = await text(page, "#train-stats");
    expect(stats).toMatch(/loss/i);
    expect(stats.match(/held-out accuracy/g)?.length, stats).toBe(2);
    expect(errors).toEqual([]);
  }, 500_000);

  it("stops between steps when Stop is pressed", async () => {
    await page.select("#train-models", "both");
    await setValue(page, "#train-steps", "500");
    await page.click("#train-start");
    await page.waitForFunction(`/step [1-9]/.test(document.querySelector("#status")?.textContent ?? "")`, { timeout: 300_000 });
    await page.click("#train-stop");
    await page.waitForSelector("#train-start:not([disabled])", { timeout: 120_000 });
    expect(await text(page, "#status")).toMatch(/stopped/);
    const stats = await text(page, "#train-stats");
    const step = Number(/stopped after step (\d+)/.exec(stats)?.[1]);
    expect(step, stats).toBeGreaterThan(0);
    expect(step).toBeLessThan(500);
    expect(stats).toContain("not run (stopped)");
    expect(errors).toEqual([]);
  }, 400_000);

  it("classifies a video with the random model and shows five labels with bars", async () => {
    await page.click("#tab-classify");
    const file = path.join(dir, "media", "clip.webm");
    expect(existsSync(file)).toBe(true);
    const [chooser] = await Promise.all([page.waitForFileChooser(), page.click("#classify-video")]);
    await chooser.accept([file]);
    await page.click("#classify-run");
    await page.waitForFunction(`document.querySelectorAll("#classify-top li").length === 5`, { timeout: 300_000 });
    await shot(page, "classify");
    expect(await text(page, "#classify-top")).not.toBe("");
    expect(errors).toEqual([]);
  }, 400_000);

  it("profiles a compiled program and draws its kernel timeline", async () => {
    await page.click("#tab-inspect");
    await page.click("#inspect-run");
    await page.waitForFunction(`document.querySelectorAll("#inspect-table tr").length > 1`, { timeout: 300_000 });
    await shot(page, "inspect");
    expect(await text(page, "#adapter-info")).toMatch(/swiftshader|subgroups|maxStorageBuffersPerShaderStage/i);
    expect(errors).toEqual([]);
  }, 400_000);
});
