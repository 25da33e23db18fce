/** @file cos; d/dx = −sin x. */
import * as core from "../core.js";
import { unaryCall } from "../lowering/lowering.js";
import { unaryOp } from "./elementwise.js";

export const cos = unaryOp("cos", Math.cos, unaryCall("cos"), (ct, { inputs: [x] }) => [core.neg(core.mul(ct, core.sin(x!)))]);
