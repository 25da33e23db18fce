/**
 * @file Layer normalization (Ba et al., 2016) as PyTorch's nn.LayerNorm computes it:
 *   μ = mean(x),  σ² = mean((x − μ)²)   (biased)   over the normalized dims
 *   y = (x − μ) / √(σ² + ε) · γ + β
 * The normalized dims are the trailing dims that γ (or β) spans: the last dim for the usual
 * [C] parameters, more for PyTorch's multi-dim `normalized_shape`. Without γ and β (PyTorch's
 * elementwise_affine=False) it normalizes the last dim.
 *
 * Types: `LayerNormParams<C>` is γ and β `Tensor<[C]>`; the result keeps the input's type, and
 * parameters that do not span its trailing dims are a compile error, e.g.
 * `layerNorm: weight [512] does not match the trailing dims of input [B, 16, 768]`.
 */
import type { Checked } from "../api/checked.js";
import * as core from "../core.js";
import type { AnyTensor, Tensor } from "../tensor.js";
import type { Dim, DType, Shape } from "../types/shape.js";
import { ones, zeros } from "./init.js";
import { requireFloat, requireShape, type FloatArg, type ParamTensor } from "./common.js";
import type { OkAll, LayerNormRule } from "./rules.js";
import type { WithBias } from "./linear.js";

/**
 * nn.LayerNorm's parameters over C features: γ and β [C] (either may be absent). Plain
 * `LayerNormParams` takes any shape (PyTorch's multi-dim `normalized_shape` too).
 */
export interface LayerNormParams<C extends Dim = Dim> {
  /** γ, the shape of the normalized trailing dims ([C]). */
  readonly weight?: ParamTensor<[C]> | undefined;
  /** β, same shape as γ. */
  readonly bias?: ParamTensor<[C]> | undefined;
}

/** Normalize over the trailing dims spanned by the parameters (default: the last), then scale and shift. */
export function layerNorm<S extends Shape, P extends LayerNormParams = {}, D extends DType = "float32">(
  x: Tensor<S, D> & FloatArg<D, "layerNorm">,
  params?: Checked<LayerNormRule<S, P>, P>,
  eps?: number,
): Tensor<OkAll<[LayerNormRule<S, P>], S>, D>;
export function layerNorm(x: AnyTensor, params: LayerNormParams = {}, eps = 1e-5): AnyTensor {
  const { weight, bias } = params;
  requireFloat("layerNorm", x, weight, bias);
  const normalized = (weight ?? bias)?.shape ?? x.shape.slice(-1);
  const k = normalized.length;
  requireShape("layerNorm", k >= 1 && x.shape.length >= k && core.sameShape(x.shape.slice(-k), normalized), "parameters must match the input's trailing dims", x, weight, bias);
  requireShape("layerNorm", !weight || !bias || core.sameShape(weight.shape, bias.shape), "weight and bias shapes differ", x, weight, bias);
  const axes = Array.from({ length: k }, (_, i) => i - k);
  const centred = core.sub(x, core.mean(x, axes, true));
  const variance = core.mean(core.square(centred), axes, true);
  const normed = core.mul(centred, core.rsqrt(core.add(variance, eps)));
  const scaled = weight ? core.mul(normed, weight) : normed;
  return bias ? core.add(scaled, bias) : scaled;
}

/**
 * Parameters as PyTorch initializes nn.LayerNorm(C): γ = 1, β = 0. `initLayerNorm(768)` is
 * `{ weight: Tensor<[768]>; bias: Tensor<[768]> }`; with `{ bias: false }` only the weight.
 */
export function initLayerNorm<const C extends number, const Opt extends { readonly bias?: boolean } = {}>(
  channels: C,
  options?: Opt,
): WithBias<Opt, { weight: Tensor<[C]> }, Tensor<[C]>>;
export function initLayerNorm(channels: number, options: { readonly bias?: boolean } = {}): LayerNormParams {
  const weight = ones([channels]);
  return options.bias === false ? { weight } : { weight, bias: zeros([channels]) };
}
