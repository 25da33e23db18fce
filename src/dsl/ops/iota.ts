/** @file iota: each element's index along `axis` (for one-hot, masks, positions). */
import { require } from "../errors.js";
import { allocate } from "../host/array.js";
import type { OpDef } from "./def.js";

export const iota: OpDef<"iota"> = {
  name: "iota",
  role: "source",
  arity: 0,
  shape(_inputs, { shape, axis, dtype }) {
    require(axis >= 0 && axis < shape.length, `axis ${axis} is out of range for rank ${shape.length}`);
    require(dtype !== "bool", "dtype bool is not supported (an index is int32 or float32)");
    return { shape, dtype };
  },
  cpu(_inputs, { shape, axis, dtype }, _out, ctx) {
    const n = shape[axis]!;
    const data = allocate(dtype, n, ctx.precision);
    for (let i = 0; i < n; i++) data[i] = i;
    return { data, dtype, view: { shape, strides: shape.map((_, d) => (d === axis ? 1 : 0)), offset: 0 } };
  },
  lower: {
    kind: "source",
    value: (index, { axis, dtype }) => (dtype === "int32" ? index[axis]! : dtype === "float32" ? `f32(${index[axis]})` : `(${index[axis]} != 0i)`),
  },
  vjp: () => [],
};
