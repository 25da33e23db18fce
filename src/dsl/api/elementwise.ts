/**
 * @file Typed elementwise ops. Binary ops broadcast numpy-style (a mismatch is a type error
 * and a run-time ShapeMismatch); a JS number stands for a scalar of the other side's dtype.
 */
import * as core from "../core.js";
import type { Tensor } from "../tensor.js";
import type { Broadcast, DType, Shape } from "../types/index.js";
import type { Checked, Ok } from "./checked.js";

type Same<S extends Shape, D extends DType> = (x: Tensor<S, D>) => Tensor<S, D>;

/** A broadcasting binary op; `Out` fixes the result dtype (bool for comparisons). */
export type BinaryOp<Op extends string, Out extends DType | "same"> = <
  A extends Shape = [],
  B extends Shape = [],
  D extends DType = "float32",
>(
  a: Tensor<A, D> | number,
  b: Checked<Broadcast<A, B, Op>, Tensor<B, NoInfer<D>>> | number,
) => Tensor<Ok<Broadcast<A, B, Op>>, Out extends DType ? Out : D>;

const binary = <Op extends string, Out extends DType | "same">(f: (a: core.Operand, b: core.Operand) => unknown) =>
  f as unknown as BinaryOp<Op, Out>;

export const add = binary<"add", "same">(core.add);
export const sub = binary<"sub", "same">(core.sub);
export const mul = binary<"mul", "same">(core.mul);
export const div = binary<"div", "same">(core.div);
export const maximum = binary<"maximum", "same">(core.maximum);
export const minimum = binary<"minimum", "same">(core.minimum);
export const pow = binary<"pow", "same">(core.pow);
export const less = binary<"less", "bool">(core.less);
export const greater = binary<"greater", "bool">(core.greater);
export const equal = binary<"equal", "bool">(core.equal);

const unary = (f: (x: never) => unknown) => f as unknown as <S extends Shape, D extends DType = "float32">(x: Tensor<S, D>) => Tensor<S, D>;

export const neg = unary(core.neg);
export const exp = unary(core.exp);
export const log = unary(core.log);
export const sin = unary(core.sin);
export const cos = unary(core.cos);
export const sqrt = unary(core.sqrt);
export const rsqrt = unary(core.rsqrt);
export const recip = unary(core.recip);
export const tanh = unary(core.tanh);
export const erf = unary(core.erf);
export const square = unary(core.square);
export const abs = unary(core.abs);
export const sigmoid = unary(core.sigmoid);
export const relu = unary(core.relu);

/** where(cond, a, b): cond, a and b broadcast together. */
export function where<C extends Shape, A extends Shape = [], B extends Shape = [], D extends DType = "float32">(
  cond: Tensor<C, "bool">,
  a: Checked<Broadcast<C, A, "where">, Tensor<A, D>> | number,
  b: Checked<Broadcast<Ok<Broadcast<C, A>>, B, "where">, Tensor<B, D>> | number,
): Tensor<Ok<Broadcast<Ok<Broadcast<C, A>>, B>>, D> {
  return core.where(cond, a as core.Operand, b as core.Operand) as never;
}

export function cast<S extends Shape, To extends DType>(x: Tensor<S, DType>, dtype: To): Tensor<S, To> {
  return core.cast(x, dtype) as never;
}

export type { Same };
