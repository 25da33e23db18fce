/**
 * @file input: a named placeholder of a traced program, bound to a value at each run.
 * Its shape and dtype are fixed when the program is traced (named dims resolved then).
 */
import { contiguous } from "../host/array.js";
import type { OpDef } from "./def.js";

export const input: OpDef<"input"> = {
  name: "input",
  role: "source",
  arity: 0,
  shape: (_inputs, { shape, dtype }) => ({ shape, dtype }),
  cpu(_inputs, { name }, out, ctx) {
    const value = ctx.inputs.get(name);
    if (!value) throw new Error(`input "${name}" was not given a value`);
    const { shape } = value.view;
    if (value.dtype !== out.dtype || shape.length !== out.shape.length || shape.some((n, i) => n !== out.shape[i])) {
      throw new Error(
        `input "${name}": expected ${out.dtype} [${out.shape.join(", ")}], got ${value.dtype} [${shape.join(", ")}]`,
      );
    }
    return ctx.precision === "f64" ? contiguous(value, "f64") : value;
  },
  lower: { kind: "source" },
  vjp: () => [],
};
