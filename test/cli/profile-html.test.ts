/** `wgtensor profile WORKLOAD --html FILE`: a self-contained report with the kernels and both measured roofs. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { profileHtml } from "../../src/cli/profile-html.js";
import { describeGpu } from "../gpu/harness.js";

test("profileHtml escapes names and draws a timeline and a roofline with both roofs", () => {
  const html = profileHtml({
    title: "toy <1>",
    describe: "two kernels",
    device: "test device",
    repeats: 3,
    timings: [
      { name: "k0_dot", kind: "dot", milliseconds: 2, flops: 2e7, bytes: 1e6 },
      { name: "k1_<row>", kind: "row", milliseconds: 1, flops: 0, bytes: 4e6 },
    ],
    peaks: {
      fma: { gflops: 20, milliseconds: 50, flops: 1e9, threads: 16384, iterations: 1024, chains: 8 },
      copy: { gbPerSecond: 5, milliseconds: 2, bytes: 1e7 },
    },
  });
  expect(html).toMatch(/^<!doctype html>/);
  expect(html).toContain("toy &lt;1&gt;");
  expect(html).toContain("k1_&lt;row&gt;");
  expect(html).not.toMatch(/<(script|link)\b|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  expect(html).toContain('id="timeline"');
  expect(html).toContain('id="roofline"');
  expect(html).toContain('id="roof-fma"');
  expect(html).toContain('id="roof-copy"');
  expect(html).toContain("FMA peak 20.0 GFLOP/s");
  expect(html).toContain("copy bandwidth 5.00 GB/s");
  expect((html.match(/<circle /g) ?? []).length).toBe(1); // the dot kernel; the row kernel has no flops
});

describeGpu("wgtensor profile --html", () => {
  test("profile matmul:64 --html writes the kernels and both measured roofs", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "wgt-profile-")), "report.html");
    const lines: string[] = [];
    expect(await main(["profile", "matmul:64", "--repeats", "2", "--html", file], (l) => lines.push(l))).toBe(0);
    const html = readFileSync(file, "utf8");
    expect(html).toContain("matmul 64³");
    expect(html).toMatch(/k0_dot/);
    expect(html).toContain('id="roof-fma"');
    expect(html).toContain('id="roof-copy"');
    const fma = Number(/FMA peak ([\d.]+) GFLOP\/s/.exec(html)?.[1]);
    const copy = Number(/copy bandwidth ([\d.]+) GB\/s/.exec(html)?.[1]);
    expect(fma).toBeGreaterThan(0);
    expect(copy).toBeGreaterThan(0);
    expect((html.match(/<circle /g) ?? []).length).toBe(1);
    expect(lines.join("\n")).toMatch(/wrote .*report\.html \(roofs: FMA peak [\d.]+ GFLOP\/s, copy [\d.]+ GB\/s\)/);
  });
});
