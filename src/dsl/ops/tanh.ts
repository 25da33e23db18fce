/** @file tanh; d/dx = 1 − tanh², reusing the output. */
import * as core from "../core.js";
import { unaryOp } from "./elementwise.js";

export const tanh = unaryOp("tanh", Math.tanh, (ct, { out }) => [core.mul(ct, core.sub(1, core.square(out)))]);
