import * as wg from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
declare const x23: Tensor<[2, 3], "float32">;
declare const xb: Tensor<["B", 8, 196, 768], "float32">;
export const a = wg.sum(x23);
export const b = wg.reshape(x23, [6]);
export const c = wg.sum(x23, 1);
