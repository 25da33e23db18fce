/** @file add: a + b (int32 wraps). */
import { binaryOp } from "./elementwise.js";

export const add = binaryOp({ name: "add", float: (a, b) => a + b, vjp: (ct) => [ct, ct] });
