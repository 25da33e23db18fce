/**
 * @file reduceMax over `axes`, keeping them as size 1. The cotangent goes to the positions that
 * hold the maximum, shared evenly among ties. NaN propagates.
 */
import * as core from "../core.js";
import type { OpDef } from "./def.js";
import { reduceCpu, reduceShape } from "./reduce.js";
import { maxPropagatingNan } from "../lowering/lowering.js";

export const reduceMax: OpDef<"reduceMax"> = {
  name: "reduceMax",
  role: "reduce",
  arity: 1,
  shape: ([x], { axes }) => reduceShape(x!, axes, ["float32", "int32"]),
  cpu: ([x], { axes }, out, ctx) =>
    // the identity of an int32 max is INT_MIN (−∞ would be stored as 0), as on the GPU
    reduceCpu(x!, axes, out, ctx.precision, x!.dtype === "int32" ? -2147483648 : -Infinity, (acc, v) => (v > acc || Number.isNaN(v) ? v : acc)),
  lower: {
    kind: "reduce",
    identity: (dtype) => (dtype === "int32" ? "(-2147483647i - 1i)" : "(-wg_inf())"),
    combine: (acc, v, dtype) => (dtype === "float32" ? maxPropagatingNan(acc, v) : `max(${acc}, ${v})`),
  },
  vjp: (ct, { inputs: [x], out, params: { axes } }) => {
    const hits = core.cast(core.equal(x!, core.expand(out, x!.shape)), "float32");
    const count = core.sum(hits, axes, true);
    return [core.mul(core.expand(core.div(ct, count), x!.shape), hits)];
  },
};
