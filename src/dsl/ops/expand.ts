/** @file expand: broadcast size-1 dims (stride 0, no copy). The VJP sums over them. */
import * as core from "../core.js";
import { require } from "../errors.js";
import { expandView } from "../host/view.js";
import type { OpDef } from "./def.js";

export const expand: OpDef<"expand"> = {
  name: "expand",
  role: "movement",
  arity: 1,
  shape([x], { shape }) {
    require(shape.length === x!.shape.length, `rank ${x!.shape.length} cannot expand to [${shape.join(", ")}]`);
    x!.shape.forEach((n, d) => require(n === shape[d] || n === 1, `dim ${d} of size ${n} cannot expand to ${shape[d]}`));
    return { shape, dtype: x!.dtype };
  },
  cpu: ([x], { shape }) => ({ ...x!, view: expandView(x!.view, shape) }),
  lower: {
    kind: "movement",
    index: (out, _params, [inShape], outShape) => [{ index: out.map((o, d) => (inShape![d] === outShape[d] ? o : "0i")) }],
  },
  vjp: (ct, { inputs: [x] }) => {
    const axes = x!.shape.flatMap((n, d) => (n === 1 && ct.shape[d] !== 1 ? [d] : []));
    return [axes.length === 0 ? ct : core.sum(ct, axes, true)];
  },
};
