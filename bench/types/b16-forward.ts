/** What `npm run bench:types` measures: a user file typing a UniFormerV2 B/16 forward. */
import * as wg from "../../src/index.js";

const cfg = wg.uniformerv2.PRESETS["b16-k400"];
const params = wg.uniformerv2.initParams(cfg, wg.Key.fromSeed(0));
declare const video: wg.Tensor<[2, 8, 224, 224, 3]>;
export const logits: wg.Tensor<[2, 400]> = wg.uniformerv2.uniformerv2(params, video, cfg).logits;
