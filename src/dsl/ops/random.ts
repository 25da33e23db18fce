/**
 * @file random: uniform float32 in [0, 1) from Threefry-2x32 (counter-based), keyed by an
 * int32 [2] tensor. Element i depends only on (key, i), so a GPU thread can compute it alone
 * and CPU and GPU agree bit for bit. The bit layout follows JAX's `random_bits`.
 */
import { require } from "../errors.js";
import { allocate, fromFlat, materialize } from "../host/array.js";
import { uniformFromBits, randomBitsAt } from "../random/threefry.js";
import { sizeOf } from "../host/view.js";
import type { OpDef } from "./def.js";
import { WG_THREEFRY } from "../lowering/wgsl-helpers.js";
import { linearIndex } from "../lowering/indexing.js";

export const random: OpDef<"random"> = {
  name: "random",
  role: "source",
  arity: 1,
  shape([key], { shape }) {
    require(key!.dtype === "int32" && key!.shape.length === 1 && key!.shape[0] === 2, "the key must be int32 [2]");
    return { shape, dtype: "float32" };
  },
  cpu([key], { shape }, out, ctx) {
    const k = materialize(key!);
    const n = sizeOf(shape);
    const data = allocate("float32", n, ctx.precision);
    for (let i = 0; i < n; i++) data[i] = uniformFromBits(randomBitsAt(k[0]! >>> 0, k[1]! >>> 0, i, n));
    return fromFlat(data, out.dtype, shape);
  },
  lower: {
    kind: "source",
    helpers: [WG_THREEFRY],
    value: (index, { shape }, _out, key) =>
      `wg_uniform(bitcast<u32>(${key(0)}), bitcast<u32>(${key(1)}), u32(${linearIndex(index, shape)}), ${sizeOf(shape)}u)`,
  },
  vjp: () => [undefined],
};
