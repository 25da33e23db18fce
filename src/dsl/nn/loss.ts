/**
 * @file Losses, as PyTorch defines them, classes last:
 *   crossEntropy:  ℓᵢ = −Σₖ tᵢₖ log softmax(zᵢ)ₖ,   tᵢ = (1 − ε)·onehot(yᵢ) + ε/K
 *                  (ε = label smoothing); reduced by the mean over the non-ignored samples
 *   mse:           mean((ŷ − y)²)
 * Logits are [..., K] with int32 labels [...] (PyTorch puts classes at dim 1; move them last).
 * The one-hot is built in the graph: iota over K compared with the labels.
 *
 * Types: the labels must be `Tensor<Lead, "int32">` for logits `Tensor<[...Lead, K]>`, and mse's
 * target the prediction's shape; the result is `Tensor<[]>` (or the per-sample shape for
 * `reduction: "none"`).
 */
import { materialize, type CpuArray } from "../host/array.js";
import * as core from "../core.js";
import { DTypeMismatch } from "../errors.js";
import type { AnyTensor, Tensor } from "../tensor.js";
import type { DType, Shape } from "../types/shape.js";
import { logSoftmax } from "./activations.js";
import type { Checked } from "../api/checked.js";
import { requireFloat, requireShape, type FloatArg, type Lead } from "./common.js";
import type { LabelsRule, MseRule, OkAll } from "./rules.js";

export type Reduction = "mean" | "sum" | "none";

export interface CrossEntropyOptions<R extends Reduction = Reduction> {
  /** ε in [0, 1]: the target puts 1 − ε on the label and spreads ε evenly over all K classes. */
  readonly labelSmoothing?: number;
  /** "mean" (default; over non-ignored samples), "sum", or "none" (per-sample losses [...]). */
  readonly reduction?: R;
  /** Samples with this label contribute nothing and are not counted (PyTorch's ignore_index). */
  readonly ignoreIndex?: number;
}

function reduce(per: AnyTensor, reduction: Reduction, count?: AnyTensor): AnyTensor {
  if (reduction === "none") return per;
  const total = core.sum(per);
  if (reduction === "sum") return total;
  return count ? core.div(total, count) : core.div(total, Math.max(per.size, 1));
}

/** The loss's shape: `[]` when reduced, the per-sample shape `Per` for "none". */
export type Reduced<R extends Reduction, Per extends Shape> = [R] extends ["none"] ? Per : [R] extends ["mean" | "sum"] ? [] : Shape;

/**
 * Softmax cross-entropy of logits [..., K] against int32 class labels [...]: a scalar, or the
 * per-sample losses [...] with `reduction: "none"`. Labels that are not int32, or not the
 * logits' leading dims, are a compile error (`crossEntropy: labels must be int32 class indices, got float32`).
 */
export function crossEntropy<S extends Shape, L extends Shape, DL extends DType, D extends DType = "float32", const R extends Reduction = "mean">(
  logits: Tensor<S, D> & FloatArg<D, "crossEntropy">,
  labels: Checked<LabelsRule<S, L, DL>, Tensor<L, DL>>,
  options?: CrossEntropyOptions<R>,
): Tensor<OkAll<[LabelsRule<S, L, DL>], Reduced<R, Lead<S>>>, D>;
export function crossEntropy(logits: AnyTensor, labels: AnyTensor, options: CrossEntropyOptions = {}): AnyTensor {
  const { labelSmoothing: eps = 0, reduction = "mean", ignoreIndex } = options;
  requireFloat("crossEntropy", logits);
  if (labels.dtype !== "int32") throw new DTypeMismatch("crossEntropy", `labels must be int32 class indices, got ${labels.dtype}`);
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`crossEntropy: labelSmoothing ${eps} must be in [0, 1]`);
  const r = logits.shape.length;
  requireShape("crossEntropy", r >= 1 && core.sameShape(labels.shape, logits.shape.slice(0, -1)), "logits must be [..., K] and labels [...]", logits, labels);
  const k = logits.shape[r - 1]!;
  // Labels known now (host data, not a traced input): one past the classes would otherwise
  // select nothing from the one-hot and give a finite, wrong loss.
  if (labels.node.op === "constant") {
    const values = materialize((labels.node.params as { value: CpuArray }).value);
    const bad = labelOutOfRange(values, k, ignoreIndex);
    if (bad !== undefined) {
      throw new RangeError(`crossEntropy: label ${bad} is ${values[bad]}, not a class index in [0, ${k})${ignoreIndex !== undefined ? ` or the ignoreIndex ${ignoreIndex}` : ""}`);
    }
  }
  const logp = logSoftmax(logits, -1);
  const oneHot = core.cast(core.equal(core.iota(logits.shape, -1), core.reshape(labels, [...labels.shape, 1])), "float32");
  const target = eps === 0 ? oneHot : core.add(core.mul(oneHot, 1 - eps), eps / k);
  const per = core.neg(core.sum(core.mul(target, logp), -1)); // [...]
  if (ignoreIndex === undefined) return reduce(per, reduction);
  const kept = core.sub(1, core.cast(core.equal(labels, ignoreIndex), "float32"));
  return reduce(core.mul(per, kept), reduction, core.sum(kept));
}

/** The first label that is not a class index in [0, classes) (nor `ignoreIndex`), or undefined. */
export function labelOutOfRange(values: ArrayLike<number>, classes: number, ignoreIndex?: number): number | undefined {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== ignoreIndex && !(v >= 0 && v < classes)) return i;
  }
  return undefined;
}

/**
 * Mean squared error (or its sum, or the elementwise squares with "none"). The target must have
 * the prediction's shape (`mse: prediction [2, 3] and target [3, 2] differ`).
 */
export function mse<S extends Shape, T extends Shape, DT extends DType, D extends DType = "float32", const R extends Reduction = "mean">(
  prediction: Tensor<S, D> & FloatArg<D, "mse">,
  target: Checked<MseRule<S, T, DT>, Tensor<T, DT>>,
  options?: { readonly reduction?: R },
): Tensor<OkAll<[MseRule<S, T, DT>], Reduced<R, S>>, D>;
export function mse(prediction: AnyTensor, target: AnyTensor, options: { readonly reduction?: Reduction } = {}): AnyTensor {
  requireFloat("mse", prediction, target);
  requireShape("mse", core.sameShape(prediction.shape, target.shape), "prediction and target shapes differ", prediction, target);
  return reduce(core.square(core.sub(prediction, target)), options.reduction ?? "mean");
}
