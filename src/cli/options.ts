/**
 * @file The one option parser of the `wgtensor` commands, on `node:util` `parseArgs` (strict):
 * `--name value` and `--name=value`, `--help`/`-h` everywhere. A command declares its options
 * as data (`flag()`, `str()`, `required()`, `int(min)`, `num()`, `oneOf(...)`); `parse`
 * returns their typed values (undefined when absent: the command applies its defaults) or
 * throws a `UsageError` naming the command and the option, with the command's usage.
 */
import { editDistance } from "../util/edit-distance.js";
import { parseArgs } from "node:util";

type Option =
  | { readonly type: "flag" }
  | { readonly type: "string"; readonly required?: boolean }
  | { readonly type: "int"; readonly min: number }
  | { readonly type: "number" }
  | { readonly type: "choice"; readonly choices: readonly string[] };

export const flag = () => ({ type: "flag" }) as const;
export const str = () => ({ type: "string" }) as const;
/** A string the command cannot run without ("--x is required"). */
export const required = () => ({ type: "string", required: true }) as const;
/** An integer ≥ `min`. */
export const int = (min = 0) => ({ type: "int", min }) as const;
/** A number > 0. */
export const num = () => ({ type: "number" }) as const;
export const oneOf = <const C extends readonly string[]>(...choices: C) => ({ type: "choice", choices }) as const;

type Value<O> = O extends { type: "flag" }
  ? boolean
  : O extends { type: "string"; required: true }
    ? string
    : O extends { type: "int" | "number" }
      ? number | undefined
      : O extends { type: "choice"; choices: readonly (infer C)[] }
        ? C | undefined
        : string | undefined;

export interface Command<O extends Record<string, Option>> {
  /** As the user types it: "demo", "uniformerv2 forward". */
  readonly name: string;
  readonly usage: string;
  readonly options: O;
  /** How many positional arguments (a workload) it takes; default none. */
  readonly positionals?: number;
}

export type Parsed<O extends Record<string, Option>> = { readonly [K in keyof O]: Value<O[K]> } & {
  readonly positionals: readonly string[];
};

/** A command line the command cannot take: `message` is "command: problem", then the usage. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    readonly command: string,
    readonly problem: string,
    readonly usage: string,
    message = `${command}: ${problem}\n\n${usage}`,
  ) {
    super(message);
  }
}

/** True when the command line asks for help (`--help` or `-h` before any `--`). */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/** "a", "a or b", "a, b or c". */
const either = (xs: readonly string[]) => (xs.length < 2 ? xs.join("") : `${xs.slice(0, -1).join(", ")} or ${xs.at(-1)}`);

/** The known option closest to `name` (a typo or a prefix of it), if any is close. */
function suggest(name: string, known: readonly string[]): string | undefined {
  const scored = known.map((k) => ({ k, d: k.startsWith(name) && name.length >= 2 ? 0 : editDistance(name, k) })).sort((x, y) => x.d - y.d);
  return scored[0] && scored[0].d <= (name.length <= 4 ? 1 : 2) ? scored[0].k : undefined;
}

/** Parse `args` for `command`; throws a `UsageError` for anything it does not declare or accept. */
export function parse<O extends Record<string, Option>>(command: Command<O>, args: readonly string[]): Parsed<O> {
  const fail: (problem: string) => never = (problem) => {
    throw new UsageError(command.name, problem, command.usage);
  };
  const specs = { help: { type: "boolean" as const, short: "h" } } as Record<string, { type: "string" | "boolean"; short?: string }>;
  for (const [name, o] of Object.entries(command.options)) specs[name] = { type: o.type === "flag" ? "boolean" : "string" };
  const config = { args: [...args], options: specs, allowPositionals: true };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ ...config, strict: true });
  } catch {
    // parseArgs says what is wrong in words that differ between Node versions: find it in the tokens.
    for (const t of parseArgs({ ...config, strict: false, tokens: true }).tokens) {
      if (t.kind !== "option") continue;
      const spec = specs[t.name];
      if (!spec) {
        const near = suggest(t.name, Object.keys(command.options));
        fail(`unknown option ${t.rawName}${near ? ` (did you mean --${near}?)` : ""}`);
      }
      if (spec.type === "boolean" && t.value !== undefined) fail(`${t.rawName} takes no value, got "${t.value}"`);
      if (spec.type === "string" && (t.value === undefined || (!t.inlineValue && t.value.startsWith("-")))) fail(`${t.rawName} needs a value`);
    }
    throw new Error(`${command.name}: cannot parse ${args.join(" ")}`);
  }
  const max = command.positionals ?? 0;
  if (parsed.positionals.length > max) fail(`unexpected argument "${parsed.positionals[max]}"`);

  const out: Record<string, unknown> = { positionals: parsed.positionals };
  for (const [name, o] of Object.entries(command.options)) {
    const v = parsed.values[name];
    if (o.type === "flag") {
      out[name] = v === true;
      continue;
    }
    if (v === undefined || typeof v !== "string") {
      if (o.type === "string" && o.required) fail(`--${name} is required`);
      out[name] = undefined;
      continue;
    }
    if (o.type === "int") {
      const n = Number(v);
      if (v.trim() === "" || !Number.isInteger(n) || n < o.min) fail(`--${name} needs ${o.min === 0 ? "a non-negative integer" : `an integer ≥ ${o.min}`}, got "${v}"`);
      out[name] = n;
    } else if (o.type === "number") {
      const n = Number(v);
      if (v.trim() === "" || !(n > 0) || !Number.isFinite(n)) fail(`--${name} needs a positive number, got "${v}"`);
      out[name] = n;
    } else if (o.type === "choice") {
      if (!o.choices.includes(v)) fail(`--${name} must be ${either(o.choices)}, got "${v}"`);
      out[name] = v;
    } else {
      out[name] = v;
    }
  }
  return out as Parsed<O>;
}

/** `--backend auto|webgpu|cpu`, shared by the commands that run a model. */
export const backendOption = () => oneOf("auto", "webgpu", "cpu");
