/** @file Typed contractions: matmul (batched, broadcasting) and channels-last convolution. */
import * as core from "../core.js";
import type { Tensor } from "../tensor.js";
import type { ConvNdShape, ConvOpts, MatmulShape, Shape } from "../types/index.js";
import type { Checked, Ok } from "./checked.js";

/** [...batch, M, K] · [...batch, K, N] → [...batch, M, N]; batch dims broadcast. */
export function matmul<A extends Shape, B extends Shape>(
  a: Tensor<A, "float32">,
  b: Checked<MatmulShape<A, B>, Tensor<B, "float32">>,
): Tensor<Ok<MatmulShape<A, B>>, "float32"> {
  return core.matmul(a, b as Tensor<B, "float32">) as never;
}

/**
 * N-d convolution, channels-last: x [N, ...S, Cin], w [Cout, ...K, Cin/groups] → [N, ...O, Cout].
 * With literal options the output size is computed by the types; padding here is symmetric
 * (per-dim [lo, hi] pairs are accepted by `core.conv`).
 */
export function conv<X extends Shape, W extends Shape, const O extends ConvOpts = {}>(
  x: Tensor<X, "float32">,
  w: Checked<ConvNdShape<X, W, O>, Tensor<W, "float32">>,
  options?: O,
): Tensor<Ok<ConvNdShape<X, W, O>>, "float32"> {
  return core.conv(x, w as Tensor<W, "float32">, options ?? {}) as never;
}
