/** @file recip: 1/x; d/dx = −1/x², reusing the output. */
import * as core from "../core.js";
import { unaryOp } from "./elementwise.js";

export const recip = unaryOp("recip", (x) => 1 / x, (ct, { out }) => [core.neg(core.mul(ct, core.square(out)))]);
