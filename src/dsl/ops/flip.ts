/** @file flip: reverse the order along `axes` (a view with negative strides). Its own VJP. */
import * as core from "../core.js";
import { require } from "../errors.js";
import { sliceView } from "../host/view.js";
import type { OpDef } from "./def.js";

export const flip: OpDef<"flip"> = {
  name: "flip",
  role: "movement",
  arity: 1,
  shape([x], { axes }) {
    axes.forEach((a) => require(Number.isInteger(a) && a >= 0 && a < x!.shape.length, `axis ${a} is out of range for rank ${x!.shape.length}`));
    require(new Set(axes).size === axes.length, `repeated axis in [${axes.join(", ")}]`);
    return { shape: x!.shape, dtype: x!.dtype };
  },
  cpu([x], { axes }) {
    const shape = x!.view.shape;
    const starts = shape.map((n, d) => (axes.includes(d) ? n - 1 : 0));
    const steps = shape.map((_, d) => (axes.includes(d) ? -1 : 1));
    return { ...x!, view: sliceView(x!.view, starts, steps, shape) };
  },
  lower: {
    kind: "movement",
    index: (out, { axes }, [inShape]) => [{ index: out.map((o, d) => (axes.includes(d) ? `(${inShape![d]! - 1}i - ${o})` : o)) }],
  },
  vjp: (ct, { params: { axes } }) => [core.flip(ct, axes)],
};
