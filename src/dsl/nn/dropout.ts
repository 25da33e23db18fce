/**
 * @file Inverted dropout (Srivastava et al., 2014) and stochastic depth (Huang et al., 2016),
 * from the counter-based `random` primitive, so a key fixes the mask on every backend:
 *   dropout(x)  = x ⊙ m / (1 − p),   m ~ Bernoulli(1 − p) per element
 *   dropPath(x) = x ⊙ m / (1 − p),   m ~ Bernoulli(1 − p) per sample (leading dim), shared by
 *                                    all of that sample's elements (drops a whole residual branch)
 * Keeping with probability 1 − p: m = [u < 1 − p], u ~ U[0, 1). The 1/(1 − p) scale keeps
 * E[y] = x, so evaluation (or p = 0) is the identity; p = 1 drops everything.
 */
import * as core from "../core.js";
import type { AnyTensor, Tensor } from "../tensor.js";
import type { DType, Shape } from "../types/shape.js";
import { fromCore, keyTensor, requireFloat, type FloatArg, type KeyLike } from "./common.js";

function checkRate(op: string, rate: number): void {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${op}: rate ${rate} must be in [0, 1]`);
}

/** x ⊙ keep / (1 − rate) for a keep mask drawn at `maskShape` (broadcast against x). */
function masked(x: AnyTensor, rate: number, key: KeyLike, maskShape: readonly number[], op: string): AnyTensor {
  if (rate === 1) return core.zerosLike(x);
  const keep = core.less(core.randomUniform(keyTensor(key, op), maskShape), 1 - rate);
  return core.mul(x, core.where(keep, 1 / (1 - rate), 0));
}

/** Inverted dropout: zero each element with probability `rate`, scale the rest by 1/(1 − rate). */
export function dropout<S extends Shape, D extends DType>(
  x: Tensor<S, D> & FloatArg<D, "dropout">,
  rate: number,
  key: KeyLike,
  training = true,
): Tensor<S, D> {
  checkRate("dropout", rate);
  requireFloat("dropout", x);
  if (!training || rate === 0) return x;
  return fromCore(masked(x, rate, key, x.shape, "dropout"));
}

/** Stochastic depth: zero whole samples (along the leading dim) with probability `rate`. */
export function dropPath<S extends Shape, D extends DType>(
  x: Tensor<S, D> & FloatArg<D, "dropPath">,
  rate: number,
  key: KeyLike,
  training = true,
): Tensor<S, D> {
  checkRate("dropPath", rate);
  requireFloat("dropPath", x);
  if (!training || rate === 0) return x;
  const perSample = x.shape.map((n, i) => (i === 0 ? n : 1));
  return fromCore(masked(x, rate, key, perSample, "dropPath"));
}
