/**
 * @file Affine map over the last dim, in PyTorch's nn.Linear layout (weight [out, in]), so a
 * checkpoint's `weight`/`bias` map over unchanged:
 *   linear(x) = x · Wᵀ + b,   x [..., in] → [..., out]
 * The leading dims are flattened into one matrix row each, so it is one 2-D `dot`.
 */
import * as core from "../core.js";
import type { AnyTensor, Tensor } from "../tensor.js";
import type { Dim, Shape } from "../types/shape.js";
import type { Key } from "../../runtime/random/threefry.js";
import {
  product,
  requireFloat,
  requireShape,
  typed,
  type AgreeArg,
  type FirstDim,
  type Float,
  type FloatArg,
  type IsTuple,
  type Last,
  type Lead,
  type ShapeOf,
} from "./common.js";
import { uniform } from "./init.js";

export interface LinearParams<W extends AnyTensor = AnyTensor, B extends AnyTensor = AnyTensor> {
  /** [out, in] */
  readonly weight: W;
  /** [out]; absent for a bias-free layer. */
  readonly bias?: B | undefined;
}

/** In-features of a weight type ([out, in]). */
type WeightIn<W> = ShapeOf<W> extends readonly [Dim, infer I extends Dim] ? I : Dim;

/** [...lead, out] for x [...lead, in] and weight [out, in]. */
export type LinearOut<X extends AnyTensor, W extends AnyTensor> =
  X extends Tensor<infer S, infer D> ? (IsTuple<S> extends true ? Tensor<[...Lead<S>, FirstDim<W>], D> : Tensor<Shape, D>) : AnyTensor;

/** x · Wᵀ + b over the last dim: x [..., in], weight [out, in], bias [out] → [..., out]. */
export function linear<X extends AnyTensor, W extends AnyTensor>(
  x: X & FloatArg<X["dtype"]>,
  params: LinearParams<W> & AgreeArg<Last<ShapeOf<X>>, WeightIn<W>, "linear: input features vs weight [out, in]">,
): LinearOut<X, W> {
  const { weight, bias } = params as LinearParams;
  requireFloat("linear", x, weight, bias);
  requireShape("linear", weight.shape.length === 2, "weight must be [out, in]", x, weight);
  const [outF, inF] = weight.shape as [number, number];
  requireShape("linear", x.shape.length >= 1 && x.shape[x.shape.length - 1] === inF, `input's last dim must be in-features ${inF}`, x, weight);
  requireShape("linear", !bias || (bias.shape.length === 1 && bias.shape[0] === outF), `bias must be [${outF}]`, x, weight, bias);
  const lead = x.shape.slice(0, -1);
  const rows = core.reshape(x, [product(lead), inF]);
  const y = core.reshape(core.dot(rows, core.transpose(weight)), [...lead, outF]);
  return typed(bias ? core.add(y, bias) : y);
}

export interface InitLinearOptions {
  /** Include a bias (default true). */
  readonly bias?: boolean;
}

/**
 * Parameters as PyTorch initializes nn.Linear: weight and bias both U(−1/√in, 1/√in)
 * (kaiming_uniform with a = √5 comes to the same bound).
 */
export function initLinear<const I extends number, const O extends number>(
  key: Key,
  inFeatures: I,
  outFeatures: O,
  options: InitLinearOptions = {},
): { weight: Float<[O, I]>; bias?: Float<[O]> } {
  const bound = 1 / Math.sqrt(inFeatures);
  const [kw, kb] = key.split(2) as [Key, Key];
  const weight = uniform(kw, [outFeatures, inFeatures] as [O, I], -bound, bound);
  if (options.bias === false) return { weight };
  return { weight, bias: uniform(kb, [outFeatures] as [O], -bound, bound) };
}

