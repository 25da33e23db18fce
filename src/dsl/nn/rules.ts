/**
 * @file Type-level shape rules of the nn layers: what each layer's run-time check checks, done by
 * the types when the sizes are known. A rule gives the layer's result shape (or `true` for a
 * rule that only checks) or `ShapeError<"layer: …">`, turned into a compile error at the
 * offending argument by `Checked` (src/dsl/api/checked.ts), as the core ops do.
 *
 * Dims follow `UnifyDim` (as matmul and conv): a literal matches only itself, a name only the
 * same name, an unknown `number` anything. An unknown rank (`AnyTensor`, `Tensor<number[]>`)
 * skips a check. The rules are shallow (one pass over a shape of rank ≤ 6), never recursive over
 * parameter records, so they cost little to check.
 *
 * Messages, e.g.:
 * - `linear: input features 3 vs weight [4, 5] in-features 5`
 * - `linear: bias [5] vs weight [4, 3] out-features 4`
 * - `conv3d: input channels 6 of [..] do not match weight in-channels 4 x groups 2 of [..]`
 * - `layerNorm: weight [512] does not match the trailing dims of input [B, 16, 768]`
 * - `multiheadAttention: numHeads 5 does not divide the embedding dim 768`
 * - `crossEntropy: labels must be int32 class indices, got float32`
 * - `mse: prediction [2, 3] and target [3, 2] differ`
 */
import type { Tensor } from "../tensor.js";
import type {
  ConvNdShape,
  ConvOpts,
  Dim,
  DimMismatch,
  DType,
  IsFixedDim,
  IsNat,
  Mod,
  Mul,
  Shape,
  ShapeError,
  ShapeErrorMessage,
  ShowDim,
  ShowShape,
  UnifyDim,
  UnknownRank,
} from "../types/index.js";

// ---------------------------------------------------------------- shared

/** `true` when `R` is a failed rule (or `any`, the shape of an op that already failed). */
export type Failed<R> = 0 extends 1 & R ? true : [R] extends [ShapeError<string>] ? true : false;

/** `Out`, or `any` when one of `Rules` failed (already reported at its argument). */
export type OkAll<Rules extends readonly unknown[], Out> = true extends { [K in keyof Rules]: Failed<Rules[K]> }[number] ? any : Out;

/** The shape of a tensor type; `Shape` (rank unknown) for anything else. */
type ShapeOfT<T> = [T] extends [Tensor<infer S, DType>] ? S : Shape;

/** The shape of record field `K` of `P`, or `undefined` when `P` has no such (defined) field. */
export type FieldShape<P, K extends string> = K extends keyof P
  ? [Exclude<P[K], undefined>] extends [never]
    ? undefined
    : ShapeOfT<Exclude<P[K], undefined>>
  : undefined;

/** The dtype of record field `K` of `P` (`DType` when unknown or absent). */
export type FieldDType<P, K extends string> = K extends keyof P
  ? [Exclude<P[K], undefined>] extends [Tensor<Shape, infer D>]
    ? D
    : DType
  : DType;

/** Record field `K` of `P` (`undefined` when absent). */
export type Field<P, K extends string> = K extends keyof P ? Exclude<P[K], undefined> : undefined;

/** `true` when two dims can be the same size (see `UnifyDim`). */
export type DimOk<A extends Dim, B extends Dim> = [UnifyDim<A, B>] extends [DimMismatch] ? false : true;

/** `true` when a shape's rank is unknown. */
type Unranked<S extends Shape> = number extends S["length"] ? true : false;

/** `true` when `A` and `B` can be the same shape (same rank, dims pairwise {@link DimOk}); unknown rank passes. */
export type SameShape<A extends Shape, B extends Shape> = number extends A["length"] | B["length"]
  ? true
  : A["length"] extends B["length"]
    ? SameLoop<A, B>
    : false;

type SameLoop<A extends Shape, B extends Shape> = A extends readonly [infer a extends Dim, ...infer AR extends Shape]
  ? B extends readonly [infer b extends Dim, ...infer BR extends Shape]
    ? DimOk<a, b> extends true
      ? SameLoop<AR, BR>
      : false
    : false
  : true;

