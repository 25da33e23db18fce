/**
 * @file Convolution shape rules (channels-last).
 *
 * - {@link ConvOutDim}: one spatial output size,
 *   `floor((In + PadLo + PadHi - Dilation·(Kernel - 1) - 1) / Stride) + 1`.
 * - {@link ConvNdShape}: input `[N, ...spatial, Cin]`, weight `[Cout, ...kernel, Cin/groups]`
 *   -> `[N, ...out, Cout]`, for any number of spatial axes.
 * - {@link Conv1dShape}, {@link Conv2dShape}, {@link Conv3dShape}: the same with the rank checked
 *   (3, 4, 5); e.g. Conv3d input `[N, T, H, W, Cin]`, weight `[Cout, kT, kH, kW, Cin/groups]`.
 *
 * Options ({@link ConvOpts}, all optional): `stride` (default 1), `padding` (symmetric, default 0),
 * `dilation` (default 1), each a tuple with one entry per spatial axis or a single number for
 * all axes; `groups` (default 1). Named or unknown sizes give unknown output dims (`number`).
 *
 * Errors:
 * - `conv: window larger than padded input` (from {@link ConvOutDim})
 * - `conv: window larger than padded input on spatial axis 1 of [1, 8, 2, 8, 3] with weight [4, 3, 3, 3, 3]`
 * - `conv: stride, dilation and kernel size must be positive`
 * - `conv: input [..] and weight [..] need the same rank >= 3`
 * - `conv3d: expected input [N, T, H, W, C] and weight [Cout, kT, kH, kW, C/groups], got [..] and [..]`
 * - `conv: input channels 6 of [..] do not match weight in-channels 4 x groups 2 of [..]`
 * - `conv: output channels 6 of [..] are not divisible by groups 4`
 * - `conv: stride must have 3 entries, got [2, 2]` (likewise padding, dilation)
 */
import type { IsNat, Mod, Mul, NatStr, ToNum } from "./arith.js";
import type { AddNat, CmpNat, DivNat, MulNat, SubNat } from "./digits.js";
import type { DimMismatch, IsFixedDim, UnifyDim } from "./dim.js";
import type { Dim, Shape, ShapeError, ShowDim, ShowShape, UnknownRank } from "./shape.js";

/** Convolution options; every field is optional. */
export interface ConvOpts {
  readonly stride?: number | readonly number[];
  readonly padding?: number | readonly number[];
  readonly dilation?: number | readonly number[];
  readonly groups?: number;
}

/**
 * Output size of one spatial axis; `number` if any input is named/unknown, a
 * {@link ShapeError} when the (dilated) window does not fit the padded input.
 */
export type ConvOutDim<
  In extends Dim,
  Kernel extends Dim,
  Stride extends number = 1,
  PadLo extends number = 0,
  PadHi extends number = 0,
  Dilation extends number = 1,
> = true extends IsZero<Stride> | IsZero<Dilation> | IsZero<Kernel>
  ? ShapeError<"conv: stride, dilation and kernel size must be positive">
  : AllNat<[In, Kernel, Stride, PadLo, PadHi, Dilation]> extends true
    ? ConvOutNat<In & number, Kernel & number, Stride, PadLo, PadHi, Dilation>
    : number;

/** `true` only for the literal `0`. */
type IsZero<T> = number extends T ? false : T extends 0 ? true : false;

/** {@link ConvOutDim} on natural literals, computed directly on digit strings. */
type ConvOutNat<
  In extends number,
  Kernel extends number,
  Stride extends number,
  PadLo extends number,
  PadHi extends number,
  Dilation extends number,
> = AddNat<AddNat<NatStr<In>, NatStr<PadLo>>, NatStr<PadHi>> extends infer P extends string
  ? AddNat<MulNat<NatStr<Dilation>, SubNat<NatStr<Kernel>, "1">>, "1"> extends infer E extends string
    ? CmpNat<P, E> extends "lt"
      ? ShapeError<"conv: window larger than padded input">
      : ToNum<AddNat<DivNat<SubNat<P, E>, NatStr<Stride>>, "1">>
    : never
  : never;

