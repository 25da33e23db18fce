/**
 * @file `SliceAxisShape<S, Axis, Start, End>`: shape after taking `[Start, End)` along one axis.
 *
 * The `Axis` dim becomes `End - Start`. `Start` and `End` are natural literals with
 * `Start <= End`, and `End <= dim` when the dim is a literal (a named dim is trusted).
 * Negative axes count from the end; negative `Start`/`End` are not supported (error).
 * An unknown `Start`/`End` makes the dim unknown (`number`); an unknown rank or axis
 * gives `Dim[]`.
 *
 * Errors:
 * - `slice: axis 3 is out of range for [2, 3, 4]`
 * - `slice: [2, 5) is out of range for axis 1 of [2, 3, 4]`
 */
import type { Compare, Sub } from "./arith.js";
import type { NormalizeAxis } from "./axis.js";
import type { IsFixedDim } from "./dim.js";
import type { Dim, Shape, ShapeError, ShowShape, UnknownRank } from "./shape.js";

/** `S` with dim `Axis` replaced by `End - Start`, or a {@link ShapeError}. */
export type SliceAxisShape<
  S extends Shape,
  Axis extends number,
  Start extends number,
  End extends number,
> = number extends S["length"]
  ? UnknownRank<S>
  : NormalizeAxis<Axis, S["length"]> extends infer Ax
    ? [Ax] extends [never]
      ? ShapeError<`slice: axis ${Axis} is out of range for ${ShowShape<S>}`>
      : number extends Ax
        ? Dim[]
        : Ax extends number
          ? SliceLen<S[Ax], Start, End> extends infer L
            ? L extends number
              ? ReplaceAt<S, Ax, L>
              : ShapeError<`slice: [${Start}, ${End}) is out of range for axis ${Axis} of ${ShowShape<S>}`>
            : never
          : never
    : never;

/** `End - Start` if valid for dim `D`, `number` if unknown, `false` if out of range. */
type SliceLen<D, Start extends number, End extends number> = number extends Start | End
  ? number
  : Compare<Start, End> extends "lt" | "eq"
    ? IsFixedDim<D> extends true
      ? Compare<End, D & number> extends "lt" | "eq"
        ? Sub<End, Start>
        : false
      : Sub<End, Start>
    : false;

/** `S` with index `I` set to `D` (a mutable tuple). */
type ReplaceAt<S extends Shape, I extends number, D extends Dim> = {
  -readonly [K in keyof S]: K extends `${I}` ? D : S[K];
};