/** `true` when the trailing dims of `S` can be `T`. */
type EndsWith<S extends Shape, T extends Shape> = number extends S["length"] | T["length"]
  ? true
  : T extends readonly [...infer TR extends Shape, infer t extends Dim]
    ? S extends readonly [...infer SR extends Shape, infer s extends Dim]
      ? DimOk<s, t> extends true
        ? EndsWith<SR, TR>
        : false
      : false
    : true;

/** `true` when an optional vector parameter (`undefined`: absent) is `[N]` or of unknown shape. */
type VectorOk<B, N extends Dim> = B extends Shape ? (Unranked<B> extends true ? true : B extends readonly [infer b extends Dim] ? DimOk<b, N> : false) : true;

/** A dtype known not to be float32 (a wide `DType` is not known). */
type NotFloat<D> = DType extends D ? false : [D] extends ["float32"] ? false : true;

/** All dims but the last of a known-rank shape. */
type LeadOf<S extends Shape> = S extends readonly [...infer L extends Shape, Dim] ? L : [];

/** A shape for messages (`ShowShape` of a non-intersected shape, so literal dims print). */
type ShowAny<S> = S extends Shape ? ShowShape<S> : "none";

/** `3·C` for messages: the product for a literal, else `3*C`. */
type Show3<C extends Dim> = IsFixedDim<C> extends true ? `${Mul<3, C & number>}` : `3*${ShowDim<C>}`;

// ---------------------------------------------------------------- linear, mlp

/**
 * `linear` (or a linear inside `Op`): x `[...lead, I]`, weight `[O, I]`, bias `[O]` →
 * `[...lead, O]`. A weight of unknown rank gives `[...lead, Dim]`.
 */
export type LinearShape<S extends Shape, P, Op extends string = "linear"> = FieldShape<P, "weight"> extends infer W extends Shape
  ? NotFloat<FieldDType<P, "weight">> extends true
    ? ShapeError<`${Op}: weight must be float32, got ${FieldDType<P, "weight">}`>
    : Unranked<W> extends true
      ? Unranked<S> extends true
        ? UnknownRank<S>
        : [...LeadOf<S>, Dim]
      : W extends readonly [infer O extends Dim, infer I extends Dim]
        ? Unranked<S> extends true
          ? LinearBias<P, W, O, UnknownRank<S>, Op>
          : S extends readonly [...infer L extends Shape, infer F extends Dim]
            ? DimOk<F, I> extends false
              ? ShapeError<`${Op}: input features ${ShowDim<F>} vs weight ${ShowShape<W>} in-features ${ShowDim<I>}`>
              : LinearBias<P, W, O, [...L, O], Op>
            : ShapeError<`${Op}: input must be [..., in], got ${ShowShape<S>}`>
        : ShapeError<`${Op}: weight must be [out, in], got ${ShowShape<W>}`>
  : UnknownRank<S>;

type LinearBias<P, W extends Shape, O extends Dim, Out, Op extends string> = VectorOk<FieldShape<P, "bias">, O> extends true
  ? Out
  : ShapeError<`${Op}: bias ${ShowAny<FieldShape<P, "bias">>} vs weight ${ShowShape<W>} out-features ${ShowDim<O>}`>;

/** `mlp`: fc1 then fc2, each checked as a linear (`mlp fc1: …`, `mlp fc2: …`). */
export type MlpShape<S extends Shape, P> = LinearShape<S, Field<P, "fc1">, "mlp fc1"> extends infer H
  ? Failed<H> extends true
    ? H
    : H extends Shape
      ? LinearShape<H, Field<P, "fc2">, "mlp fc2">
      : H
  : never;

// ---------------------------------------------------------------- conv3d

/** Core `ConvOptions` as the type rule's `ConvOpts`: [lo, hi] padding pairs make the output sizes unknown. */
type AsConvOpts<O> = O extends ConvOpts ? O : Omit<O, "padding"> & { readonly padding: number };

/** A conv rule's message, renamed from `conv:` / `conv3d:` to the layer. */
type Renamed<R, Op extends string> = Failed<R> extends true
  ? 0 extends 1 & R
    ? R
    : ShapeErrorMessage<R> extends `conv${"" | "3d"}: ${infer M}`
      ? ShapeError<`${Op}: ${M}`>
      : R
  : R;

