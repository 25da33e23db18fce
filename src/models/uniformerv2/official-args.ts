/**
 * @file The official constructor's arguments as data from outside (a config.json, a user's
 * object): every field's type and range checked, unknown keys refused with the closest known
 * name, and every problem reported at once. `decodeOfficialArgs` returns fp-ts's `Either` (the
 * problems, or the config); `fromOfficialArgs` (config.ts) throws them as one `ConfigError`.
 */
import * as E from "fp-ts/lib/Either.js";
import { editDistance } from "../../util/edit-distance.js";

/** The official constructor's keyword arguments (snake_case), as in a fixture's config.json. */
export interface OfficialArgs {
  readonly input_resolution: number;
  readonly patch_size: number;
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly t_size?: number;
  readonly kernel_size?: number;
  readonly dw_reduction?: number;
  readonly temporal_downsample?: boolean;
  readonly no_lmhra?: boolean;
  readonly double_lmhra?: boolean;
  readonly return_list?: readonly number[];
  readonly n_layers?: number;
  readonly n_dim?: number;
  readonly n_head?: number;
  readonly mlp_factor?: number;
  readonly drop_path_rate?: number;
  readonly backbone_drop_path_rate?: number;
  readonly mlp_dropout?: readonly number[];
  readonly cls_dropout?: number;
  readonly num_classes?: number;
  readonly frozen?: boolean;
}

type Check = (v: unknown) => string | undefined;

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
const show = (v: unknown): string => {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v === null) return "null";
  return typeof v === "object" ? "an object" : String(v);
};

const positiveInt: Check = (v) => (isInt(v) && v >= 1 ? undefined : `must be a positive integer, got ${show(v)}`);
const positiveNumber: Check = (v) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? undefined : `must be a positive number, got ${show(v)}`);
const rate: Check = (v) => (typeof v === "number" && v >= 0 && v < 1 ? undefined : `must be a number in [0, 1), got ${show(v)}`);
const bool: Check = (v) => (typeof v === "boolean" ? undefined : `must be true or false, got ${show(v)}${v === "true" || v === "false" ? " (a string)" : ""}`);
const listOf =
  (item: Check, what: string): Check =>
  (v) => {
    if (!Array.isArray(v)) return `must be a list of ${what}, got ${show(v)}`;
    const bad = v.findIndex((x) => item(x) !== undefined);
    return bad < 0 ? undefined : `[${bad}] ${item(v[bad])}`;
  };
const nonNegativeInt: Check = (v) => (isInt(v) && v >= 0 ? undefined : `must be a non-negative integer, got ${show(v)}`);

/** Every argument of `VisionTransformer.__init__` (uniformerv2_model.py), with its check. */
const FIELDS: Readonly<Record<string, { readonly check: Check; readonly required?: true }>> = {
  input_resolution: { check: positiveInt, required: true },
  patch_size: { check: positiveInt, required: true },
  width: { check: positiveInt, required: true },
  layers: { check: positiveInt, required: true },
  heads: { check: positiveInt, required: true },
  output_dim: { check: positiveInt },
  backbone_drop_path_rate: { check: rate },
  use_checkpoint: { check: bool },
  checkpoint_num: { check: listOf(nonNegativeInt, "non-negative integers") },
  t_size: { check: positiveInt },
  kernel_size: { check: positiveInt },
  dw_reduction: { check: positiveNumber },
  temporal_downsample: { check: bool },
  no_lmhra: { check: bool },
  double_lmhra: { check: bool },
  return_list: { check: listOf(nonNegativeInt, "layer indices") },
  n_layers: { check: positiveInt },
  n_dim: { check: positiveInt },
  n_head: { check: positiveInt },
  mlp_factor: { check: positiveNumber },
  drop_path_rate: { check: rate },
  mlp_dropout: { check: listOf(rate, "rates in [0, 1)") },
  cls_dropout: { check: rate },
  num_classes: { check: positiveInt },
  frozen: { check: bool },
};

/** The known name closest to `name`, if close enough to be a typo (or the camelCase spelling of one). */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = Math.min(editDistance(name, k), editDistance(snake, k));
    if (!best || d < best.d) best = { name: k, d };
  }
  return best && best.d <= Math.max(2, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

/**
 * Check `raw` as the official constructor's keyword arguments. Left: every problem, one
 * sentence each (unknown keys with the closest known name, missing required ones, wrong types
 * and ranges); right: the arguments, typed.
 */
export function decodeOfficialArgs(raw: unknown): E.Either<readonly string[], OfficialArgs> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return E.left([`the constructor arguments must be an object of keyword arguments, got ${show(raw)}`]);
  }
  const given = raw as Record<string, unknown>;
  const known = Object.keys(FIELDS);
  const problems: string[] = [];
  for (const key of Object.keys(given)) {
    if (FIELDS[key] !== undefined) continue;
    const near = closestName(key, known);
    problems.push(`unknown argument "${key}"${near ? ` (did you mean "${near}"?)` : ""}`);
  }
  for (const [key, field] of Object.entries(FIELDS)) {
    const v = given[key];
    if (v === undefined) {
      if (field.required) problems.push(`${key} is required`);
      continue;
    }
    const problem = field.check(v);
    if (problem !== undefined) problems.push(`${key} ${problem}`);
  }
  // Every key is known and every present value passed its field's check: this is the one place
  // the untyped object becomes typed.
  return problems.length > 0 ? E.left(problems) : E.right(given as unknown as OfficialArgs);
}
