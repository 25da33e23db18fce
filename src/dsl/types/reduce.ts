/**
 * @file `ReduceShape<S, Axes, KeepDims>`: shape after reducing (sum/mean/max...) over axes.
 *
 * Axes may be negative (`-1` is the last axis) and must each be in range and distinct.
 * Reduced axes are dropped, or set to `1` when `KeepDims` is `true`. `Axes = []` leaves
 * the shape unchanged. Unknown rank, a non-tuple `Axes`, an unknown axis (`number`) or a
 * wide `boolean` for `KeepDims` gives `Dim[]` (with `KeepDims = true`: the same rank,
 * every dim unknown).
 *
 * Errors:
 * - `reduce: axis 3 is out of range for [2, 3, 4]`
 * - `reduce: axis -1 is repeated in [2, -1] for [2, 3, 4]`
 */
import type { NormalizeAxis } from "./axis.js";
import type { Dim, Shape, ShapeError, ShowShape, UnknownRank } from "./shape.js";

/** Result shape of a reduction of `S` over `Axes`, or a {@link ShapeError}. */
export type ReduceShape<
  S extends Shape,
  Axes extends readonly number[],
  KeepDims extends boolean,
> = number extends S["length"]
  ? UnknownRank<S>
  : boolean extends KeepDims
    ? Dim[]
    : ResolveAxes<S, Axes> extends infer Ax
      ? Ax extends [infer U extends number]
        ? ApplyReduce<S, U, KeepDims>
        : Ax extends "unknown"
          ? KeepDims extends true
            ? Unknowns<S>
            : Dim[]
          : Ax
      : never;

/**
 * `[union of normalised axes]` (`[never]` for `[]`), `"unknown"`, or a ShapeError.
 * `All` is the full axes list (for messages), `Seen` the union of axes resolved so far.
 */
type ResolveAxes<
  S extends Shape,
  Axes extends readonly number[],
  All extends readonly number[] = Axes,
  Seen extends number = never,
> = number extends Axes["length"]
  ? "unknown"
  : Axes extends readonly [infer A extends number, ...infer R extends readonly number[]]
    ? NormalizeAxis<A, S["length"]> extends infer I
      ? [I] extends [never]
        ? ShapeError<`reduce: axis ${A} is out of range for ${ShowShape<S>}`>
        : number extends I
          ? "unknown"
          : [I] extends [Seen]
            ? ShapeError<`reduce: axis ${A} is repeated in ${ShowShape<All>} for ${ShowShape<S>}`>
            : I extends number
              ? ResolveAxes<S, R, All, Seen | I>
              : never
      : never
    : [Seen];

/** Drops (or sets to 1) the dims whose index is in `Ax`; `Idx` counts the dims visited. */
type ApplyReduce<
  S extends Shape,
  Ax extends number,
  KeepDims extends boolean,
  Acc extends Dim[] = [],
  Idx extends 0[] = [],
> = S extends readonly [infer H extends Dim, ...infer R extends Shape]
  ? [Idx["length"]] extends [Ax]
    ? ApplyReduce<R, Ax, KeepDims, KeepDims extends true ? [...Acc, 1] : Acc, [...Idx, 0]>
    : ApplyReduce<R, Ax, KeepDims, [...Acc, H], [...Idx, 0]>
  : Acc;

/** Same rank as `S`, every dim unknown. */
type Unknowns<S extends Shape> = { -readonly [K in keyof S]: number };
