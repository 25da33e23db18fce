/**
 * @file UniFormerV2 variants as data. `UniFormerV2Config` holds every switch of the official
 * `VisionTransformer` constructor (slowfast/models/uniformerv2_model.py), in camelCase, plus the
 * paper's multi-stage fusion choice. `fromOfficialArgs` reads a fixture's `constructor_args`;
 * `validateConfig` is the run-time check every entry point calls; presets are the released
 * models.
 */
import * as E from "fp-ts/lib/Either.js";
import { closestName, decodeOfficialArgs, type OfficialArgs } from "./official-args.js";

/** How the global blocks combine (paper §3.3, Fig. 4): (a) as released, (b)–(d) its ablations. */
export type Fusion = "sequential" | "parallel" | "hierarchicalKV" | "hierarchicalQ";

export interface UniFormerV2Config {
  readonly inputResolution: number;
  readonly patchSize: number;
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  /** Frames the model takes (before temporal downsampling). */
  readonly frames: number;
  /** Stem kernel (kernelSize, p, p), stride (2, p, p): halves T. Else (1, p, p). */
  readonly temporalDownsample: boolean;
  readonly kernelSize: number;
  readonly noLmhra: boolean;
  readonly doubleLmhra: boolean;
  /** LT-MHRA hidden width is ⌊width / dwReduction⌋. */
  readonly dwReduction: number;
  /** Backbone layers (0-based) after which a global block runs. */
  readonly returnList: readonly number[];
  readonly globalDim: number;
  readonly globalHeads: number;
  readonly mlpFactor: number;
  readonly mlpDropout: readonly number[];
  readonly clsDropout: number;
  readonly dropPathRate: number;
  readonly backboneDropPathRate: number;
  readonly numClasses: number;
  /** Head on the global token only (no balance with the backbone's mean CLS). */
  readonly frozen: boolean;
  readonly fusion: Fusion;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const CONFIG_KEYS: readonly (keyof UniFormerV2Config)[] = [
  "inputResolution", "patchSize", "width", "layers", "heads", "frames", "temporalDownsample", "kernelSize", "noLmhra", "doubleLmhra",
  "dwReduction", "returnList", "globalDim", "globalHeads", "mlpFactor", "mlpDropout", "clsDropout", "dropPathRate", "backboneDropPathRate",
  "numClasses", "frozen", "fusion",
];

/** Problems with a config, each a readable sentence; empty when valid. Checks types too: a config may come from a file. */
export function configProblems(c: UniFormerV2Config): string[] {
  if (typeof c !== "object" || c === null || Array.isArray(c)) return [`a config must be an object, got ${c === null ? "null" : typeof c}`];
  const problems: string[] = [];
  for (const key of Object.keys(c)) {
    if ((CONFIG_KEYS as readonly string[]).includes(key)) continue;
    const near = closestName(key, CONFIG_KEYS);
    problems.push(`unknown field "${key}"${near ? ` (did you mean "${near}"?)` : ""}`);
  }
  for (const key of ["temporalDownsample", "noLmhra", "doubleLmhra", "frozen"] as const) {
    if (typeof c[key] !== "boolean") problems.push(`${key} must be true or false, got ${JSON.stringify(c[key]) ?? "undefined"}`);
  }
  if (!Array.isArray(c.returnList)) problems.push(`returnList must be a list of layer indices, got ${JSON.stringify(c.returnList) ?? "undefined"}`);
  if (!Array.isArray(c.mlpDropout)) problems.push(`mlpDropout must be a list of rates, got ${JSON.stringify(c.mlpDropout) ?? "undefined"}`);
  for (const key of ["dwReduction", "mlpFactor"] as const) {
    if (typeof c[key] !== "number" || !Number.isFinite(c[key]) || !(c[key] > 0)) problems.push(`${key} must be a positive number, got ${JSON.stringify(c[key]) ?? "undefined"}`);
  }
  if (problems.length > 0) return problems;
  const positive = (name: keyof UniFormerV2Config) => {
    const v = c[name];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) problems.push(`${name} must be a positive integer, got ${String(v)}`);
  };
  (["inputResolution", "patchSize", "width", "layers", "heads", "frames", "kernelSize", "globalDim", "globalHeads", "numClasses"] as const).forEach(positive);
  if (c.inputResolution % c.patchSize !== 0) problems.push(`inputResolution ${c.inputResolution} is not divisible by patchSize ${c.patchSize}`);
  if (c.width % c.heads !== 0) problems.push(`heads ${c.heads} do not divide width ${c.width}`);
  if (c.globalDim % c.globalHeads !== 0) problems.push(`globalHeads ${c.globalHeads} do not divide globalDim ${c.globalDim}`);
  if (c.globalDim !== c.width) problems.push(`globalDim ${c.globalDim} must equal width ${c.width} (the global blocks read the backbone's tokens)`);
  if (c.kernelSize % 2 !== 1) problems.push(`kernelSize ${c.kernelSize} must be odd`);
  if (c.temporalDownsample && c.frames % 2 !== 0) problems.push(`frames ${c.frames} must be even with temporalDownsample`);
  if (Math.floor(c.width / c.dwReduction) < 1) problems.push(`dwReduction ${c.dwReduction} leaves no LT-MHRA channels for width ${c.width}`);
  if (Math.round(c.mlpFactor * c.globalDim) < 1) problems.push(`mlpFactor ${c.mlpFactor} leaves the global blocks' MLP no hidden units (globalDim ${c.globalDim})`);
  if (c.returnList.length === 0) problems.push("returnList is empty: at least one global block is needed");
  c.returnList.forEach((i, k) => {
    if (!Number.isInteger(i) || i < 0 || i >= c.layers) problems.push(`returnList[${k}] = ${i} is not a layer index (0…${c.layers - 1})`);
    if (k > 0 && i <= c.returnList[k - 1]!) problems.push(`returnList must be strictly increasing, got ${c.returnList.join(", ")}`);
  });
  if (c.mlpDropout.length !== c.returnList.length) problems.push(`mlpDropout has ${c.mlpDropout.length} entries for ${c.returnList.length} global blocks`);
  for (const [name, p] of [["clsDropout", c.clsDropout], ["dropPathRate", c.dropPathRate], ["backboneDropPathRate", c.backboneDropPathRate], ...c.mlpDropout.map((d, i) => [`mlpDropout[${i}]`, d] as const)] as const) {
    if (!(p >= 0 && p < 1)) problems.push(`${name} must be in [0, 1), got ${p}`);
  }
  if (!["sequential", "parallel", "hierarchicalKV", "hierarchicalQ"].includes(c.fusion)) problems.push(`fusion "${c.fusion}" is not one of sequential, parallel, hierarchicalKV, hierarchicalQ`);
  return problems;
}

