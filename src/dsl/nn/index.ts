/**
 * @file wgtensor/nn: neural-network building blocks as composites of core ops (so autodiff,
 * the CPU interpreter and any compiled backend get them for free), with PyTorch's parameter
 * layouts where one exists, channels-last throughout. Typed like the core ops: parameter
 * records carry their sizes (`LinearParams<O, I>`, `ConvParams<…>`, `MultiheadAttentionParams<C>`,
 * …), inits return exact shapes, and each layer's shape rule (`rules.ts`) turns a mismatch into a
 * compile error naming the layer.
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
  type ParamTensor,
  type RankArg,
  type ShapeOf,
  type WithLast,
} from "./common.js";
