/** @file reduceSum over `axes`, keeping them as size 1; the VJP broadcasts the cotangent back. */
import * as core from "../core.js";
import type { OpDef } from "./def.js";
import { reduceCpu, reduceShape } from "./reduce.js";

export const reduceSum: OpDef<"reduceSum"> = {
  name: "reduceSum",
  role: "reduce",
  arity: 1,
  shape: ([x], { axes }) => reduceShape(x!, axes, ["float32", "int32"]),
  cpu: ([x], { axes }, out, ctx) => reduceCpu(x!, axes, out, ctx.precision, 0, (acc, v) => acc + v),
  lower: { kind: "reduce", identity: (dtype) => (dtype === "int32" ? "0i" : "0.0"), combine: (acc, v) => `(${acc} + ${v})` },
  vjp: (ct, { inputs: [x] }) => [core.expand(ct, x!.shape)],
};
