/** The `npm run bench -- --json` line (bench/report.ts): ratios and geometric means from given timings. */
import { describe, expect, test } from "vitest";
import { benchJson, benchJsonLine, geomean, ratioOf } from "../../bench/report.js";

describe("bench --json line", () => {
  const cases = [
    { id: "mm256", ms: { wgtensor: 2, "jax-js": 8, tfjs: 6 }, maxDiff: { "jax-js": 1e-6, tfjs: 2e-6 } },
    { id: "ln", ms: { wgtensor: 4, "jax-js": 8, tfjs: 2 } },
    { id: "vit-block", ms: { wgtensor: 1000, "jax-js": undefined, tfjs: 3000 }, firstMs: { wgtensor: 5000 } },
    { id: "train", ms: { wgtensor: 10, "jax-js": 40, tfjs: 30 }, invalid: { tfjs: "losses differ by 1e-2 rel." } },
    { id: "uniformerv2-b16", ms: { wgtensor: 50_000 }, firstMs: { wgtensor: 60_000 }, wgtensorOnly: true },
  ];

  test("ratios are peer ms / wgtensor ms, null where missing, invalid or wgtensor-only", () => {
    const json = benchJson(cases);
    expect(json.cases.map((c) => c.id)).toEqual(["mm256", "ln", "vit-block", "train", "uniformerv2-b16"]);
    expect(json.cases[0]!.ratios).toEqual({ "jax-js": 4, tfjs: 3 });
    expect(json.cases[1]!.ratios).toEqual({ "jax-js": 2, tfjs: 0.5 });
    expect(json.cases[2]!.ratios).toEqual({ "jax-js": null, tfjs: 3 });
    expect(json.cases[3]!.ratios).toEqual({ "jax-js": 4, tfjs: null });
    expect(json.cases[3]!.invalid).toEqual({ tfjs: "losses differ by 1e-2 rel." });
    expect(json.cases[4]!.ratios).toBeNull();
    expect(json.cases[4]!.ms).toEqual({ wgtensor: 50_000, "jax-js": null, tfjs: null });
    expect(json.cases[4]!.firstMs!.wgtensor).toBe(60_000);
    expect(json.cases[0]!.maxDiff).toEqual({ "jax-js": 1e-6, tfjs: 2e-6 });
    expect(ratioOf(cases[4]!, "tfjs")).toBeNull();
  });

  test("geometric means skip nulls and wgtensor-only cases", () => {
    const json = benchJson(cases);
    // jax-js: 4, 2, 4 → (32)^(1/3); tfjs: 3, 0.5, 3 → (4.5)^(1/3)
    expect(json.geomean["jax-js"]).toBeCloseTo(Math.cbrt(32), 12);
    expect(json.geomean.tfjs).toBeCloseTo(Math.cbrt(4.5), 12);
    expect(geomean([null, null])).toBeNull();
    expect(benchJson([]).geomean).toEqual({ "jax-js": null, tfjs: null });
  });

  test("the line is one line of JSON with the documented shape", () => {
    const line = benchJsonLine(cases);
    expect(line).not.toContain("\n");
    const parsed = JSON.parse(line) as { cases: { id: string; ratios: unknown }[]; geomean: Record<string, number> };
    expect(Object.keys(parsed)).toEqual(["cases", "geomean"]);
    expect(Object.keys(parsed.geomean)).toEqual(["jax-js", "tfjs"]);
    for (const c of parsed.cases) expect(c).toHaveProperty("ratios");
    expect(line).toMatch(/^\{"cases":\[\{"id":"mm256","ratios":\{"jax-js":4,"tfjs":3\}/);
  });
});
