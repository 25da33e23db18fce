/** @file where(cond, a, b): a where cond is true, else b. The cotangent is routed the same way. */
import * as core from "../core.js";
import { require } from "../errors.js";
import { allocate, fromFlat, materialize } from "../host/array.js";
import type { OpDef } from "./def.js";
import { checkSameShapes } from "./elementwise.js";
import { elementwise } from "../lowering/lowering.js";

export const where: OpDef<"where"> = {
  name: "where",
  role: "elementwise",
  arity: 3,
  shape(inputs) {
    const shape = checkSameShapes(inputs);
    const [c, a, b] = inputs;
    require(c!.dtype === "bool", `dtype of the condition must be bool, got ${c!.dtype}`);
    require(a!.dtype === b!.dtype, `dtype ${a!.dtype} and ${b!.dtype} of the branches differ`);
    return { shape, dtype: a!.dtype };
  },
  cpu([c, a, b], _params, out, ctx) {
    const cond = materialize(c!);
    const x = materialize(a!, ctx.precision);
    const y = materialize(b!, ctx.precision);
    const dst = allocate(out.dtype, cond.length, ctx.precision);
    for (let i = 0; i < cond.length; i++) dst[i] = cond[i] ? x[i]! : y[i]!;
    return fromFlat(dst, out.dtype, out.shape);
  },
  lower: elementwise(([c, a, b]) => `select(${b}, ${a}, ${c})`),
  vjp: (ct, { inputs: [c] }) => [undefined, core.where(c!, ct, 0), core.where(c!, 0, ct)],
};
