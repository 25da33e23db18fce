/** @file sin; d/dx = cos x. */
import * as core from "../core.js";
import { unaryCall } from "../lowering/lowering.js";
import { unaryOp } from "./elementwise.js";

export const sin = unaryOp("sin", Math.sin, unaryCall("sin"), (ct, { inputs: [x] }) => [core.mul(ct, core.cos(x!))]);
