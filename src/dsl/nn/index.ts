/**
 * @file wgtensor/nn: neural-network building blocks as composites of core ops (so autodiff,
 * the CPU interpreter and any compiled backend get them for free), with PyTorch's parameter
 * layouts where one exists, channels-last throughout.
 */
export * from "./activations.js";
export * from "./attention.js";
export * from "./batchNorm.js";
export * from "./conv.js";
export * from "./dropout.js";
export * from "./init.js";
export * from "./layerNorm.js";
export * from "./linear.js";
export * from "./loss.js";
export {
  keyTensor,
  type AgreeArg,
  type DimsAgree,
  type FirstDim,
  type Float,
  type FloatArg,
  type IsTuple,
  type KeyLike,
  type Last,
  type Lead,
  type RankArg,
  type ShapeOf,
  type WithLast,
} from "./common.js";