/** `true` if every entry is a natural number literal. */
type AllNat<T extends readonly unknown[]> = T extends readonly [infer H, ...infer R]
  ? H extends number
    ? IsNat<H> extends true
      ? AllNat<R>
      : false
    : false
  : true;

/** Channels-last N-d convolution: `[N, ...spatial, Cin]` x `[Cout, ...kernel, Cin/groups]`. */
export type ConvNdShape<X extends Shape, W extends Shape, Opts extends ConvOpts = {}> =
  number extends X["length"]
    ? UnknownRank<X | W>
    : number extends W["length"]
      ? UnknownRank<W>
      : X extends readonly [infer N extends Dim, ...infer XS extends Shape, infer Cin extends Dim]
        ? W extends readonly [infer Cout extends Dim, ...infer KS extends Shape, infer CinG extends Dim]
          ? XS["length"] extends KS["length"]
            ? XS extends []
              ? RankError<X, W>
              : ConvChecked<X, W, N, XS, Cin, Cout, KS, CinG, Opts>
            : RankError<X, W>
          : RankError<X, W>
        : RankError<X, W>;

type RankError<X extends Shape, W extends Shape> = ShapeError<`conv: input ${ShowShape<X>} and weight ${ShowShape<W>} need the same rank >= 3`>;

/** Channel checks, then options, then the spatial dims. */
type ConvChecked<
  X extends Shape,
  W extends Shape,
  N extends Dim,
  XS extends Shape,
  Cin extends Dim,
  Cout extends Dim,
  KS extends Shape,
  CinG extends Dim,
  Opts extends ConvOpts,
> = OptOf<Opts, "groups", 1> extends infer G extends number
  ? ChannelsMatch<Cin, CinG, G> extends false
    ? ShapeError<`conv: input channels ${ShowDim<Cin>} of ${ShowShape<X>} do not match weight in-channels ${ShowDim<CinG>} x groups ${ShowDim<G>} of ${ShowShape<W>}`>
    : DivisibleByGroups<Cout, G> extends false
      ? ShapeError<`conv: output channels ${ShowDim<Cout>} of ${ShowShape<W>} are not divisible by groups ${ShowDim<G>}`>
      : PerAxis<OptOf<Opts, "stride", 1>, XS["length"], "stride"> extends infer S
        ? S extends readonly number[]
          ? PerAxis<OptOf<Opts, "padding", 0>, XS["length"], "padding"> extends infer P
            ? P extends readonly number[]
              ? PerAxis<OptOf<Opts, "dilation", 1>, XS["length"], "dilation"> extends infer D
                ? D extends readonly number[]
                  ? SpatialLoop<X, W, XS, KS, S, P, D> extends infer Out
                    ? Out extends Dim[]
                      ? [N, ...Out, Cout]
                      : Out
                    : never
                  : D
                : never
              : P
            : never
          : S
        : never
    : never;

/** `Cin = CinG x G` (checked when all literal; by unification when `G = 1`), else unknown. */
type ChannelsMatch<Cin extends Dim, CinG extends Dim, G extends number> = [G] extends [1]
  ? [UnifyDim<Cin, CinG>] extends [DimMismatch]
    ? false
    : true
  : IsFixedDim<Cin> extends true
    ? IsFixedDim<CinG> extends true
      ? IsNat<G> extends true
        ? Mul<CinG & number, G> extends Cin
          ? true
          : false
        : boolean
      : boolean
    : boolean;

/** `Cout mod G = 0` when both literal, else unknown. */
type DivisibleByGroups<Cout extends Dim, G extends number> = IsFixedDim<Cout> extends true
  ? IsNat<G> extends true
    ? G extends 0
      ? boolean
      : Mod<Cout & number, G> extends 0
        ? true
        : false
    : boolean
  : boolean;

