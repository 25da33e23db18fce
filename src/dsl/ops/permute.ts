/** @file permute: reorder axes (a view: strides are permuted). The VJP applies the inverse. */
import * as core from "../core.js";
import { require } from "../errors.js";
import { permuteView } from "../host/view.js";
import type { OpDef } from "./def.js";

export const permute: OpDef<"permute"> = {
  name: "permute",
  role: "movement",
  arity: 1,
  shape([x], { perm }) {
    const rank = x!.shape.length;
    const ok = perm.length === rank && perm.every((p) => Number.isInteger(p) && p >= 0 && p < rank) && new Set(perm).size === rank;
    require(ok, `[${perm.join(", ")}] is not a permutation of ${rank} axes`);
    return { shape: perm.map((p) => x!.shape[p]!), dtype: x!.dtype };
  },
  cpu: ([x], { perm }) => ({ ...x!, view: permuteView(x!.view, perm) }),
  lower: {
    kind: "movement",
    index: (out, { perm }) => {
      const index = new Array<string>(perm.length);
      perm.forEach((p, d) => (index[p] = out[d]!));
      return [{ index }];
    },
  },
  vjp: (ct, { params: { perm } }) => {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [core.permute(ct, inverse)];
  },
};