/** Rank-5 checks shared by conv3d and depthwiseConv3d; `true` when they pass. */
type Conv3dRanks<X extends Shape, W extends Shape, Op extends string> = Unranked<X> extends false
  ? X["length"] extends 5
    ? Conv3dWeightRank<W, Op>
    : ShapeError<`${Op}: input must be [N, T, H, W, C], got ${ShowShape<X>}`>
  : Conv3dWeightRank<W, Op>;

type Conv3dWeightRank<W extends Shape, Op extends string> = Unranked<W> extends false
  ? W["length"] extends 5
    ? true
    : ShapeError<`${Op}: weight must be [Cout, kT, kH, kW, Cin/groups], got ${ShowShape<W>}`>
  : true;

/** Output when the weight's rank is unknown: batch kept, the rest unknown. */
type Conv3dUnknownW<X extends Shape> = Unranked<X> extends true ? UnknownRank<X> : X extends readonly [infer N extends Dim, ...Dim[]] ? [N, number, number, number, Dim] : Dim[];

/**
 * `conv3d`: x `[N, T, H, W, Cin]`, weight `[Cout, kT, kH, kW, Cin/groups]`, bias `[Cout]` →
 * `[N, T', H', W', Cout]`, the spatial sizes computed by `ConvNdShape` when literal.
 */
export type Conv3dLayerShape<X extends Shape, P, O, Op extends string = "conv3d"> = FieldShape<P, "weight"> extends infer W extends Shape
  ? Conv3dRanks<X, W, Op> extends infer R
    ? Failed<R> extends true
      ? R
      : Unranked<W> extends true
        ? Conv3dUnknownW<X>
        : W extends readonly [infer Cout extends Dim, ...Dim[]]
          ? VectorOk<FieldShape<P, "bias">, Cout> extends true
            ? Renamed<ConvNdShape<X, W, AsConvOpts<O>>, Op>
            : ShapeError<`${Op}: bias ${ShowAny<FieldShape<P, "bias">>} must be [${ShowDim<Cout>}], the out-channels of weight ${ShowShape<W>}`>
          : never
    : never
  : UnknownRank<X>;

/**
 * `depthwiseConv3d` (groups = C): x `[N, T, H, W, C]`, weight `[C·m, kT, kH, kW, 1]` →
 * `[N, T', H', W', C·m]`.
 */
export type DepthwiseConv3dShape<X extends Shape, P, O> = FieldShape<P, "weight"> extends infer W extends Shape
  ? Conv3dRanks<X, W, "depthwiseConv3d"> extends infer R
    ? Failed<R> extends true
      ? R
      : Unranked<W> extends true
        ? Conv3dUnknownW<X>
        : [X, W] extends [
              readonly [Dim, Dim, Dim, Dim, infer C extends Dim],
              readonly [infer CM extends Dim, infer KT extends Dim, infer KH extends Dim, infer KW extends Dim, infer One extends Dim],
            ]
          ? DepthwiseOk<C, CM, One> extends false
            ? ShapeError<`depthwiseConv3d: weight ${ShowShape<W>} must be [${ShowDim<C>}·m, kT, kH, kW, 1] for ${ShowDim<C>} input channels`>
            : Conv3dLayerShape<X, { weight: Tensor<[CM, KT, KH, KW, C]>; bias: Field<P, "bias"> }, Omit<O, "groups">, "depthwiseConv3d">
          : Conv3dUnknownW<X>
    : never
  : UnknownRank<X>;

/** The last weight dim is 1, and `C` divides `C·m` when both are literal. */
type DepthwiseOk<C extends Dim, CM extends Dim, One extends Dim> = DimOk<One, 1> extends false
  ? false
  : IsFixedDim<C> extends true
    ? IsFixedDim<CM> extends true
      ? Mod<CM & number, C & number> extends 0
        ? true
        : false
      : true
    : true;

/** `initConv3d`: `true`, or an error when literal groups do not divide both channel counts. */
export type InitGroupsRule<Ci extends number, Co extends number, G extends number> = IsNat<G> extends true
  ? G extends 0
    ? ShapeError<"initConv3d: groups must be >= 1, got 0">
    : [Divides<G, Ci>, Divides<G, Co>] extends [true, true]
      ? true
      : ShapeError<`initConv3d: groups ${G} must divide in-channels ${ShowDim<Ci>} and out-channels ${ShowDim<Co>}`>
  : true;

