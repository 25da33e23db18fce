/**
 * @file `ConcatShape<Shapes, Axis>`: shape of concatenating tensors along one axis.
 *
 * All shapes must have the same rank and unify on every dim but `Axis` (negative axes
 * count from the end). The `Axis` dim is the sum of the inputs' (via `Add`), or `number`
 * when any of them is a name or unknown. A non-tuple list, an unknown rank or an
 * unknown axis gives `Dim[]`.
 *
 * Errors:
 * - `concat: no inputs`
 * - `concat: axis 3 is out of range for [2, 3, 4]`
 * - `concat: rank mismatch between [2, 3] and [2, 3, 4]`
 * - `concat: dim 0 differs between [2, 3] and [4, 3]` (first shape vs the offending one)
 */
import type { Add } from "./arith.js";
import type { NormalizeAxis } from "./axis.js";
import type { DimMismatch, IsFixedDim, UnifyDim } from "./dim.js";
import type { Dim, Shape, ShapeError, ShowShape, UnknownRank } from "./shape.js";

/** Result shape of `concat(shapes, axis)`, or a {@link ShapeError}. */
export type ConcatShape<Shapes extends readonly Shape[], Axis extends number> =
  number extends Shapes["length"]
    ? Dim[]
    : Shapes extends readonly [infer First extends Shape, ...infer Rest extends readonly Shape[]]
      ? number extends First["length"]
        ? UnknownRank<First>
        : NormalizeAxis<Axis, First["length"]> extends infer Ax
          ? [Ax] extends [never]
            ? ShapeError<`concat: axis ${Axis} is out of range for ${ShowShape<First>}`>
            : number extends Ax
              ? Dim[]
              : Ax extends number
                ? ConcatLoop<First, Rest, Ax, [...First]>
                : never
          : never
      : ShapeError<"concat: no inputs">;

/** Folds each remaining shape into `Acc` (the merged shape so far). */
type ConcatLoop<
  First extends Shape,
  Rest extends readonly Shape[],
  Ax extends number,
  Acc extends Dim[],
> = Rest extends readonly [infer S extends Shape, ...infer R extends readonly Shape[]]
  ? number extends S["length"]
    ? Dim[]
    : S["length"] extends First["length"]
      ? MergeDims<Acc, S, Ax> extends infer M
        ? M extends Dim[]
          ? ConcatLoop<First, R, Ax, M>
          : M extends number
            ? ShapeError<`concat: dim ${M} differs between ${ShowShape<First>} and ${ShowShape<S>}`>
            : never
        : never
      : ShapeError<`concat: rank mismatch between ${ShowShape<First>} and ${ShowShape<S>}`>
  : Acc;

/** Merges two equal-rank shapes: sum at `Ax`, unify elsewhere; the failing index on mismatch. */
type MergeDims<
  A extends Shape,
  B extends Shape,
  Ax extends number,
  Acc extends Dim[] = [],
> = A extends readonly [infer a extends Dim, ...infer AR extends Shape]
  ? B extends readonly [infer b extends Dim, ...infer BR extends Shape]
    ? Acc["length"] extends Ax
      ? MergeDims<AR, BR, Ax, [...Acc, AxisSum<a, b>]>
      : UnifyDim<a, b> extends infer D
        ? [D] extends [DimMismatch]
          ? Acc["length"]
          : D extends Dim
            ? MergeDims<AR, BR, Ax, [...Acc, D]>
            : never
        : never
    : Acc
  : Acc;

/** Sum of two axis dims: `Add` for literals, else unknown. */
type AxisSum<A extends Dim, B extends Dim> = IsFixedDim<A> extends true
  ? IsFixedDim<B> extends true
    ? Add<A & number, B & number>
    : number
  : number;
