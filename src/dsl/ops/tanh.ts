/**
 * @file tanh; d/dx = 1 − tanh², reusing the output. WGSL's tanh overflows to NaN for large |x|
 * on some drivers, so the kernel uses a clamped form.
 */
import * as core from "../core.js";
import { unaryCall } from "../lowering/lowering.js";
import { WG_TANH } from "../lowering/wgsl-helpers.js";
import { unaryOp } from "./elementwise.js";

export const tanh = unaryOp("tanh", Math.tanh, unaryCall("wg_tanh", [WG_TANH]), (ct, { out }) => [core.mul(ct, core.sub(1, core.square(out)))]);
