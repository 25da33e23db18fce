/** @file reshape: same elements, new shape. A view when the input is contiguous, else one copy. */
import * as core from "../core.js";
import { require } from "../errors.js";
import { contiguous } from "../host/array.js";
import { contiguousView, isContiguous, sizeOf } from "../host/view.js";
import type { OpDef } from "./def.js";
import { linearIndex, unravelIndex } from "../lowering/indexing.js";

export const reshape: OpDef<"reshape"> = {
  name: "reshape",
  role: "movement",
  arity: 1,
  shape([x], { shape }) {
    require(shape.every((n) => Number.isInteger(n) && n >= 0), `target [${shape.join(", ")}] has an invalid dim`);
    require(sizeOf(shape) === sizeOf(x!.shape), `cannot reshape ${sizeOf(x!.shape)} elements to [${shape.join(", ")}] (${sizeOf(shape)} elements)`);
    return { shape, dtype: x!.dtype };
  },
  cpu([x], { shape }, _out, ctx) {
    const src = isContiguous(x!.view) ? x! : contiguous(x!, ctx.precision);
    return { ...src, view: contiguousView(shape, src.view.offset) };
  },
  lower: {
    kind: "movement",
    index: (out, _params, [inShape], outShape) => [{ index: unravelIndex(linearIndex(out, outShape), inShape!) }],
  },
  vjp: (ct, { inputs: [x] }) => [core.reshape(ct, x!.shape)],
};
