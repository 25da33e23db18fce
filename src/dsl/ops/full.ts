/** @file full: a tensor filled with one value; a view with all-zero strides on the CPU. */
import { allocate } from "../host/array.js";
import type { OpDef } from "./def.js";
import { literal } from "../lowering/lowering.js";

export const full: OpDef<"full"> = {
  name: "full",
  role: "source",
  arity: 0,
  shape: (_inputs, { shape, dtype }) => ({ shape, dtype }),
  cpu(_inputs, { shape, value, dtype }, _out, ctx) {
    const data = allocate(dtype, 1, ctx.precision);
    data[0] = value;
    return { data, dtype, view: { shape, strides: shape.map(() => 0), offset: 0 } };
  },
  lower: { kind: "source", value: (_index, { value, dtype }) => literal(value, dtype) },
  vjp: () => [],
};