/** The value of optional field `K` of `O`, or `D` when absent/undefined. */
type OptOf<O, K extends keyof ConvOpts, D> = K extends keyof O
  ? Exclude<O[K], undefined> extends infer V
    ? [V] extends [never]
      ? D
      : V
    : D
  : D;

/** A per-axis option as an `N`-tuple: a scalar is repeated; a tuple must have `N` entries. */
type PerAxis<V, N extends number, Name extends string> = V extends readonly number[]
  ? number extends V["length"]
    ? Repeat<number, N>
    : V["length"] extends N
      ? V
      : ShapeError<`conv: ${Name} must have ${N} entries, got ${ShowShape<V>}`>
  : V extends number
    ? Repeat<V, N>
    : Repeat<number, N>;

/** `[V, V, ..., V]` of length `N` (`N` is a small rank). */
type Repeat<V, N extends number, Acc extends unknown[] = []> = Acc["length"] extends N
  ? Acc
  : Acc["length"] extends 64
    ? Acc
    : Repeat<V, N, [...Acc, V]>;

/** Output dims of all spatial axes, or the first error (with the axis index added). */
type SpatialLoop<
  X extends Shape,
  W extends Shape,
  XS extends Shape,
  KS extends Shape,
  S extends readonly number[],
  P extends readonly number[],
  D extends readonly number[],
  Acc extends Dim[] = [],
> = XS extends readonly [infer In extends Dim, ...infer XR extends Shape]
  ? [KS, S, P, D] extends [
      readonly [infer K extends Dim, ...infer KR extends Shape],
      readonly [infer s extends number, ...infer SR extends readonly number[]],
      readonly [infer p extends number, ...infer PR extends readonly number[]],
      readonly [infer d extends number, ...infer DR extends readonly number[]],
    ]
    ? ConvOutDim<In, K, s, p, p, d> extends infer O
      ? O extends ShapeError<"conv: window larger than padded input">
        ? ShapeError<`conv: window larger than padded input on spatial axis ${Acc["length"]} of ${ShowShape<X>} with weight ${ShowShape<W>}`>
        : O extends Dim
          ? SpatialLoop<X, W, XR, KR, SR, PR, DR, [...Acc, O]>
          : O
      : never
    : Acc
  : Acc;

/** Rank-checked wrapper shared by the 1d/2d/3d variants. */
type ConvRankShape<
  X extends Shape,
  W extends Shape,
  Opts extends ConvOpts,
  Rank extends number,
  Err extends string,
> = number extends X["length"] | W["length"]
  ? ConvNdShape<X, W, Opts>
  : [X["length"], W["length"]] extends [Rank, Rank]
    ? ConvNdShape<X, W, Opts>
    : ShapeError<`${Err}, got ${ShowShape<X>} and ${ShowShape<W>}`>;

/** 1-d conv: input `[N, L, Cin]`, weight `[Cout, kL, Cin/groups]` -> `[N, Lo, Cout]`. */
export type Conv1dShape<X extends Shape, W extends Shape, Opts extends ConvOpts = {}> = ConvRankShape<
  X,
  W,
  Opts,
  3,
  "conv1d: expected input [N, L, C] and weight [Cout, kL, C/groups]"
>;

/** 2-d conv: input `[N, H, W, Cin]`, weight `[Cout, kH, kW, Cin/groups]` -> `[N, Ho, Wo, Cout]`. */
export type Conv2dShape<X extends Shape, W extends Shape, Opts extends ConvOpts = {}> = ConvRankShape<
  X,
  W,
  Opts,
  4,
  "conv2d: expected input [N, H, W, C] and weight [Cout, kH, kW, C/groups]"
>;

/** 3-d conv: input `[N, T, H, W, Cin]`, weight `[Cout, kT, kH, kW, Cin/groups]` -> `[N, To, Ho, Wo, Cout]`. */
export type Conv3dShape<X extends Shape, W extends Shape, Opts extends ConvOpts = {}> = ConvRankShape<
  X,
  W,
  Opts,
  5,
  "conv3d: expected input [N, T, H, W, C] and weight [Cout, kT, kH, kW, C/groups]"
>;
