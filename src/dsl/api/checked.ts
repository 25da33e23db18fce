/**
 * @file How the typed API turns a shape rule into a compile error. A rule's result is either
 * a shape or `ShapeError<"…">`; `Checked` makes the *argument's* type be that error, so tsc
 * says e.g. "Argument of type 'Tensor<[4]>' is not assignable to parameter of type
 * 'ShapeError<"add: cannot broadcast [2, 3] with [4]">'" right under the offending argument.
 */
import type { Dim, Shape, ShapeError } from "../types/index.js";

export type Checked<Rule, Arg> = Rule extends ShapeError<string> ? Rule : Arg;

/**
 * The shape a rule produced. After an error (already reported at the argument) it is `any`, so
 * the lines that use the result are not a second, third, … error.
 */
export type Ok<Rule> = 0 extends 1 & Rule ? any : Rule extends ShapeError<string> ? any : Rule extends Shape ? Mutable<Rule> : Dim[];

/** `const` type parameters infer readonly tuples; shapes are written as plain tuples. */
export type Mutable<S> = { -readonly [K in keyof S]: S[K] };
