/**
 * @file 3-D convolution layers, channels-last (video: N × T × H × W × C):
 *   conv3d(x)          = x ⊛ W + b,   x [N, T, H, W, Cin], W [Cout, kT, kH, kW, Cin/groups], b [Cout]
 *   depthwiseConv3d(x) = conv3d with groups = C: each channel has its own kernel(s),
 *                        W [C·m, kT, kH, kW, 1] (m = channel multiplier, usually 1)
 * Output size per spatial dim: ⌊(S + lo + hi − dilation·(K − 1) − 1) / stride⌋ + 1.
 * PyTorch stores Conv3d weights as [Cout, Cin/groups, kT, kH, kW]; `convWeightFromTorch` and
 * `convWeightToTorch` move the input-channel axis between second and last (any rank).
 *
 * Types: `ConvParams<Cout, kT, kH, kW, CinG>` (weight [Cout, kT, kH, kW, Cin/groups], bias
 * [Cout]); conv3d checks ranks, channels against groups and the bias, and computes the output
 * sizes from kernel, stride, padding and dilation when literal: `conv3d(Tensor<["N", 8, 32, 32, 3]>,
 * initConv3d(key, 3, 64, [3, 3, 3]), { padding: 1 })` is `Tensor<["N", 8, 32, 32, 64]>`.
 * A mismatch is a compile error such as `conv3d: input channels 6 of [..] do not match weight
 * in-channels 4 x groups 2 of [..]`.
 */
import type { Checked, Ok } from "../api/checked.js";
import * as core from "../core.js";
import { sizeOf } from "../host/view.js";
import type { ConvOptions } from "../core.js";
import type { AnyTensor, Tensor } from "../tensor.js";
import type { FloorDiv, Mul } from "../types/index.js";
import type { Dim, DType, Shape } from "../types/shape.js";
import type { Key } from "../random/threefry.js";
import { fromCore, requireFloat, requireShape, type FloatArg, type ParamTensor } from "./common.js";
import { uniform } from "./init.js";
import type { WithBias } from "./linear.js";
import type { Conv3dLayerShape, DepthwiseConv3dShape, InitGroupsRule } from "./rules.js";

export type { ConvOptions };

/** Conv3d's parameters: weight [Cout, kT, kH, kW, Cin/groups] (channels-last), bias [Cout]. */
export interface ConvParams<Cout extends Dim = Dim, KT extends Dim = Dim, KH extends Dim = Dim, KW extends Dim = Dim, CinG extends Dim = Dim> {
  /** [Cout, kT, kH, kW, Cin/groups] */
  readonly weight: ParamTensor<[Cout, KT, KH, KW, CinG]>;
  /** [Cout] */
  readonly bias?: ParamTensor<[Cout]> | undefined;
}

/** Depthwise conv3d's parameters: weight [C·m, kT, kH, kW, 1], bias [C·m]. */
export type DepthwiseConvParams<Cout extends Dim = Dim, KT extends Dim = Dim, KH extends Dim = Dim, KW extends Dim = Dim> = ConvParams<Cout, KT, KH, KW, 1>;

function checkBias(op: string, x: AnyTensor, bias: AnyTensor | undefined, cout: number): void {
  requireShape(op, !bias || (bias.shape.length === 1 && bias.shape[0] === cout), `bias must be [${cout}]`, x, bias);
}

/**
 * 3-D convolution with bias: x [N, T, H, W, Cin] → [N, T', H', W', Cout]; with literal sizes
 * and options the output sizes are computed by the types (ConvNdShape).
 */
export function conv3d<S extends Shape, P extends ConvParams, const O extends ConvOptions = {}, D extends DType = "float32">(
  x: Tensor<S, D> & FloatArg<D, "conv3d">,
  params: Checked<Conv3dLayerShape<S, P, O>, P>,
  options?: O,
): Tensor<Ok<Conv3dLayerShape<S, P, O>>, D>;
export function conv3d(x: AnyTensor, params: ConvParams, options: ConvOptions = {}): AnyTensor {
  const { weight, bias } = params;
  requireFloat("conv3d", x, weight, bias);
  requireShape("conv3d", x.shape.length === 5 && weight.shape.length === 5, "input must be [N, T, H, W, Cin] and weight [Cout, kT, kH, kW, Cin/groups]", x, weight);
  checkBias("conv3d", x, bias, weight.shape[0]!);
  const y = core.conv(x, weight, options);
  return bias ? core.add(y, bias) : y;
}

