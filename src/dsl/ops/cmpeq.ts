/** @file cmpeq: a == b as bool (NaN ≠ NaN); no gradient. */
import { binaryOp } from "./elementwise.js";
import { infix } from "../lowering/lowering.js";

export const cmpeq = binaryOp({
  name: "cmpeq",
  lower: infix("=="),
  float: (a, b) => (a === b ? 1 : 0),
  dtypes: ["float32", "int32", "bool"],
  returnsBool: true,
  vjp: () => [undefined, undefined],
});
