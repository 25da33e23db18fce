import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { runDemo } from "../../src/cli/demo.js";
import { main } from "../../src/cli/main.js";
import { cpuBackend } from "../../src/runtime/cpu/backend.js";

describe("wgtensor demo (the main job)", () => {
  test("training lowers the loss and classifies held-out spiral points (CPU interpreter)", async () => {
    const lines: string[] = [];
    const result = await runDemo({ steps: 120, seed: 0, log: (l) => lines.push(l), backend: cpuBackend });
    expect(result.finalLoss).toBeLessThan(result.firstLoss * 0.5);
    expect(result.accuracy).toBeGreaterThan(0.8);
    expect(lines.some((l) => l.startsWith("step"))).toBe(true);
  });

  test("unknown commands and bad options fail with a clear message", async () => {
    const lines: string[] = [];
    expect(await main(["nope"], (l) => lines.push(l))).toBe(2);
    expect(lines[0]).toMatch(/unknown command "nope"/);
    await expect(main(["demo", "--steps", "many"], () => {})).rejects.toThrow(/--steps needs a non-negative integer/);
    await expect(main(["demo", "--backend", "tpu"], () => {})).rejects.toThrow(/--backend must be auto, webgpu or cpu/);
    await expect(main(["compile", "nosuch", "--emit-wgsl", "/tmp/x"], () => {})).rejects.toThrow(/unknown workload "nosuch"/);
    await expect(main(["compile", "matmul:0", "--emit-wgsl", "/tmp/x"], () => {})).rejects.toThrow(/N must be a positive integer/);
  });

  test("compile --emit-wgsl writes every kernel with a header naming what it fuses", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wgt-emit-"));
    const lines: string[] = [];
    expect(await main(["compile", "block:2,5,32,4", "--emit-wgsl", dir], (l) => lines.push(l))).toBe(0);
    const files = readdirSync(dir).sort();
    expect(files.length).toBe(5);
    for (const f of files) {
      const src = readFileSync(path.join(dir, f), "utf8");
      expect(src).toMatch(/^\/\/ k\d+_\w+: \w+ kernel writing /);
      expect(src).toMatch(/\/\/ fuses: /);
      expect(src).toMatch(/@compute @workgroup_size/);
    }
    expect(lines.join("\n")).toMatch(/5 kernel\(s\) written/);
  });
});
