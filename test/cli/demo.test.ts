import { describe, expect, test } from "vitest";
import { runDemo } from "../../src/cli/demo.js";
import { main } from "../../src/cli/main.js";

describe("wgtensor demo (the main job)", () => {
  test("training lowers the loss and classifies held-out spiral points", () => {
    const lines: string[] = [];
    const result = runDemo({ steps: 120, seed: 0, log: (l) => lines.push(l) });
    expect(result.finalLoss).toBeLessThan(result.firstLoss * 0.5);
    expect(result.accuracy).toBeGreaterThan(0.8);
    expect(lines.some((l) => l.startsWith("step"))).toBe(true);
  });

  test("unknown commands and bad options fail with a clear message", () => {
    expect(main(["nope"])).toBe(2);
    expect(() => main(["demo", "--steps", "many"])).toThrow(/--steps needs a non-negative integer/);
  });
});
