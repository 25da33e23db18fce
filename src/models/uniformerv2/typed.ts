/**
 * @file Config checks the type checker can do: `defineConfig` accepts a literal config only
 * when the resolution is a multiple of the patch, the heads divide the widths, and every
 * returnList index names a layer. A violation is a compile error whose message says which
 * (`ConfigError<"…">`); `validateConfig` still checks everything at run time.
 */
import type { Lt, Mod } from "../../dsl/types/arith.js";
import { validateConfig, type UniFormerV2Config } from "./config.js";

declare const configErrorMark: unique symbol;

/**
 * A config the types refuse; its one property is named by the message, so tsc 5.9 and 7 both
 * print the message first (as `ShapeError` does).
 */
export type ConfigTypeError<Msg extends string> = { readonly [K in `defineConfig: ${Msg}`]: typeof configErrorMark };

type Divides<Big extends number, Small extends number, Msg extends string> = number extends Big | Small
  ? never
  : Mod<Big, Small> extends 0
    ? never
    : Mod<Big, Small> extends number
      ? number extends Mod<Big, Small>
        ? never
        : Msg
      : never;

type IndexOutOfRange<List extends readonly number[], Layers extends number> = number extends Layers
  ? never
  : { [K in keyof List]: Lt<List[K] & number, Layers> extends false ? `returnList index ${List[K] & number} is past the last layer ${Layers}` : never }[number];

/** The first problem the types can see, or never. */
export type ConfigTypeProblem<C extends UniFormerV2Config> =
  | Divides<C["inputResolution"], C["patchSize"], `inputResolution ${C["inputResolution"]} is not divisible by patchSize ${C["patchSize"]}`>
  | Divides<C["width"], C["heads"], `heads ${C["heads"]} do not divide width ${C["width"]}`>
  | Divides<C["globalDim"], C["globalHeads"], `globalHeads ${C["globalHeads"]} do not divide globalDim ${C["globalDim"]}`>
  | IndexOutOfRange<C["returnList"], C["layers"]>;

export type CheckedConfig<C extends UniFormerV2Config> = [ConfigTypeProblem<C>] extends [never] ? C : ConfigTypeError<ConfigTypeProblem<C>>;

/**
 * A config whose literal values are checked by the types, then validated at run time. A
 * problem makes the parameter's type the error itself, so it is the first thing tsc prints.
 */
export function defineConfig<const C extends UniFormerV2Config>(config: CheckedConfig<C>): C {
  // Once the call type-checks, `config` is C (the error branch admits nothing).
  return validateConfig(config as C) as C;
}
