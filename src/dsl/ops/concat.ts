/**
 * @file concat along one axis. On the CPU this copies (the compiler turns it into a select on
 * the index range); the VJP hands each input its slice of the cotangent.
 */
import * as core from "../core.js";
import { require } from "../errors.js";
import { allocate, fromFlat, materialize } from "../host/array.js";
import { sizeOf } from "../host/view.js";
import type { OpDef } from "./def.js";

export const concat: OpDef<"concat"> = {
  name: "concat",
  role: "movement",
  arity: "variadic",
  shape(inputs, { axis }) {
    require(inputs.length > 0, "needs at least one tensor");
    const first = inputs[0]!;
    require(axis >= 0 && axis < first.shape.length, `axis ${axis} is out of range for rank ${first.shape.length}`);
    for (const t of inputs) {
      require(t.dtype === first.dtype, `dtype ${t.dtype} and ${first.dtype} differ`);
      require(t.shape.length === first.shape.length && t.shape.every((n, d) => d === axis || n === first.shape[d]), `shapes differ off axis ${axis}`);
    }
    const total = inputs.reduce((n, t) => n + t.shape[axis]!, 0);
    return { shape: first.shape.map((n, d) => (d === axis ? total : n)), dtype: first.dtype };
  },
  cpu(inputs, { axis }, out, ctx) {
    const outer = sizeOf(out.shape.slice(0, axis));
    const rowOut = sizeOf(out.shape.slice(axis));
    const dst = allocate(out.dtype, sizeOf(out.shape), ctx.precision);
    let col = 0;
    for (const x of inputs) {
      const src = materialize(x, ctx.precision);
      const row = sizeOf(x.view.shape.slice(axis));
      for (let o = 0; o < outer; o++) dst.set(src.subarray(o * row, (o + 1) * row), o * rowOut + col);
      col += row;
    }
    return fromFlat(dst, out.dtype, out.shape);
  },
  lower: {
    kind: "movement",
    index: (out, { axis }, inShapes) => {
      let start = 0;
      return inShapes.map((shape) => {
        const end = start + shape[axis]!;
        const map = {
          index: out.map((o, d) => (d === axis && start > 0 ? `(${o} - ${start}i)` : o)),
          valid: `(${out[axis]} >= ${start}i && ${out[axis]} < ${end}i)`,
          fill: 0,
        };
        start = end;
        return map;
      });
    },
  },
  vjp: (ct, { inputs, params: { axis } }) => {
    let start = 0;
    return inputs.map((x) => {
      const end = start + x.shape[axis]!;
      const piece = core.sliceAxis(ct, axis, start, end);
      start = end;
      return piece;
    });
  },
};