export function validateConfig(c: UniFormerV2Config): UniFormerV2Config {
  const problems = configProblems(c);
  if (problems.length > 0) throw new ConfigError(`invalid UniFormerV2 config:\n  - ${problems.join("\n  - ")}`);
  return c;
}

/** Derived sizes. */
export function geometry(c: UniFormerV2Config) {
  const grid = c.inputResolution / c.patchSize;
  return {
    grid,
    tokens: grid * grid + 1,
    framesAfterStem: c.temporalDownsample ? c.frames / 2 : c.frames,
    lmhraHidden: Math.floor(c.width / c.dwReduction),
    globalHidden: Math.round(c.mlpFactor * c.globalDim),
    backboneHidden: 4 * c.width,
  };
}

export type { OfficialArgs };

/**
 * Map the official constructor's arguments (with its defaults) onto a config. The arguments are
 * checked as data first (types, ranges, unknown keys; every problem at once): a config.json can
 * hold anything. `source` (a file name) heads the error.
 */
export function fromOfficialArgs(args: OfficialArgs, fusion: Fusion = "sequential", source?: string): UniFormerV2Config {
  const decoded = decodeOfficialArgs(args);
  const where = source ? `${source}: ` : "";
  if (E.isLeft(decoded)) throw new ConfigError(`${where}invalid UniFormerV2 constructor arguments:\n  - ${decoded.left.join("\n  - ")}`);
  const a = decoded.right;
  const returnList = a.return_list ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  if (a.n_layers !== undefined && a.n_layers !== returnList.length) {
    throw new ConfigError(`${where}n_layers ${a.n_layers} must equal len(return_list) ${returnList.length} (the official code asserts it)`);
  }
  try {
    return buildFromOfficial(a, returnList, fusion);
  } catch (error) {
    if (error instanceof ConfigError && where) throw new ConfigError(`${where}${error.message}`);
    throw error;
  }
}

