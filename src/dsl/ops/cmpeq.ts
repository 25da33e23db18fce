/** @file cmpeq: a == b as bool (NaN ≠ NaN); no gradient. */
import { binaryOp } from "./elementwise.js";

export const cmpeq = binaryOp({
  name: "cmpeq",
  float: (a, b) => (a === b ? 1 : 0),
  dtypes: ["float32", "int32", "bool"],
  returnsBool: true,
  vjp: () => [undefined, undefined],
});
