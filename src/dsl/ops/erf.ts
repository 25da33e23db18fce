/** @file erf, the Gauss error function (for the exact GELU); d/dx = 2/√π · e^(−x²). */
import * as core from "../core.js";
import { erf as erfScalar } from "../../runtime/cpu/special.js";
import { unaryOp } from "./elementwise.js";

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const erf = unaryOp("erf", erfScalar, (ct, { inputs: [x] }) => [
  core.mul(ct, core.mul(core.exp(core.neg(core.square(x!))), TWO_OVER_SQRT_PI)),
]);
