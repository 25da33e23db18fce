/**
 * Configs as data: the official constructor arguments (a config.json) and our camelCase config
 * are checked field by field — types, ranges, unknown keys with the closest known name — and
 * every problem is reported at once, headed by the file's name.
 */
import { readFileSync } from "node:fs";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { ConfigError, decodeOfficialArgs, fromOfficialArgs, validateConfig, type OfficialArgs, type UniFormerV2Config } from "../../src/models/uniformerv2/index.js";
import { MOTION_CONFIG } from "../../src/train/motion.js";

const official = (JSON.parse(readFileSync(new URL("../fixtures/uniformerv2/A/config.json", import.meta.url), "utf8")) as { constructor_args: OfficialArgs }).constructor_args;

/** What `fromOfficialArgs` throws for `args` (a hostile or careless config.json). */
function problemsOf(args: unknown, source?: string): string {
  try {
    fromOfficialArgs(args as OfficialArgs, "sequential", source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("accepted");
}

describe("official constructor arguments, checked as data", () => {
  it("the fixture's arguments decode (Right) and build the same config as before", () => {
    const decoded = decodeOfficialArgs(official);
    expect(E.isRight(decoded)).toBe(true);
    expect(fromOfficialArgs(official).returnList).toEqual([2, 3]);
  });

  it("strings for booleans and lists, a number for a list, null: each named, not a TypeError", () => {
    expect(problemsOf({ ...official, no_lmhra: "false" })).toContain(`no_lmhra must be true or false, got "false" (a string)`);
    expect(problemsOf({ ...official, return_list: "23" })).toContain(`return_list must be a list of layer indices, got "23"`);
    expect(problemsOf({ ...official, mlp_dropout: 0.0 })).toContain("mlp_dropout must be a list of rates in [0, 1), got 0");
    expect(problemsOf(null)).toContain("must be an object of keyword arguments, got null");
    expect(problemsOf([1, 2])).toContain("got a list of 2");
  });

  it("mlp_factor and the other numbers are range-checked", () => {
    expect(problemsOf({ ...official, mlp_factor: 0 })).toContain("mlp_factor must be a positive number, got 0");
    expect(problemsOf({ ...official, mlp_factor: "4" })).toContain(`mlp_factor must be a positive number, got "4"`);
    expect(problemsOf({ ...official, cls_dropout: 1 })).toContain("cls_dropout must be a number in [0, 1), got 1");
    expect(problemsOf({ ...official, width: 64.5 })).toContain("width must be a positive integer, got 64.5");
    expect(problemsOf({ ...official, return_list: [2, -3] })).toContain("return_list [1] must be a non-negative integer, got -3");
  });

  it("unknown keys name the closest known one (typos and camelCase)", () => {
    expect(problemsOf({ ...official, num_class: 10 })).toContain(`unknown argument "num_class" (did you mean "num_classes"?)`);
    expect(problemsOf({ ...official, noLmhra: true })).toContain(`unknown argument "noLmhra" (did you mean "no_lmhra"?)`);
    expect(problemsOf({ ...official, zzz: 1 })).toMatch(/unknown argument "zzz"$/m);
  });

  it("every problem at once, headed by the file", () => {
    const message = problemsOf({ ...official, no_lmhra: "no", width: -1, extra: 1, heads: undefined }, "configs/mine.json");
    expect(message.startsWith("configs/mine.json: invalid UniFormerV2 constructor arguments:")).toBe(true);
    expect(message.split("\n  - ").length - 1).toBe(4);
    const decoded = decodeOfficialArgs({ width: "wide" });
    expect(E.isLeft(decoded) && decoded.left).toEqual(["input_resolution is required", "patch_size is required", `width must be a positive integer, got "wide"`, "layers is required", "heads is required"]);
  });

  it("a structurally valid file with an inconsistent model is still refused (heads not dividing width), naming the file", () => {
    expect(problemsOf({ ...official, heads: 3 }, "c.json")).toMatch(/^c\.json: invalid UniFormerV2 config:\n  - heads 3 do not divide width 64/);
  });
});

describe("our config, checked as data", () => {
  const base: UniFormerV2Config = MOTION_CONFIG;
  const invalid = (c: unknown) => {
    try {
      validateConfig(c as UniFormerV2Config);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error("accepted");
  };
  it("types, unknown fields and mlpFactor", () => {
    expect(invalid({ ...base, noLmhra: "false" })).toContain(`noLmhra must be true or false, got "false"`);
    expect(invalid({ ...base, numClass: 4 })).toContain(`unknown field "numClass" (did you mean "numClasses"?)`);
    expect(invalid({ ...base, mlpFactor: -2 })).toContain("mlpFactor must be a positive number, got -2");
    expect(invalid({ ...base, mlpFactor: 0.001 })).toContain("mlpFactor 0.001 leaves the global blocks' MLP no hidden units");
    expect(invalid(null)).toContain("a config must be an object, got null");
  });
});
