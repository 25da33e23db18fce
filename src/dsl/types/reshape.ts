/**
 * @file `ReshapeShape<From, To>`: checks that a reshape preserves the element count.
 *
 * A shape's size is (product of its literal dims) x (its named dims, as a multiset).
 * `To` is accepted when both parts agree, e.g. `[8, 196, 768]` <-> `[1568, 768]` <->
 * `[1204224]`, or `["B", "T", 768]` <-> `["T", "B", 12, 64]`. If either side has an
 * unknown dim (`number`) or unknown rank, the check is skipped and `To` returned.
 *
 * One dim of `To` may be `-1`: it becomes the size that makes the counts agree, a literal
 * (`[2, 6]` → `[3, -1]` is `[3, 4]`) or the one name left over (`["B", 6]` → `[6, -1]` is
 * `[6, "B"]`); `number` when that is not known (unknown dims, or names and literals both left).
 *
 * Errors: `reshape: cannot reshape [B, 6] (size B*6) to [B, 4] (size B*4)`,
 * `reshape: 12 elements of [2, 6] do not split into [5, -1]`, `reshape: only one dim of [-1, -1] can be -1`.
 */
import type { FloorDiv, Mod, Product } from "./arith.js";
import type { IsUnknownDim } from "./dim.js";
import type { Shape, ShapeError, ShowShape } from "./shape.js";

/** `To` if `From` can be reshaped into it, else a {@link ShapeError}. */
export type ReshapeShape<From extends Shape, To extends Shape> = number extends To["length"]
  ? To
  : Holes<To> extends 0
    ? number extends From["length"]
      ? To
      : HasUnknown<[...From, ...To]> extends true
        ? To
        : SameSize<Split<From>, Split<To>> extends true
          ? To
          : ShapeError<`reshape: cannot reshape ${ShowShape<From>} (size ${ShowSize<From>}) to ${ShowShape<To>} (size ${ShowSize<To>})`>
    : Holes<To> extends 1
      ? FillHole<To, HoleSize<From, To>>
      : ShapeError<`reshape: only one dim of ${ShowShape<To>} can be -1`>;

/** How many dims of `S` are `-1` (0, 1, or 2 meaning "more than one"). */
type Holes<S extends Shape, N extends unknown[] = []> = S extends readonly [infer H, ...infer R extends Shape]
  ? [H] extends [-1]
    ? N extends [unknown]
      ? 2
      : Holes<R, [unknown]>
    : Holes<R, N>
  : N["length"];

/** `To` with its `-1` replaced by `D` (or the error `D` is). */
type FillHole<To extends Shape, D> = D extends ShapeError<string>
  ? D
  : { -readonly [K in keyof To]: [To[K]] extends [-1] ? D : To[K] };

/** The size a `-1` in `To` stands for, given `From`'s element count. */
type HoleSize<From extends Shape, To extends Shape> = number extends From["length"]
  ? number
  : HasUnknown<[...From, ...To]> extends true
    ? number
    : Split<From> extends [infer FL extends number[], infer FN extends string[]]
      ? Split<WithoutHole<To>> extends [infer TL extends number[], infer TN extends string[]]
        ? LeftOver<FN, TN> extends infer Names
          ? Names extends string[]
            ? Mod<Product<FL>, Product<TL>> extends 0
              ? Names extends []
                ? FloorDiv<Product<FL>, Product<TL>>
                : Names extends [infer Only extends string]
                  ? FloorDiv<Product<FL>, Product<TL>> extends 1
                    ? Only
                    : number
                  : number
              : number extends Mod<Product<FL>, Product<TL>>
                ? number
                : ShapeError<`reshape: ${ShowSize<From>} elements of ${ShowShape<From>} do not split into ${ShowShape<To>}`>
            : ShapeError<`reshape: ${ShowShape<To>} names a dim ${ShowShape<From>} does not have`>
          : never
        : never
      : never;

type WithoutHole<S extends Shape> = S extends readonly [infer H, ...infer R extends Shape]
  ? [H] extends [-1]
    ? WithoutHole<R>
    : [H, ...WithoutHole<R>]
  : [];

/** The names of `From` not used up by `To` (multiset difference), or `false` if `To` has a name `From` lacks. */
type LeftOver<From extends string[], To extends string[]> = To extends [infer H extends string, ...infer R extends string[]]
  ? RemoveOne<From, H> extends infer F2 extends string[]
    ? LeftOver<F2, R>
    : false
  : From;

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
