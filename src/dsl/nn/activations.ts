/**
 * @file Activations and normalized exponentials, as equations over core ops:
 *   softmax(x)    = e^(x − m) / Σ e^(x − m),      m = max x   (the shift keeps e^· ≤ 1)
 *   logSoftmax(x) = (x − m) − log Σ e^(x − m)
 *   gelu(x)       = x · Φ(x) = ½ x (1 + erf(x / √2))            (exact, PyTorch's default)
 *                 ≈ ½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))   (approximate: "tanh")
 *   quickGelu(x)  = x · σ(1.702 x)                              (CLIP's approximation)
 *   silu(x)       = x · σ(x)
 * All keep the input's shape and dtype (float32): `Tensor<S, D>` in, `Tensor<S, D>` out.
 */
import * as core from "../core.js";
import type { Tensor } from "../tensor.js";
import type { DType, Shape } from "../types/shape.js";
import * as api from "../api/index.js";
import { fromCore, requireFloat, type FloatArg } from "./common.js";

const SQRT_HALF = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** softmax along `axis` (default: the last); each slice sums to 1. */
export function softmax<S extends Shape, D extends DType>(x: Tensor<S, D> & FloatArg<D, "softmax">, axis = -1): Tensor<S, D> {
  requireFloat("softmax", x);
  const e = core.exp(core.sub(x, core.max(x, axis, true)));
  return fromCore(core.div(e, core.sum(e, axis, true)));
}

/** log(softmax(x)) along `axis`, without forming the softmax (no log of an underflowed 0). */
export function logSoftmax<S extends Shape, D extends DType>(x: Tensor<S, D> & FloatArg<D, "logSoftmax">, axis = -1): Tensor<S, D> {
  requireFloat("logSoftmax", x);
  const z = core.sub(x, core.max(x, axis, true));
  return fromCore(core.sub(z, core.log(core.sum(core.exp(z), axis, true))));
}

export interface GeluOptions {
  /** "none": the exact erf form (default); "tanh": the tanh approximation (PyTorch's names). */
  readonly approximate?: "none" | "tanh";
}

/** GELU, x·Φ(x) with Φ the standard normal CDF. */
export function gelu<S extends Shape, D extends DType>(x: Tensor<S, D> & FloatArg<D, "gelu">, options: GeluOptions = {}): Tensor<S, D> {
  requireFloat("gelu", x);
  const half = core.mul(x, 0.5);
  if (options.approximate === "tanh") {
    const inner = core.mul(core.add(x, core.mul(core.mul(core.square(x), x), 0.044715)), SQRT_2_OVER_PI);
    return fromCore(core.mul(half, core.add(core.tanh(inner), 1)));
  }
  return fromCore(core.mul(half, core.add(core.erf(core.mul(x, SQRT_HALF)), 1)));
}

/** x · σ(1.702 x), the GELU approximation CLIP was trained with. */
export function quickGelu<S extends Shape, D extends DType>(x: Tensor<S, D> & FloatArg<D, "quickGelu">): Tensor<S, D> {
  requireFloat("quickGelu", x);
  return fromCore(core.mul(x, core.sigmoid(core.mul(x, 1.702))));
}

/** SiLU (swish), x · σ(x). */
export function silu<S extends Shape, D extends DType>(x: Tensor<S, D> & FloatArg<D, "silu">): Tensor<S, D> {
  requireFloat("silu", x);
  return fromCore(core.mul(x, core.sigmoid(x)));
}

/** max(x, 0) (float32 or int32). */
export function relu<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> {
  return api.relu(x);
}

/** σ(x) = 1 / (1 + e^(−x)). */
export function sigmoid<S extends Shape, D extends DType>(x: Tensor<S, D> & FloatArg<D, "sigmoid">): Tensor<S, D> {
  requireFloat("sigmoid", x);
  return api.sigmoid(x);
}

/** tanh(x). */
export function tanh<S extends Shape, D extends DType>(x: Tensor<S, D> & FloatArg<D, "tanh">): Tensor<S, D> {
  requireFloat("tanh", x);
  return api.tanh(x);
}
