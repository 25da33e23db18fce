/**
 * @file cast between float32, int32 and bool. float→int truncates toward zero (NaN → 0), any
 * non-zero → true. Only float→float carries a gradient, which is the identity.
 */
import { castScalar } from "../dtype.js";
import { allocate, fromFlat, materialize } from "../host/array.js";
import type { OpDef } from "./def.js";
import { elementwise, isNanF32, wgslType } from "../lowering/lowering.js";

export const cast: OpDef<"cast"> = {
  name: "cast",
  role: "elementwise",
  arity: 1,
  shape: ([x], { dtype }) => ({ shape: x!.shape, dtype }),
  cpu([x], { dtype }, out, ctx) {
    const src = materialize(x!, ctx.precision);
    const dst = allocate(dtype, src.length, ctx.precision);
    // castScalar's f32 rounding is skipped in f64 precision so finite differences stay exact.
    for (let i = 0; i < src.length; i++) dst[i] = dtype === "float32" ? src[i]! : castScalar(src[i]!, dtype);
    return fromFlat(dst, out.dtype, out.shape);
  },
  lower: elementwise(([x], { inputs: [from], out }) => {
    if (from === out) return x!;
    if (out === "bool") return from === "float32" ? `((${x} != 0.0) || ${isNanF32(x!)})` : `(${x} != 0i)`;
    if (from === "bool") return out === "float32" ? `select(0.0, 1.0, ${x})` : `select(0i, 1i, ${x})`;
    if (out === "int32") {
      // as castScalar: toward zero, saturated to the i32 range, NaN → 0 (not left to the driver)
      return `select(select(select(i32(${x}), 2147483647i, ${x} >= 2147483648.0), (-2147483647i - 1i), ${x} <= -2147483648.0), 0i, ${isNanF32(x!)})`;
    }
    return `${wgslType(out)}(${x})`;
  }),
  vjp: (ct, { inputs: [x], params }) => [x!.dtype === "float32" && params.dtype === "float32" ? ct : undefined],
};
