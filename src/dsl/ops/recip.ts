/** @file recip: 1/x; d/dx = −1/x², reusing the output. */
import * as core from "../core.js";
import { elementwise } from "../lowering/lowering.js";
import { unaryOp } from "./elementwise.js";

export const recip = unaryOp("recip", (x) => 1 / x, elementwise(([a]) => `(1.0 / ${a})`), (ct, { out }) => [core.neg(core.mul(ct, core.square(out)))]);