/** `G` divides `N` (unknown when `N` is not a literal: `true`). */
type Divides<G extends number, N extends number> = IsNat<N> extends true ? (Mod<N, G> extends 0 ? true : false) : true;

// ---------------------------------------------------------------- normalization

/** `layerNorm`: weight/bias span the trailing dims of x and agree; `true` when they do. */
export type LayerNormRule<S extends Shape, P> = FieldShape<P, "weight"> extends infer W
  ? FieldShape<P, "bias"> extends infer B
    ? W extends Shape
      ? EndsWith<S, W> extends false
        ? ShapeError<TrailingMessage<S, W, "weight">>
        : B extends Shape
          ? SameShape<W, B> extends true
            ? true
            : ShapeError<`layerNorm: weight ${ShowShape<W>} and bias ${ShowShape<B>} differ`>
          : true
      : B extends Shape
        ? EndsWith<S, B> extends false
          ? ShapeError<TrailingMessage<S, B, "bias">>
          : true
        : true
    : never
  : never;

type TrailingMessage<S extends Shape, N extends Shape, Name extends string> = `layerNorm: ${Name} ${ShowShape<N>} does not match the trailing dims of input ${ShowShape<S>}`;

/** `batchNorm`'s input: `[N, ..., C]` (rank ≥ 2). */
export type BatchNormInputRule<S extends Shape> = Unranked<S> extends true
  ? true
  : S extends readonly [Dim, Dim, ...Dim[]]
    ? true
    : ShapeError<`batchNorm: input must be [N, ..., C], got ${ShowShape<S>}`>;

/** `batchNorm`: each of the record's fields `Ks` (when present) is `[C]`, C the last dim of x. */
export type BatchNormVectorsRule<S extends Shape, P, K1 extends string, K2 extends string> = Unranked<S> extends true
  ? true
  : S extends readonly [...Dim[], infer C extends Dim]
    ? VectorOk<FieldShape<P, K1>, C> extends false
      ? ShapeError<`batchNorm: ${K1} ${ShowAny<FieldShape<P, K1>>} must be [${ShowDim<C>}], the channels of input ${ShowShape<S>}`>
      : VectorOk<FieldShape<P, K2>, C> extends false
        ? ShapeError<`batchNorm: ${K2} ${ShowAny<FieldShape<P, K2>>} must be [${ShowDim<C>}], the channels of input ${ShowShape<S>}`>
        : true
    : true;

// ---------------------------------------------------------------- attention

/** The embedding dim C of a query `[..., L, C]` (`Dim` when unknown). */
export type Width<S extends Shape> = S extends readonly [...Dim[], infer C extends Dim] ? C : Dim;

/** Query `[..., Lq, C]`: rank ≥ 2. */
export type QueryRule<S extends Shape, Op extends string> = Unranked<S> extends true
  ? true
  : S extends readonly [...Dim[], Dim, Dim]
    ? true
    : ShapeError<`${Op}: query must be [..., Lq, C], got ${ShowShape<S>}`>;

/** `numHeads` divides C when both are literal. */
export type HeadsRule<S extends Shape, H extends number, Op extends string> = Width<S> extends infer C extends Dim
  ? IsNat<H> extends true
    ? IsFixedDim<C> extends true
      ? Mod<C & number, H> extends 0
        ? H extends 0
          ? ShapeError<`${Op}: numHeads must be >= 1, got 0`>
          : true
        : ShapeError<`${Op}: numHeads ${H} does not divide the embedding dim ${ShowDim<C>}`>
      : true
    : true
  : true;

/** Key `[..., Lk, C]`: the query's rank, batch dims and C. */
export type KeyRule<S extends Shape, K extends Shape, Op extends string> = number extends S["length"] | K["length"]
  ? true
  : K extends readonly [...infer KB extends Shape, Dim, infer KC extends Dim]
    ? S extends readonly [...infer SB extends Shape, Dim, infer SC extends Dim]
      ? SameShape<KB, SB> extends true
        ? DimOk<KC, SC> extends true
          ? true
          : ShapeError<KeyMessage<S, K, Op>>
        : ShapeError<KeyMessage<S, K, Op>>
      : true
    : ShapeError<KeyMessage<S, K, Op>>;

