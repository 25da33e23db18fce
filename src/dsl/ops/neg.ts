/** @file neg: −x. */
import * as core from "../core.js";
import { elementwise } from "../lowering/lowering.js";
import { unaryOp } from "./elementwise.js";

export const neg = unaryOp("neg", (x) => -x, elementwise(([a]) => `(-${a})`), (ct) => [core.neg(ct)], ["float32", "int32"]);
