/** @file constant: a literal array from the host (weights, data). A source: no inputs. */
import { contiguous } from "../host/array.js";
import type { OpDef } from "./def.js";

export const constant: OpDef<"constant"> = {
  name: "constant",
  role: "source",
  arity: 0,
  shape: (_inputs, { value }) => ({ shape: value.view.shape, dtype: value.dtype }),
  // In f64 precision the literal is widened once; otherwise it is shared, not copied.
  cpu: (_inputs, { value }, _out, ctx) => (ctx.precision === "f64" ? contiguous(value, "f64") : value),
  lower: { kind: "source" },
  vjp: () => [],
};
