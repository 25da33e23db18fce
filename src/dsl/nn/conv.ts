/**
 * @file 3-D convolution layers, channels-last (video: N × T × H × W × C):
 *   conv3d(x)          = x ⊛ W + b,   x [N, T, H, W, Cin], W [Cout, kT, kH, kW, Cin/groups], b [Cout]
 *   depthwiseConv3d(x) = conv3d with groups = C: each channel has its own kernel(s),
 *                        W [C·m, kT, kH, kW, 1] (m = channel multiplier, usually 1)
 * Output size per spatial dim: ⌊(S + lo + hi − dilation·(K − 1) − 1) / stride⌋ + 1.
 * PyTorch stores Conv3d weights as [Cout, Cin/groups, kT, kH, kW]; `convWeightFromTorch` and
 * `convWeightToTorch` move the input-channel axis between second and last (any rank).
 */
import * as core from "../core.js";
import type { ConvOptions } from "../core.js";
import type { AnyTensor, Tensor } from "../tensor.js";
import type { Dim, DType, Shape } from "../types/shape.js";
import type { Key } from "../../runtime/random/threefry.js";
import {
  product,
  requireFloat,
  requireShape,
  typed,
  type FirstDim,
  type Float,
  type FloatArg,
  type RankArg,
  type ShapeOf,
} from "./common.js";
import { uniform } from "./init.js";

export type { ConvOptions };

export interface ConvParams<W extends AnyTensor = AnyTensor, B extends AnyTensor = AnyTensor> {
  /** [Cout, kT, kH, kW, Cin/groups] */
  readonly weight: W;
  /** [Cout] */
  readonly bias?: B | undefined;
}

/** [N, T', H', W', Cout]: batch from x, channels from the weight, spatial sizes not tracked. */
export type Conv3dOut<X extends AnyTensor, W extends AnyTensor> =
  X extends Tensor<infer S, infer D>
    ? S extends readonly [infer N extends Dim, Dim, Dim, Dim, Dim]
      ? Tensor<[N, number, number, number, FirstDim<W>], D>
      : Tensor<Shape, D>
    : AnyTensor;

function checkBias(op: string, x: AnyTensor, bias: AnyTensor | undefined, cout: number): void {
  requireShape(op, !bias || (bias.shape.length === 1 && bias.shape[0] === cout), `bias must be [${cout}]`, x, bias);
}

/** 3-D convolution with bias: x [N, T, H, W, Cin] → [N, T', H', W', Cout]. */
export function conv3d<X extends AnyTensor, W extends AnyTensor>(
  x: X & FloatArg<X["dtype"]> & RankArg<ShapeOf<X>, 5, "conv3d input [N, T, H, W, C]">,
  params: ConvParams<W>,
  options: ConvOptions = {},
): Conv3dOut<X, W> {
  const { weight, bias } = params as ConvParams;
  requireFloat("conv3d", x, weight, bias);
  requireShape("conv3d", x.shape.length === 5 && weight.shape.length === 5, "input must be [N, T, H, W, Cin] and weight [Cout, kT, kH, kW, Cin/groups]", x, weight);
  checkBias("conv3d", x, bias, weight.shape[0]!);
  const y = core.conv(x, weight, options);
  return typed(bias ? core.add(y, bias) : y);
}

/** Depthwise 3-D convolution (groups = C): weight [C·m, kT, kH, kW, 1]. */
export function depthwiseConv3d<X extends AnyTensor, W extends AnyTensor>(
  x: X & FloatArg<X["dtype"]> & RankArg<ShapeOf<X>, 5, "depthwiseConv3d input [N, T, H, W, C]">,
  params: ConvParams<W>,
  options: Omit<ConvOptions, "groups"> = {},
): Conv3dOut<X, W> {
  const { weight } = params as ConvParams;
  const c = x.shape[x.shape.length - 1]!;
  requireShape(
    "depthwiseConv3d",
    weight.shape.length === 5 && weight.shape[4] === 1 && weight.shape[0]! % c === 0,
    `weight must be [${c}·m, kT, kH, kW, 1] for ${c} input channels`,
    x,
    weight,
  );
  return typed(conv3d(x as AnyTensor, params as ConvParams, { ...options, groups: c }));
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

/** PyTorch's [Cout, Cin/g, ...K] → this package's [Cout, ...K, Cin/g] (a permute; any rank ≥ 3). */
export function convWeightFromTorch<const S extends Shape, D extends DType>(w: Tensor<S, D>): Tensor<FromTorch<S>, D> {
  const r = w.shape.length;
  requireShape("convWeightFromTorch", r >= 3, "a conv weight has rank >= 3", w);
  return typed(core.permute(w, [0, ...range(r - 2, 2), 1]));
}

/** This package's [Cout, ...K, Cin/g] → PyTorch's [Cout, Cin/g, ...K]. */
export function convWeightToTorch<const S extends Shape, D extends DType>(w: Tensor<S, D>): Tensor<ToTorch<S>, D> {
  const r = w.shape.length;
  requireShape("convWeightToTorch", r >= 3, "a conv weight has rank >= 3", w);
  return typed(core.permute(w, [0, r - 1, ...range(r - 2, 1)]));
}

export type FromTorch<S extends Shape> = S extends readonly [infer O extends Dim, infer I extends Dim, ...infer K extends Dim[]] ? [O, ...K, I] : Dim[];
export type ToTorch<S extends Shape> = S extends readonly [infer O extends Dim, ...infer K extends Dim[], infer I extends Dim] ? [O, I, ...K] : Dim[];

export interface InitConv3dOptions {
  readonly groups?: number;
  /** Include a bias (default true). */
  readonly bias?: boolean;
}

/**
 * Conv3d parameters as PyTorch initializes them: weight and bias U(−1/√fanIn, 1/√fanIn),
 * fanIn = Cin/groups · kT·kH·kW.
 */
export function initConv3d<const Ci extends number, const Co extends number, const K extends readonly [number, number, number]>(
  key: Key,
  inChannels: Ci,
  outChannels: Co,
  kernel: K,
  options: InitConv3dOptions = {},
): { weight: Float<[Co, K[0], K[1], K[2], number]>; bias?: Float<[Co]> } {
  const groups = options.groups ?? 1;
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new RangeError(`initConv3d: groups ${groups} must divide ${inChannels} and ${outChannels}`);
  }
  const shape = [outChannels, ...kernel, inChannels / groups] as const;
  const bound = 1 / Math.sqrt(product(shape.slice(1)));
  const [kw, kb] = key.split(2) as [Key, Key];
  const weight = typed<Float<[Co, K[0], K[1], K[2], number]>>(uniform(kw, shape, -bound, bound));
  if (options.bias === false) return { weight };
  return { weight, bias: uniform(kb, [outChannels] as [Co], -bound, bound) };
}
