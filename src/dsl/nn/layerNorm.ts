/**
 * @file Layer normalization (Ba et al., 2016) as PyTorch's nn.LayerNorm computes it:
 *   μ = mean(x),  σ² = mean((x − μ)²)   (biased)   over the normalized dims
 *   y = (x − μ) / √(σ² + ε) · γ + β
 * The normalized dims are the trailing dims that γ (or β) spans: the last dim for the usual
 * [C] parameters, more for PyTorch's multi-dim `normalized_shape`. Without γ and β (PyTorch's
 * elementwise_affine=False) it normalizes the last dim.
 */
import * as core from "../core.js";
import type { AnyTensor, Tensor } from "../tensor.js";
import type { DType, Shape } from "../types/shape.js";
import { requireFloat, requireShape, sameDims, typed, type FloatArg } from "./common.js";

export interface LayerNormParams<P extends AnyTensor = AnyTensor> {
  /** γ, the shape of the normalized trailing dims ([C]). */
  readonly weight?: P | undefined;
  /** β, same shape as γ. */
  readonly bias?: P | undefined;
}

/** Normalize over the trailing dims spanned by the parameters (default: the last), then scale and shift. */
export function layerNorm<S extends Shape, D extends DType>(
  x: Tensor<S, D> & FloatArg<D>,
  params: LayerNormParams = {},
  eps = 1e-5,
): Tensor<S, D> {
  const { weight, bias } = params;
  requireFloat("layerNorm", x, weight, bias);
  const normalized = (weight ?? bias)?.shape ?? x.shape.slice(-1);
  const k = normalized.length;
  requireShape("layerNorm", k >= 1 && x.shape.length >= k && sameDims(x.shape.slice(-k), normalized), "parameters must match the input's trailing dims", x, weight, bias);
  requireShape("layerNorm", !weight || !bias || sameDims(weight.shape, bias.shape), "weight and bias shapes differ", x, weight, bias);
  const axes = Array.from({ length: k }, (_, i) => i - k);
  const centred = core.sub(x, core.mean(x, axes, true));
  const variance = core.mean(core.square(centred), axes, true);
  const normed = core.mul(centred, core.rsqrt(core.add(variance, eps)));
  const scaled = weight ? core.mul(normed, weight) : normed;
  return typed(bias ? core.add(scaled, bias) : scaled);
}
