/**
 * @file Batch normalization (Ioffe & Szegedy, 2015), channels-last: statistics per channel
 * (the last dim) over every other dim (batch and spatial), as PyTorch's BatchNorm{1,2,3}d.
 *   training:  μ = mean(x),  σ² = mean((x − μ)²)           (biased, used to normalize)
 *              running μ ← (1 − m)·running μ + m·μ
 *              running σ² ← (1 − m)·running σ² + m·σ²·n/(n − 1)   (unbiased, n values per channel)
 *   eval:      μ, σ² = the running statistics (state unchanged)
 *   y = (x − μ) / √(σ² + ε) · γ + β
 * Pure: the updated statistics are returned, not stored. In training the gradient flows
 * through the batch statistics, as in PyTorch.
 */
import * as core from "../core.js";
import type { AnyTensor, Tensor } from "../tensor.js";
import type { DType, Shape } from "../types/shape.js";
import { product, requireFloat, requireShape, typed, type FloatArg } from "./common.js";

export interface BatchNormParams<P extends AnyTensor = AnyTensor> {
  /** γ [C]; absent for affine=False. */
  readonly weight?: P | undefined;
  /** β [C]. */
  readonly bias?: P | undefined;
}

export interface BatchNormState<R extends AnyTensor = AnyTensor> {
  /** [C] */
  readonly runningMean: R;
  /** [C] */
  readonly runningVar: R;
}

export interface BatchNormOptions {
  /** Batch statistics (and a state update) when true; running statistics when false. */
  readonly training: boolean;
  /** Weight of the new batch statistic in the running average (default 0.1). */
  readonly momentum?: number;
  readonly eps?: number;
}

export interface BatchNormResult<S extends Shape, D extends DType> {
  readonly y: Tensor<S, D>;
  readonly state: BatchNormState;
}

/** BatchNorm over the last (channel) dim; returns the output and the (updated) running statistics. */
export function batchNorm<S extends Shape, D extends DType>(
  x: Tensor<S, D> & FloatArg<D>,
  params: BatchNormParams,
  state: BatchNormState,
  options: BatchNormOptions,
): BatchNormResult<S, D> {
  const { weight, bias } = params;
  const { runningMean, runningVar } = state;
  const { training, momentum = 0.1, eps = 1e-5 } = options;
  requireFloat("batchNorm", x, weight, bias, runningMean, runningVar);
  requireShape("batchNorm", x.shape.length >= 2, "input must be [N, ..., C]", x);
  const c = x.shape[x.shape.length - 1]!;
  for (const p of [weight, bias, runningMean, runningVar]) {
    requireShape("batchNorm", !p || (p.shape.length === 1 && p.shape[0] === c), `parameters and statistics must be [${c}]`, x, p);
  }
  const affine = (normed: AnyTensor): AnyTensor => {
    const scaled = weight ? core.mul(normed, weight) : normed;
    return bias ? core.add(scaled, bias) : scaled;
  };
  if (!training) {
    const normed = core.mul(core.sub(x, runningMean), core.rsqrt(core.add(runningVar, eps)));
    return { y: typed(affine(normed)), state };
  }
  const axes = Array.from({ length: x.shape.length - 1 }, (_, i) => i);
  const n = product(x.shape.slice(0, -1));
  requireShape("batchNorm", n > 1, `training needs more than one value per channel, got ${n}`, x);
  const mu = core.mean(x, axes); // [C]
  const centred = core.sub(x, mu);
  const variance = core.mean(core.square(centred), axes); // [C], biased
  const y = affine(core.mul(centred, core.rsqrt(core.add(variance, eps))));
  const blend = (old: AnyTensor, fresh: AnyTensor) => core.add(core.mul(old, 1 - momentum), core.mul(fresh, momentum));
  return {
    y: typed(y),
    state: { runningMean: blend(runningMean, mu), runningVar: blend(runningVar, core.mul(variance, n / (n - 1))) },
  };
}
