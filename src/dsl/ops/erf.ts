/** @file erf, the Gauss error function (for the exact GELU); d/dx = 2/√π · e^(−x²). */
import * as core from "../core.js";
import { unaryCall } from "../lowering/lowering.js";
import { WG_ERF } from "../lowering/wgsl-helpers.js";
import { erf as erfScalar } from "../host/special.js";
import { unaryOp } from "./elementwise.js";

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const erf = unaryOp("erf", erfScalar, unaryCall("wg_erf", [WG_ERF]), (ct, { inputs: [x] }) => [
  core.mul(ct, core.mul(core.exp(core.neg(core.square(x!))), TWO_OVER_SQRT_PI)),
]);
