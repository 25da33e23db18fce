/**
 * @file Core vocabulary of the type-level shape machinery.
 *
 * A {@link Shape} is a readonly tuple of {@link Dim}s:
 * - a number literal (`768`) is a fixed size,
 * - a string literal (`"B"`) is a named dim, bound to a size at trace time,
 * - the wide `number` is an unknown size that is compatible with anything.
 *
 * Shape rules (broadcast, matmul, reshape, ...) return either a result shape or a
 * {@link ShapeError} carrying a readable message; {@link ShowShape} renders shapes
 * inside those messages.
 */

/** One dimension: fixed size (number literal), named (string literal) or unknown (`number`). */
export type Dim = number | string;

/** A tensor shape: a tuple of dims (a non-tuple array means "rank unknown"). */
export type Shape = readonly Dim[];

/** Element types supported by the DSL. */
export type DType = "float32" | "int32" | "bool";

declare const shapeErrorMark: unique symbol;

/**
 * The result of a shape rule that failed; `Msg` says why. Its one property is *named* by the
 * message, so that both tsc 5.9 ("… parameter of type 'ShapeError<"add: cannot broadcast …">'")
 * and tsc 7 ("Property '"add: cannot broadcast …"' is missing in type …") put the message
 * first, not a field name.
 */
export type ShapeError<Msg extends string> = { readonly [K in Msg]: typeof shapeErrorMark };

/** The message of a {@link ShapeError}. */
export type ShapeErrorMessage<E> = E extends ShapeError<string> ? keyof E & string : never;

/**
 * What a rule gives for operands of unknown rank: `Dim[]`, or `any` when an operand's shape is
 * itself `any`, the shape of an op that already failed. `any` is assignable to every shape, so
 * one mistake is one compile error, not a cascade down the function.
 */
export type UnknownRank<Operands> = 0 extends 1 & Operands ? any : Dim[];

/** `true` if `T` is a {@link ShapeError} (and not `never`), else `false`. */
export type IsShapeError<T> = [T] extends [never]
  ? false
  : [T] extends [ShapeError<string>]
    ? true
    : false;

/** Renders one dim for messages: literals as-is, names unquoted, unknown as `number`. */
export type ShowDim<D> = number extends D
  ? "number"
  : string extends D
    ? "string"
    : D extends number | string
      ? `${D}`
      : "?";

/**
 * Renders a shape as a string, e.g. `ShowShape<[2, 3, "B"]>` is `"[2, 3, B]"`.
 * A non-tuple array (rank unknown) renders as `"[...]"`.
 */
export type ShowShape<S extends Shape> = number extends S["length"]
  ? "[...]"
  : `[${JoinDims<S>}]`;

/** Tail-recursive `", "`-join of rendered dims. */
type JoinDims<S extends Shape> = S extends readonly [
  infer H,
  ...infer R extends Shape,
]
  ? JoinRest<R, ShowDim<H>>
  : "";

type JoinRest<S extends Shape, Acc extends string> = S extends readonly [
  infer H,
  ...infer R extends Shape,
]
  ? JoinRest<R, `${Acc}, ${ShowDim<H>}`>
  : Acc;
