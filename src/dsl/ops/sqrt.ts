/** @file sqrt; d/dx = 1 / (2√x), reusing the output. */
import * as core from "../core.js";
import { unaryCall } from "../lowering/lowering.js";
import { unaryOp } from "./elementwise.js";

export const sqrt = unaryOp("sqrt", Math.sqrt, unaryCall("sqrt"), (ct, { out }) => [core.div(ct, core.mul(out, 2))]);
