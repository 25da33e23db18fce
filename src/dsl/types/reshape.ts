/**
 * @file `ReshapeShape<From, To>`: checks that a reshape preserves the element count.
 *
 * A shape's size is (product of its literal dims) x (its named dims, as a multiset).
 * `To` is accepted when both parts agree, e.g. `[8, 196, 768]` <-> `[1568, 768]` <->
 * `[1204224]`, or `["B", "T", 768]` <-> `["T", "B", 12, 64]`. If either side has an
 * unknown dim (`number`) or unknown rank, the check is skipped and `To` returned.
 *
 * Error: `reshape: cannot reshape [B, 6] (size B*6) to [B, 4] (size B*4)`.
 */
import type { Product } from "./arith.js";
import type { IsUnknownDim } from "./dim.js";
import type { Shape, ShapeError, ShowShape } from "./shape.js";

/** `To` if `From` can be reshaped into it, else a {@link ShapeError}. */
export type ReshapeShape<From extends Shape, To extends Shape> = number extends From["length"]
  ? To
  : number extends To["length"]
    ? To
    : HasUnknown<[...From, ...To]> extends true
      ? To
      : SameSize<Split<From>, Split<To>> extends true
        ? To
        : ShapeError<`reshape: cannot reshape ${ShowShape<From>} (size ${ShowSize<From>}) to ${ShowShape<To>} (size ${ShowSize<To>})`>;

/** `true` if some dim is unknown (`number` / `string`). */
type HasUnknown<S extends Shape> = S extends readonly [infer H, ...infer R extends Shape]
  ? IsUnknownDim<H> extends true
    ? true
    : HasUnknown<R>
  : false;

/** `[literal dims, named dims]` of a tuple shape. */
type Split<S extends Shape, Lits extends number[] = [], Names extends string[] = []> =
  S extends readonly [infer H, ...infer R extends Shape]
    ? H extends number
      ? Split<R, [...Lits, H], Names>
      : H extends string
        ? Split<R, Lits, [...Names, H]>
        : never
    : [Lits, Names];

type SameSize<A extends [number[], string[]], B extends [number[], string[]]> =
  Product<A[0]> extends Product<B[0]>
    ? Product<B[0]> extends Product<A[0]>
      ? SameNames<A[1], B[1]>
      : false
    : false;

/** Multiset equality of two name lists: remove each of `A` from `B` once, then `B` must be empty. */
type SameNames<A extends string[], B extends string[]> = A extends [
  infer H extends string,
  ...infer R extends string[],
]
  ? RemoveOne<B, H> extends infer B2 extends string[]
    ? SameNames<R, B2>
    : false
  : B extends []
    ? true
    : false;

/** `L` without its first `X`, or `false` if `X` is absent. */
type RemoveOne<L extends string[], X extends string, Before extends string[] = []> = L extends [
  infer H extends string,
  ...infer R extends string[],
]
  ? [H] extends [X]
    ? [...Before, ...R]
    : RemoveOne<R, X, [...Before, H]>
  : false;

/** Size for messages: names joined by `*`, then the literal product (`B*T*768`, `1204224`). */
type ShowSize<S extends Shape> = Split<S> extends [infer L extends number[], infer N extends string[]]
  ? N extends []
    ? `${Product<L>}`
    : Product<L> extends 1
      ? JoinStar<N>
      : `${JoinStar<N>}*${Product<L>}`
  : never;

type JoinStar<N extends string[], Acc extends string = ""> = N extends [
  infer H extends string,
  ...infer R extends string[],
]
  ? JoinStar<R, Acc extends "" ? H : `${Acc}*${H}`>
  : Acc;
