/**
 * @file `PadShape<S, Pads>`: shape after padding every axis by `[lo, hi]`.
 *
 * `Pads` has one `[lo, hi]` pair per axis; each literal dim becomes `dim + lo + hi`.
 * Named or unknown dims, and unknown/non-natural pads, give an unknown dim (`number`).
 * An unknown rank or a non-tuple `Pads` gives `Dim[]`.
 *
 * Error: `pad: expected 3 [lo, hi] pairs for [2, 3, 4], got 2`.
 */
import type { Add } from "./arith.js";
import type { IsFixedDim } from "./dim.js";
import type { Dim, Shape, ShapeError, ShowShape, UnknownRank } from "./shape.js";

/** `S` with each dim grown by its pads, or a {@link ShapeError}. */
export type PadShape<S extends Shape, Pads extends readonly (readonly [number, number])[]> =
  number extends S["length"]
    ? UnknownRank<S>
    : number extends Pads["length"]
      ? Dim[]
      : Pads["length"] extends S["length"]
        ? PadLoop<S, Pads>
        : ShapeError<`pad: expected ${S["length"]} [lo, hi] pairs for ${ShowShape<S>}, got ${Pads["length"]}`>;

type PadLoop<
  S extends Shape,
  Pads extends readonly (readonly [number, number])[],
  Acc extends Dim[] = [],
> = S extends readonly [infer D extends Dim, ...infer R extends Shape]
  ? Pads extends readonly [
      readonly [infer Lo extends number, infer Hi extends number],
      ...infer PR extends readonly (readonly [number, number])[],
    ]
    ? PadLoop<R, PR, [...Acc, IsFixedDim<D> extends true ? Add<Add<D & number, Lo>, Hi> : number]>
    : Acc
  : Acc;
