/** @file cmplt: a < b as bool; no gradient. */
import { binaryOp } from "./elementwise.js";

export const cmplt = binaryOp({ name: "cmplt", float: (a, b) => (a < b ? 1 : 0), returnsBool: true, vjp: () => [undefined, undefined] });
