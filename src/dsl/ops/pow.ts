/**
 * @file pow: aᵇ for float32. d/da = b·aᵇ⁻¹; d/db = aᵇ·ln a, taken as 0 where a ≤ 0 (where
 * ln a is undefined), so a constant exponent on a negative base does not poison gradients.
 */
import * as core from "../core.js";
import { binaryOp } from "./elementwise.js";
import { elementwise } from "../lowering/lowering.js";
import { WG_POW, WG_SPECIAL_FLOATS } from "../lowering/wgsl-helpers.js";

export const pow = binaryOp({
  name: "pow",
  lower: elementwise(([a, b]) => `wg_pow(${a}, ${b})`, [WG_POW, WG_SPECIAL_FLOATS]),
  float: Math.pow,
  dtypes: ["float32"],
  vjp: (ct, { inputs: [a, b], out }) => [
    // b·aᵇ⁻¹, and 0 where b = 0 (x⁰ is constant: 0·0⁻¹ would be NaN at a = 0; JAX gives 0 too)
    core.mul(ct, core.where(core.equal(b!, 0), 0, core.mul(b!, core.pow(a!, core.sub(b!, 1))))),
    core.mul(ct, core.where(core.less(0, a!), core.mul(out, core.log(a!)), 0)),
  ],
});
