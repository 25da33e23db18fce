/** @file add: a + b (int32 wraps). */
import { binaryOp } from "./elementwise.js";
import { infix } from "../lowering/lowering.js";

export const add = binaryOp({ name: "add", lower: infix("+"), float: (a, b) => a + b, vjp: (ct) => [ct, ct] });
