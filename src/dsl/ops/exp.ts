/** @file exp: eˣ; d/dx = eˣ, reusing the output. */
import * as core from "../core.js";
import { unaryCall } from "../lowering/lowering.js";
import { unaryOp } from "./elementwise.js";

export const exp = unaryOp("exp", Math.exp, unaryCall("exp"), (ct, { out }) => [core.mul(ct, out)]);
