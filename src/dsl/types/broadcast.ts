/**
 * @file `Broadcast<A, B>`: numpy (right-aligned) broadcasting of two shapes.
 *
 * Dims are paired from the right; the shorter shape is padded on the left. Each pair
 * follows {@link BroadcastDim}: equal dims stay, a literal `1` stretches, an unknown
 * (`number`) takes the other side, a name matches only the same name.
 * A rank-unknown operand (`number[]`) gives `Dim[]`.
 *
 * Error: `${Op}: cannot broadcast [2, 3] with [4]`.
 */
import type { BroadcastDim, DimMismatch } from "./dim.js";
import type { Dim, Shape, ShapeError, ShowShape, UnknownRank } from "./shape.js";

/** Broadcast shape of `A` and `B`, or a {@link ShapeError} prefixed with `Op`. */
export type Broadcast<A extends Shape, B extends Shape, Op extends string = "broadcast"> =
  number extends A["length"]
    ? UnknownRank<A | B>
    : number extends B["length"]
      ? UnknownRank<B>
      : BroadcastLoop<A, B> extends infer R
        ? [R] extends [DimMismatch]
          ? ShapeError<`${Op}: cannot broadcast ${ShowShape<A>} with ${ShowShape<B>}`>
          : R
        : never;

/** Walks both tuples from the right, prepending broadcast dims to `Acc`. */
type BroadcastLoop<A extends Shape, B extends Shape, Acc extends Dim[] = []> = A extends readonly [
  ...infer AR extends Shape,
  infer a extends Dim,
]
  ? B extends readonly [...infer BR extends Shape, infer b extends Dim]
    ? BroadcastDim<a, b> extends infer D extends Dim
      ? BroadcastLoop<AR, BR, [D, ...Acc]>
      : DimMismatch
    : [...A, ...Acc]
  : [...B, ...Acc];
