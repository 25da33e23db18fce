/** @file mul: a · b (int32 wraps, as WGSL's i32 multiply does). */
import * as core from "../core.js";
import { binaryOp } from "./elementwise.js";
import { infix } from "../lowering/lowering.js";

export const mul = binaryOp({
  name: "mul",
  lower: infix("*"),
  float: (a, b) => a * b,
  int: Math.imul,
  vjp: (ct, { inputs: [a, b] }) => [core.mul(ct, b!), core.mul(ct, a!)],
});