/** Depthwise 3-D convolution (groups = C): weight [C·m, kT, kH, kW, 1] → [N, T', H', W', C·m]. */
export function depthwiseConv3d<S extends Shape, P extends ConvParams, const O extends Omit<ConvOptions, "groups"> = {}, D extends DType = "float32">(
  x: Tensor<S, D> & FloatArg<D, "depthwiseConv3d">,
  params: Checked<DepthwiseConv3dShape<S, P, O>, P>,
  options?: O,
): Tensor<Ok<DepthwiseConv3dShape<S, P, O>>, D>;
export function depthwiseConv3d(x: AnyTensor, params: ConvParams, options: Omit<ConvOptions, "groups"> = {}): AnyTensor {
  const { weight } = params;
  const c = x.shape[x.shape.length - 1]!;
  requireShape(
    "depthwiseConv3d",
    weight.shape.length === 5 && weight.shape[4] === 1 && weight.shape[0]! % c === 0,
    `weight must be [${c}·m, kT, kH, kW, 1] for ${c} input channels`,
    x,
    weight,
  );
  return conv3d(x, params, { ...options, groups: c });
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

/** PyTorch's [Cout, Cin/g, ...K] → this package's [Cout, ...K, Cin/g] (a permute; any rank ≥ 3). */
export function convWeightFromTorch<const S extends Shape, D extends DType>(w: Tensor<S, D>): Tensor<FromTorch<S>, D> {
  const r = w.shape.length;
  requireShape("convWeightFromTorch", r >= 3, "a conv weight has rank >= 3", w);
  return fromCore(core.permute(w, [0, ...range(r - 2, 2), 1]));
}

/** This package's [Cout, ...K, Cin/g] → PyTorch's [Cout, Cin/g, ...K]. */
export function convWeightToTorch<const S extends Shape, D extends DType>(w: Tensor<S, D>): Tensor<ToTorch<S>, D> {
  const r = w.shape.length;
  requireShape("convWeightToTorch", r >= 3, "a conv weight has rank >= 3", w);
  return fromCore(core.permute(w, [0, r - 1, ...range(r - 2, 1)]));
}

export type FromTorch<S extends Shape> = S extends readonly [infer O extends Dim, infer I extends Dim, ...infer K extends Dim[]] ? [O, ...K, I] : Dim[];
export type ToTorch<S extends Shape> = S extends readonly [infer O extends Dim, ...infer K extends Dim[], infer I extends Dim] ? [O, I, ...K] : Dim[];

export interface InitConv3dOptions {
  readonly groups?: number;
  /** Include a bias (default true). */
  readonly bias?: boolean;
}

/** The groups of init options (1 when absent). */
type GroupsOf<Opt> = Opt extends { readonly groups: infer G extends number } ? G : 1;

/**
 * Conv3d parameters as PyTorch initializes them: weight and bias U(−1/√fanIn, 1/√fanIn),
 * fanIn = Cin/groups · kT·kH·kW. `initConv3d(key, 3, 64, [1, 16, 16])` is
 * `{ weight: Tensor<[64, 1, 16, 16, 3]>; bias: Tensor<[64]> }`; groups that do not divide both
 * channel counts are a compile error (`initConv3d: groups 4 must divide in-channels 6 and out-channels 8`).
 */
export function initConv3d<
  const Ci extends number,
  const Co extends number,
  const K extends readonly [number, number, number],
  const Opt extends InitConv3dOptions = {},
>(
  key: Key,
  inChannels: Ci,
  outChannels: Co,
  kernel: K,
  options?: Checked<InitGroupsRule<Ci, Co, GroupsOf<Opt>>, Opt>,
): WithBias<Opt, { weight: Tensor<[Co, K[0], K[1], K[2], FloorDiv<Ci, GroupsOf<Opt>>]> }, Tensor<[Co]>>;
export function initConv3d(key: Key, inChannels: number, outChannels: number, kernel: readonly [number, number, number], options: InitConv3dOptions = {}): ConvParams {
  const groups = options.groups ?? 1;
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new RangeError(`initConv3d: groups ${groups} must divide ${inChannels} and ${outChannels}`);
  }
  const shape = [outChannels, ...kernel, inChannels / groups];
  const bound = 1 / Math.sqrt(sizeOf(shape.slice(1)));
  const [kw, kb] = key.split(2) as [Key, Key];
  const weight = uniform(kw, shape, -bound, bound);
  if (options.bias === false) return { weight };
  return { weight, bias: uniform(kb, [outChannels], -bound, bound) };
}

export interface InitDepthwiseConv3dOptions {
  /** Output channels per input channel, m (default 1). */
  readonly multiplier?: number;
  /** Include a bias (default true). */
  readonly bias?: boolean;
}

/** The multiplier of init options (1 when absent). */
type MultiplierOf<Opt> = Opt extends { readonly multiplier: infer M extends number } ? M : 1;

/**
 * Depthwise conv3d parameters (PyTorch's Conv3d(C, C·m, k, groups=C)): weight [C·m, kT, kH, kW, 1]
 * and bias [C·m], both U(−1/√fanIn, 1/√fanIn) with fanIn = kT·kH·kW.
 * `initDepthwiseConv3d(key, 768, [3, 3, 3])` is `{ weight: Tensor<[768, 3, 3, 3, 1]>; bias: Tensor<[768]> }`.
 */
export function initDepthwiseConv3d<const C extends number, const K extends readonly [number, number, number], const Opt extends InitDepthwiseConv3dOptions = {}>(
  key: Key,
  channels: C,
  kernel: K,
  options?: Opt,
): WithBias<Opt, { weight: Tensor<[Mul<C, MultiplierOf<Opt>>, K[0], K[1], K[2], 1]> }, Tensor<[Mul<C, MultiplierOf<Opt>>]>>;
export function initDepthwiseConv3d(key: Key, channels: number, kernel: readonly [number, number, number], options: InitDepthwiseConv3dOptions = {}): ConvParams {
  const m = options.multiplier ?? 1;
  if (!(Number.isInteger(m) && m >= 1)) throw new RangeError(`initDepthwiseConv3d: multiplier ${m} must be a positive integer`);
  return initConv3d(key, channels, channels * m, kernel, { groups: channels, bias: options.bias ?? true });
}
