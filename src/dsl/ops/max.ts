/** @file max: elementwise maximum; at ties the cotangent is split evenly (as JAX does). */
import * as core from "../core.js";
import { binaryOp } from "./elementwise.js";
import { elementwise, maxPropagatingNan } from "../lowering/lowering.js";

export const max = binaryOp({
  name: "max",
  lower: elementwise(([a, b], { out }) => (out === "float32" ? maxPropagatingNan(a!, b!) : `max(${a}, ${b})`)),
  float: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  vjp: (ct, { inputs: [a, b] }) => {
    const share = (x: typeof a, y: typeof a) =>
      core.add(core.cast(core.less(y!, x!), "float32"), core.mul(core.cast(core.equal(x!, y!), "float32"), 0.5));
    return [core.mul(ct, share(a, b)), core.mul(ct, share(b, a))];
  },
});
