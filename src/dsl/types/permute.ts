/**
 * @file `PermuteShape<S, Perm>`: reorders the axes of a shape (`transpose` with axes).
 *
 * `Perm` must list every axis `0..rank-1` exactly once: result `[S[Perm[0]], S[Perm[1]], ...]`.
 * An unknown entry (`number`) yields an unknown dim at that position; an unknown rank or
 * a non-tuple `Perm` gives `Dim[]`.
 *
 * Error: `permute: [0, 0, 1] is not a permutation of the axes of [2, 3, 4]`.
 */
import type { Compare } from "./arith.js";
import type { Dim, Shape, ShapeError, ShowShape, UnknownRank } from "./shape.js";

/** `S` with its axes reordered by `Perm`, or a {@link ShapeError}. */
export type PermuteShape<S extends Shape, Perm extends readonly number[]> = number extends S["length"]
  ? UnknownRank<S>
  : number extends Perm["length"]
    ? Dim[]
    : Perm["length"] extends S["length"]
      ? PermuteLoop<S, Perm> extends infer R
        ? R extends Dim[]
          ? R
          : ShapeError<`permute: ${ShowShape<Perm>} is not a permutation of the axes of ${ShowShape<S>}`>
        : never
      : ShapeError<`permute: ${ShowShape<Perm>} is not a permutation of the axes of ${ShowShape<S>}`>;

/**
 * Picks `S[p]` for each `p`; `Seen` holds the axes used so far. `false` on an
 * out-of-range or repeated axis (with equal lengths, that makes `Perm` a permutation).
 */
type PermuteLoop<
  S extends Shape,
  Perm extends readonly number[],
  Seen extends number = never,
  Acc extends Dim[] = [],
> = Perm extends readonly [infer P extends number, ...infer R extends readonly number[]]
  ? number extends P
    ? PermuteLoop<S, R, Seen, [...Acc, number]>
    : [P] extends [Seen]
      ? false
      : Compare<P, S["length"]> extends "lt"
        ? PermuteLoop<S, R, Seen | P, [...Acc, S[P]]>
        : false
  : Acc;
