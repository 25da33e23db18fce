/** @file log: natural logarithm; d/dx = 1/x. */
import * as core from "../core.js";
import { unaryCall } from "../lowering/lowering.js";
import { unaryOp } from "./elementwise.js";

export const log = unaryOp("log", Math.log, unaryCall("log"), (ct, { inputs: [x] }) => [core.div(ct, x!)]);
