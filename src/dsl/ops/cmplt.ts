/** @file cmplt: a < b as bool; no gradient. */
import { binaryOp } from "./elementwise.js";
import { infix } from "../lowering/lowering.js";

export const cmplt = binaryOp({ name: "cmplt", lower: infix("<"), float: (a, b) => (a < b ? 1 : 0), returnsBool: true, vjp: () => [undefined, undefined] });
