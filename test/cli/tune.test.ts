/** `wgtensor tune`: fills the tuning cache (in a temporary folder) and compiles pick it up. */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import * as core from "../../src/dsl/core.js";
import { spec, trace } from "../../src/dsl/transforms.js";
import { compileProgram } from "../../src/runtime/webgpu/jit.js";
import type { DotTiling } from "../../src/compiler/wgsl/kernels/dot.js";
import { describeGpu, gpuContext } from "../gpu/harness.js";

const saved = process.env.WGTENSOR_CACHE_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.WGTENSOR_CACHE_DIR;
  else process.env.WGTENSOR_CACHE_DIR = saved;
});

describe("wgtensor tune: options", () => {
  it("rejects unknown classes and prints its usage on --help", async () => {
    await expect(main(["tune", "--classes", "square,cubic"], () => {})).rejects.toThrow(/unknown class "cubic"/);
    await expect(main(["tune", "--budget", "soon"], () => {})).rejects.toThrow(/--budget/);
    const lines: string[] = [];
    expect(await main(["tune", "--help"], (l) => lines.push(l))).toBe(0);
    expect(lines.join("\n")).toMatch(/usage: wgtensor tune \[--budget SECONDS\]/);
  });
});

describeGpu("wgtensor tune", () => {
  it("--budget 5 --classes square on a tiny size measures, writes the cache, and compiles use it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wgt-tune-cli-"));
    process.env.WGTENSOR_CACHE_DIR = dir;
    const lines: string[] = [];
    expect(await main(["tune", "--budget", "5", "--classes", "square", "--shrink", "16", "--repeats", "1"], (l) => lines.push(l))).toBe(0);
    const text = lines.join("\n");
    expect(text).toMatch(/tune: square 1\/\d+ tm\d+×tn\d+ wg\d+×\d+ \w+.*: [\d.]+ GFLOP\/s/);
    expect(text).toMatch(/tune: square → tm\d+×tn\d+/);
    const file = path.join(dir, "tuning.json");
    expect(existsSync(file)).toBe(true);
    const saved = JSON.parse(readFileSync(file, "utf8")) as { entries: { value: { classes: Record<string, { tiling: DotTiling }> } }[] };
    const chosen = saved.entries[0]!.value.classes.square!.tiling;
    expect(Object.keys(saved.entries[0]!.value.classes)).toEqual(["square"]);

    // --show reads it back; a compile on the same device uses the chosen tiling for a square matmul.
    const shown: string[] = [];
    expect(await main(["tune", "--show"], (l) => shown.push(l))).toBe(0);
    expect(shown.join("\n")).toMatch(/square +tm\d+×tn\d+/);
    expect(shown.join("\n")).toMatch(/long-k +not tuned/);
    const program = trace((a, b) => core.matmul(a, b), [spec([32, 32]), spec([32, 32])]);
    const prog = await compileProgram(program, { context: gpuContext() });
    const forced = await compileProgram(program, { context: gpuContext(), dotTiling: chosen });
    try {
      expect(prog.graph.kernels[0]!.wgsl).toBe(forced.graph.kernels[0]!.wgsl);
    } finally {
      prog.dispose();
      forced.dispose();
    }

    const cleared: string[] = [];
    expect(await main(["tune", "--clear"], (l) => cleared.push(l))).toBe(0);
    expect(existsSync(file)).toBe(false);
  });
});
