/** @file sub: a − b (int32 wraps). */
import * as core from "../core.js";
import { binaryOp } from "./elementwise.js";

export const sub = binaryOp({ name: "sub", float: (a, b) => a - b, vjp: (ct) => [ct, core.neg(ct)] });