type KeyMessage<S extends Shape, K extends Shape, Op extends string> = `${Op}: key ${ShowShape<K>} must be [${LeadOf<LeadOf<S>> extends infer B extends Shape ? (B extends [] ? "" : `${ShowInner<B>}, `) : ""}Lk, ${ShowDim<Width<S>>}] for query ${ShowShape<S>}`;

/** `[a, b]` without the brackets. */
type ShowInner<S extends Shape> = ShowShape<S> extends `[${infer I}]` ? I : "";

/** Value: the key's shape. */
export type ValueRule<K extends Shape, V extends Shape, Op extends string> = SameShape<K, V> extends true
  ? true
  : ShapeError<`${Op}: value ${ShowShape<V>} and key ${ShowShape<K>} differ`>;

/** Projections: inProjWeight `[3C, C]`, inProjBias `[3C]`, outProj weight `[C, C]` and bias `[C]`. */
export type AttentionParamsRule<S extends Shape, P, Op extends string> = Width<S> extends infer C extends Dim
  ? ProjOk<FieldShape<P, "inProjWeight">, C> extends false
    ? ShapeError<`${Op}: inProjWeight ${ShowAny<FieldShape<P, "inProjWeight">>} must be [${Show3<C>}, ${ShowDim<C>}] for embedding dim ${ShowDim<C>}`>
    : VectorOk<FieldShape<P, "inProjBias">, IsFixedDim<C> extends true ? Mul<3, C & number> : number> extends false
      ? ShapeError<`${Op}: inProjBias ${ShowAny<FieldShape<P, "inProjBias">>} must be [${Show3<C>}] for embedding dim ${ShowDim<C>}`>
      : FieldShape<Field<P, "outProj">, "weight"> extends infer OW
        ? (OW extends Shape ? SameShape<OW, [C, C]> : true) extends false
          ? ShapeError<`${Op}: outProj.weight ${ShowAny<OW>} must be [${ShowDim<C>}, ${ShowDim<C>}] for embedding dim ${ShowDim<C>}`>
          : VectorOk<FieldShape<Field<P, "outProj">, "bias">, C> extends false
            ? ShapeError<`${Op}: outProj.bias ${ShowAny<FieldShape<Field<P, "outProj">, "bias">>} must be [${ShowDim<C>}] for embedding dim ${ShowDim<C>}`>
            : true
        : never
  : never;

/** `[3C, C]` (3C checked when C is literal). */
type ProjOk<W, C extends Dim> = W extends Shape
  ? Unranked<W> extends true
    ? true
    : W extends readonly [infer R extends Dim, infer Cc extends Dim]
      ? DimOk<Cc, C> extends false
        ? false
        : IsFixedDim<C> extends true
          ? DimOk<R, Mul<3, C & number>>
          : true
      : false
  : true;

// ---------------------------------------------------------------- losses

/** `crossEntropy`'s labels: int32, shaped as the logits' leading dims. */
export type LabelsRule<S extends Shape, L extends Shape, DL extends DType> = DType extends DL
  ? LabelsShapeRule<S, L>
  : [DL] extends ["int32"]
    ? LabelsShapeRule<S, L>
    : ShapeError<`crossEntropy: labels must be int32 class indices, got ${DL}`>;

type LabelsShapeRule<S extends Shape, L extends Shape> = Unranked<S> extends true
  ? true
  : S extends readonly [...infer Lead extends Shape, Dim]
    ? SameShape<L, Lead> extends true
      ? true
      : ShapeError<`crossEntropy: labels ${ShowShape<L>} must be the leading dims ${ShowShape<Lead>} of logits ${ShowShape<S>}`>
    : ShapeError<`crossEntropy: logits must be [..., K], got ${ShowShape<S>}`>;

/** `mse`: the target is float32 and has the prediction's shape. */
export type MseRule<S extends Shape, T extends Shape, DT extends DType> = NotFloat<DT> extends true
  ? ShapeError<`mse: target must be float32, got ${DT}`>
  : SameShape<S, T> extends true
    ? true
    : ShapeError<`mse: prediction ${ShowShape<S>} and target ${ShowShape<T>} differ`>;
