/** @file UniFormerV2 (arXiv 2211.09552) in wgtensor: config, parameters, blocks, model, weights. */
export * from "./config.js";
export * from "./params.js";
export * from "./blocks.js";
export * from "./model.js";
export * from "./weights.js";
export * from "./init.js";
export * from "./typed.js";
export * from "./training.js";
export * from "./finetune.js";
export * from "./classify.js";
export * from "./video.js";
export * from "./labels.js";
export { decodeOfficialArgs, closestName } from "./official-args.js";
