/**
 * @file Which UniFormerV2 the Classify tab runs: a tiny random-weight model (no checkpoint
 * needed; it only shows that the path works), a released preset, or a config JSON of the
 * official constructor's arguments — and its weights (a checkpoint file, or random ones).
 */
import * as wg from "../../src/index.js";

type Config = wg.uniformerv2.UniFormerV2Config;

/**
 * Kinetics-400-shaped at toy scale: 400 classes (so the labels are Kinetics names), 8 frames of
 * 64², patch 16, width 64, 2 layers each followed by a global block.
 */
export const TINY_CONFIG: Config = wg.uniformerv2.validateConfig({
  // the demo model's structure (2 layers, a global block after each), Kinetics-shaped
  ...wg.motion.MOTION_CONFIG,
  inputResolution: 64,
  patchSize: 16,
  width: 64,
  noLmhra: true,
  dwReduction: 1.5,
  globalDim: 64,
  mlpFactor: 4,
  numClasses: 400,
});

export const TINY = "tiny";
export const FROM_JSON = "json";

/** Model choices for the <select>: value and text. */
export function modelChoices(): { value: string; text: string }[] {
  return [
    { value: TINY, text: "tiny random model (64², width 64; no checkpoint needed)" },
    ...Object.keys(wg.uniformerv2.PRESETS).map((name) => ({ value: name, text: `preset ${name}` })),
    { value: FROM_JSON, text: "config JSON (official constructor args)…" },
  ];
}

/**
 * A config from JSON text: the official constructor's keyword arguments, either bare or under
 * "constructor_args" (as the golden fixtures' config.json has them); "fusion" picks a paper
 * variant (default sequential, as released).
 */
export function configFromJson(text: string, name: string): Config {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new wg.uniformerv2.ConfigError(`${name}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new wg.uniformerv2.ConfigError(`${name}: expected a JSON object of constructor arguments`);
  const record = parsed as Record<string, unknown>;
  const args = typeof record.constructor_args === "object" && record.constructor_args !== null ? record.constructor_args : record;
  for (const key of ["input_resolution", "patch_size", "width", "layers", "heads"]) {
    if (typeof (args as Record<string, unknown>)[key] !== "number") throw new wg.uniformerv2.ConfigError(`${name}: "${key}" (a number) is required`);
  }
  const fusion = record.fusion ?? "sequential";
  if (fusion !== "sequential" && fusion !== "parallel" && fusion !== "hierarchicalKV" && fusion !== "hierarchicalQ") {
    throw new wg.uniformerv2.ConfigError(`${name}: "fusion" must be sequential, parallel, hierarchicalKV or hierarchicalQ`);
  }
  return wg.uniformerv2.fromOfficialArgs(args as wg.uniformerv2.OfficialArgs, fusion);
}

export function parameterCount(config: Config): number {
  return wg.uniformerv2
    .paramSpecs(config)
    .filter((s) => !wg.uniformerv2.isBuffer(s.key))
    .reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

export function describeConfig(c: Config): string {
  const g = wg.uniformerv2.geometry(c);
  return (
    `${c.frames}×${c.inputResolution}² input, patch ${c.patchSize} (${g.grid}×${g.grid} tokens a frame), width ${c.width}, ` +
    `${c.layers} layers, global blocks after ${c.returnList.join(", ")}, ${c.numClasses} classes, ${parameterCount(c).toLocaleString("en-US")} parameters`
  );
}
