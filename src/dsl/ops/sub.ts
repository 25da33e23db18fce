/** @file sub: a − b (int32 wraps). */
import * as core from "../core.js";
import { binaryOp } from "./elementwise.js";
import { infix } from "../lowering/lowering.js";

export const sub = binaryOp({ name: "sub", lower: infix("-"), float: (a, b) => a - b, vjp: (ct) => [ct, core.neg(ct)] });