function buildFromOfficial(a: OfficialArgs, returnList: readonly number[], fusion: Fusion): UniFormerV2Config {
  return validateConfig({
    inputResolution: a.input_resolution,
    patchSize: a.patch_size,
    width: a.width,
    layers: a.layers,
    heads: a.heads,
    frames: a.t_size ?? 8,
    temporalDownsample: a.temporal_downsample ?? true,
    kernelSize: a.kernel_size ?? 3,
    noLmhra: a.no_lmhra ?? false,
    doubleLmhra: a.double_lmhra ?? true,
    dwReduction: a.dw_reduction ?? 1.5,
    returnList,
    globalDim: a.n_dim ?? 768,
    globalHeads: a.n_head ?? 12,
    mlpFactor: a.mlp_factor ?? 4.0,
    mlpDropout: a.mlp_dropout ?? returnList.map(() => 0.5),
    clsDropout: a.cls_dropout ?? 0.5,
    dropPathRate: a.drop_path_rate ?? 0,
    backboneDropPathRate: a.backbone_drop_path_rate ?? 0,
    numClasses: a.num_classes ?? 400,
    frozen: a.frozen ?? false,
    fusion,
  });
}

const kinetics = {
  frames: 8,
  temporalDownsample: false,
  kernelSize: 3,
  noLmhra: true,
  doubleLmhra: true,
  dwReduction: 1.5,
  mlpFactor: 4,
  clsDropout: 0.5,
  dropPathRate: 0,
  backboneDropPathRate: 0,
  numClasses: 400,
  frozen: false,
  fusion: "sequential",
} as const;

/** The released models (MODEL_ZOO: Kinetics-400 at 8×224², L/14 at 336², Something-Something V2). */
export const PRESETS = {
  "b16-k400": { ...kinetics, inputResolution: 224, patchSize: 16, width: 768, layers: 12, heads: 12, returnList: [8, 9, 10, 11], globalDim: 768, globalHeads: 12, mlpDropout: [0.5, 0.5, 0.5, 0.5] },
  "l14-k400": { ...kinetics, inputResolution: 224, patchSize: 14, width: 1024, layers: 24, heads: 16, returnList: [20, 21, 22, 23], globalDim: 1024, globalHeads: 16, mlpDropout: [0.5, 0.5, 0.5, 0.5] },
  "l14-336-k400": { ...kinetics, inputResolution: 336, patchSize: 14, width: 1024, layers: 24, heads: 16, returnList: [20, 21, 22, 23], globalDim: 1024, globalHeads: 16, mlpDropout: [0.5, 0.5, 0.5, 0.5] },
  "b16-ssv2": {
    ...kinetics,
    frames: 16,
    temporalDownsample: true,
    noLmhra: false,
    numClasses: 174,
    inputResolution: 224,
    patchSize: 16,
    width: 768,
    layers: 12,
    heads: 12,
    returnList: [4, 5, 6, 7, 8, 9, 10, 11],
    globalDim: 768,
    globalHeads: 12,
    mlpDropout: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
  },
} as const satisfies Record<string, UniFormerV2Config>;

export type PresetName = keyof typeof PRESETS;

/** A released config by name: literal-typed for a known name (`preset("b16-k400").width` is 768). */
export function preset<const N extends string>(name: N): N extends PresetName ? (typeof PRESETS)[N] : UniFormerV2Config;
export function preset(name: string): UniFormerV2Config {
  const found = (PRESETS as Record<string, UniFormerV2Config>)[name];
  if (!found) throw new ConfigError(`unknown preset "${name}"; choose from ${Object.keys(PRESETS).join(", ")}`);
  return validateConfig(found);
}
