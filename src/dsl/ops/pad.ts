/** @file pad: widen each dim by [lo, hi] with a constant (a masked view). The VJP slices back. */
import * as core from "../core.js";
import { require } from "../errors.js";
import { contiguous } from "../host/array.js";
import { padView } from "../host/view.js";
import type { OpDef } from "./def.js";

export const pad: OpDef<"pad"> = {
  name: "pad",
  role: "movement",
  arity: 1,
  shape([x], { pads }) {
    require(pads.length === x!.shape.length, `pads has ${pads.length} entries for rank ${x!.shape.length}`);
    pads.forEach(([lo, hi], d) => require(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && hi >= 0, `padding [${lo}, ${hi}] on dim ${d} must be non-negative integers`));
    return { shape: x!.shape.map((n, d) => n + pads[d]![0] + pads[d]![1]), dtype: x!.dtype };
  },
  cpu([x], { pads, value }, _out, ctx) {
    const view = padView(x!.view, pads, value);
    if (view) return { ...x!, view };
    const flat = contiguous(x!, ctx.precision);
    return { ...flat, view: padView(flat.view, pads, value)! };
  },
  lower: {
    kind: "movement",
    index: (out, { pads, value }, [inShape]) => {
      const checks = pads.flatMap(([lo], d) => (pads[d]![0] === 0 && pads[d]![1] === 0 ? [] : [`(${out[d]} >= ${lo}i && ${out[d]} < ${lo + inShape![d]!}i)`]));
      return [
        {
          index: out.map((o, d) => (pads[d]![0] === 0 ? o : `(${o} - ${pads[d]![0]}i)`)),
          ...(checks.length > 0 ? { valid: checks.join(" && "), fill: value } : {}),
        },
      ];
    },
  },
  vjp: (ct, { inputs: [x], params: { pads } }) => [
    core.slice(
      ct,
      pads.map(([lo]) => lo),
      pads.map(([lo], d) => lo + x!.shape[d]!),
    ),
  ],
};
