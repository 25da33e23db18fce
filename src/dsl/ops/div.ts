/** @file div: a / b (int32 truncates toward zero; x / 0 is x, as in WGSL). */
import * as core from "../core.js";
import { binaryOp } from "./elementwise.js";
import { infix } from "../lowering/lowering.js";

export const div = binaryOp({
  name: "div",
  lower: infix("/"),
  float: (a, b) => a / b,
  int: (a, b) => (b === 0 ? a : Math.trunc(a / b)), // WGSL: e1 / 0 is e1
  vjp: (ct, { inputs: [a, b] }) => [core.div(ct, b!), core.neg(core.div(core.mul(ct, a!), core.square(b!)))],
});
