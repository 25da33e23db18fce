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
 *
 * Types: `BatchNormParams<C>` (γ, β) and `BatchNormState<C>` (running μ, σ²) are `Tensor<[C]>`;
 * one that is not `[C]` for the input's channels is a compile error, e.g.
 * `batchNorm: runningMean [4] must be [3], the channels of input [2, 5, 3]`.
 */
import type { Checked } from "../api/checked.js";
import * as core from "../core.js";
import { sizeOf } from "../host/view.js";
import type { AnyTensor, Tensor } from "../tensor.js";
import type { Dim, DType, Shape } from "../types/shape.js";
import { requireFloat, requireShape, type FloatArg, type ParamTensor } from "./common.js";
import { ones, zeros } from "./init.js";
import type { BatchNormInputRule, BatchNormVectorsRule, OkAll, Width } from "./rules.js";

export interface BatchNormParams<C extends Dim = Dim> {
  /** γ [C]; absent for affine=False. */
  readonly weight?: ParamTensor<[C]> | undefined;
  /** β [C]. */
  readonly bias?: ParamTensor<[C]> | undefined;
}

export interface BatchNormState<C extends Dim = Dim> {
  /** [C] */
  readonly runningMean: ParamTensor<[C]>;
  /** [C] */
  readonly runningVar: ParamTensor<[C]>;
}

export interface BatchNormOptions {
  /** Batch statistics (and a state update) when true; running statistics when false. */
  readonly training: boolean;
  /** Weight of the new batch statistic in the running average (default 0.1). */
  readonly momentum?: number;
  readonly eps?: number;
}

/** The output (x's shape) and the running statistics over the C = last dim of x. */
export interface BatchNormResult<S extends Shape, D extends DType, C extends Dim = Width<S>> {
  readonly y: Tensor<S, D>;
  readonly state: { readonly runningMean: Tensor<[C]>; readonly runningVar: Tensor<[C]> };
}

/** BatchNorm over the last (channel) dim; returns the output and the (updated) running statistics. */
export function batchNorm<S extends Shape, P extends BatchNormParams, St extends BatchNormState, D extends DType = "float32">(
  x: Checked<BatchNormInputRule<S>, Tensor<S, D>> & FloatArg<D, "batchNorm">,
  params: Checked<BatchNormVectorsRule<S, P, "weight", "bias">, P>,
  state: Checked<BatchNormVectorsRule<S, St, "runningMean", "runningVar">, St>,
  options: BatchNormOptions,
): OkAll<[BatchNormInputRule<S>, BatchNormVectorsRule<S, P, "weight", "bias">, BatchNormVectorsRule<S, St, "runningMean", "runningVar">], BatchNormResult<S, D>>;
export function batchNorm(x: AnyTensor, params: BatchNormParams, state: BatchNormState, options: BatchNormOptions): { y: AnyTensor; state: BatchNormState } {
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
    return { y: affine(normed), state };
  }
  const axes = Array.from({ length: x.shape.length - 1 }, (_, i) => i);
  const n = sizeOf(x.shape.slice(0, -1));
  requireShape("batchNorm", n > 1, `training needs more than one value per channel, got ${n}`, x);
  const mu = core.mean(x, axes); // [C]
  const centred = core.sub(x, mu);
  const variance = core.mean(core.square(centred), axes); // [C], biased
  const y = affine(core.mul(centred, core.rsqrt(core.add(variance, eps))));
  const blend = (old: AnyTensor, fresh: AnyTensor) => core.add(core.mul(old, 1 - momentum), core.mul(fresh, momentum));
  return {
    y,
    state: { runningMean: blend(runningMean, mu), runningVar: blend(runningVar, core.mul(variance, n / (n - 1))) },
  };
}

/**
 * BatchNorm(C) as PyTorch initializes it: γ = 1, β = 0, running mean 0 and variance 1.
 * `initBatchNorm(64)` is `{ params: { weight: Tensor<[64]>; bias: Tensor<[64]> }; state: { runningMean: Tensor<[64]>; runningVar: Tensor<[64]> } }`.
 */
export function initBatchNorm<const C extends number>(
  channels: C,
): { params: { weight: Tensor<[C]>; bias: Tensor<[C]> }; state: { runningMean: Tensor<[C]>; runningVar: Tensor<[C]> } } {
  return {
    params: { weight: ones([channels]), bias: zeros([channels]) },
    state: { runningMean: zeros([channels]), runningVar: ones([channels]) },
  };
}
