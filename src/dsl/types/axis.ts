/**
 * @file Axis helpers: resolving (possibly negative) axis literals against a rank.
 *
 * `NormalizeAxis<-1, 3>` is `2`, `NormalizeAxis<3, 3>` is `never` (out of range),
 * `NormalizeAxis<number, 3>` is `number` (unknown axis).
 */
import type { Compare, Sub } from "./arith.js";

/**
 * The non-negative index of axis `A` in a shape of rank `R` (`-1` is the last axis):
 * a literal in `0..R-1`, `never` if out of range, or `number` if `A` or `R` is wide.
 */
export type NormalizeAxis<A extends number, R extends number> = number extends A
  ? number
  : number extends R
    ? number
    : `${A}` extends `-${infer P extends number}`
      ? Compare<P, R> extends "lt" | "eq"
        ? Sub<R, P>
        : never
      : Compare<A, R> extends "lt"
        ? A
        : never;
