/** @file neg: −x. */
import * as core from "../core.js";
import { unaryOp } from "./elementwise.js";

export const neg = unaryOp("neg", (x) => -x, (ct) => [core.neg(ct)], ["float32", "int32"]);
