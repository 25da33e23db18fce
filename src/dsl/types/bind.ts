/**
 * @file Named dims as parameters of compiled functions, at the type level.
 *
 * A function typed over names, `(x: Tensor<["B", 3]>, w: Tensor<[3, 4]>) => Tensor<["B", 4]>`,
 * is called through `jit`, `gpuJit` or `grad` with concrete tensors. Matching each declared
 * tensor against the one passed binds every name to the dim it meets:
 *
 *   declared ["B", 3]  ×  passed [5, 3]   →   B = 5
 *
 * - every occurrence of a name must agree: B = 5 in one argument and 6 in another is a
 *   {@link ShapeError} at the second (a wide `number` agrees with anything; the run time checks it);
 * - a declared literal must meet the same literal (or `number`, or a name);
 * - the result type has the names substituted (`Tensor<["B", 4]>` → `Tensor<[5, 4]>`).
 *
 * When the arguments are already assignable to the declared types (no names, or the caller's
 * own names), nothing is matched: the common case costs one assignability check.
 */
import type { Add, Compare } from "./arith.js";
import type { IsNamedDim } from "./dim.js";
import type { Dim, Shape, ShapeError, ShowDim, ShowShape } from "./shape.js";
import type { Tensor } from "../tensor.js";

/** A name bound to a dim, found at argument `Arg` (0-based) at `Where`. */
interface Binding<N extends string, D extends Dim, Arg extends string, Where extends string> {
  readonly name: N;
  readonly dim: D;
  readonly arg: Arg;
  readonly where: Where;
}

/** A declared literal or rank the passed tensor does not have. */
interface Mismatch<Arg extends string, Msg extends string> {
  readonly arg: Arg;
  readonly msg: Msg;
}

type Found = Binding<string, Dim, string, string> | Mismatch<string, string>;

// ---------------------------------------------------------------- matching

/** What matching a declared shape against a passed one finds (a union). */
type MatchShape<Decl extends Shape, Act extends Shape, Arg extends string, Where extends string> = number extends Decl["length"]
  ? never
  : number extends Act["length"]
    ? never
    : Decl["length"] extends Act["length"]
      ? MatchDims<Decl, Act, Arg, Where, []>
      : Mismatch<Arg, `${Where} is ${ShowShape<Act>}, the function takes ${ShowShape<Decl>}`>;

type MatchDims<Decl extends Shape, Act extends Shape, Arg extends string, Where extends string, Seen extends unknown[]> = Decl extends readonly [
  infer d extends Dim,
  ...infer DR extends Shape,
]
  ? Act extends readonly [infer a extends Dim, ...infer AR extends Shape]
    ?
        | (IsNamedDim<d> extends true
            ? Binding<d & string, a, Arg, `${Where} dim ${Seen["length"]}`>
            : number extends d
              ? never
              : d extends number
                ? a extends number
                  ? number extends a
                    ? never
                    : [a] extends [d]
                      ? never
                      : Mismatch<Arg, `${Where} dim ${Seen["length"]} is ${a}, the function takes ${d}`>
                  : never
                : never)
        | MatchDims<DR, AR, Arg, Where, [...Seen, d]>
    : never
  : never;

/** Walk a declared pytree and the passed one together. */
type Match<Decl, Act, Arg extends string, Where extends string> =
  Decl extends Tensor<infer DS, infer DD>
    ? Act extends Tensor<infer AS, infer AD>
      ? [AD] extends [DD]
        ? MatchShape<DS, AS, Arg, Where>
        : Mismatch<Arg, `${Where} is ${AD}, the function takes ${DD}`>
      : never
    : Decl extends (...args: never) => unknown
      ? never
      : Decl extends readonly unknown[]
        ? Act extends readonly unknown[]
          ? number extends Decl["length"]
            ? Match<Decl[number], Act[number], Arg, `${Where}[i]`>
            : { [K in keyof Decl & `${number}`]: Match<Decl[K], Act[K & keyof Act], Arg, `${Where}[${K}]`> }[keyof Decl & `${number}`]
          : never
        : Decl extends object
          ? { [K in keyof Decl & keyof Act & string]: Match<Decl[K], Act[K], Arg, `${Where}.${K}`> }[keyof Decl & keyof Act & string]
          : never;

/** Everything matching the argument lists finds. */
type MatchArgs<Decl extends readonly unknown[], Act extends readonly unknown[]> = {
  [K in keyof Decl & `${number}`]: Match<Decl[K], Act[K & keyof Act], K, `argument ${Add<ToIndex<K>, 1>}`>;
}[keyof Decl & `${number}`];

type ToIndex<K extends string> = K extends `${infer N extends number}` ? N : 0;

// ---------------------------------------------------------------- agreement

/** The dims a name met: literals and names only (a wide `number` agrees with anything). */
type Met<F, N extends string> = F extends Binding<N, infer D, string, string> ? (number extends D ? never : string extends D ? never : D) : never;

/** A binding of `N` to something other than `D`, if any. */
type Other<F, N extends string, D> = F extends Binding<N, infer E, string, string> ? (number extends E ? never : [E] extends [D] ? never : F) : never;

/** The first problem, as a Mismatch, or never. */
type Problem<F> = OneOf<[Extract<F, Mismatch<string, string>>] extends [never] ? Conflicts<F, F> : Extract<F, Mismatch<string, string>>>;

/** One member of a union (the checker's last), so one argument carries the message. */
type OneOf<U> = (U extends unknown ? (u: U) => void : never) extends infer Fns
  ? ([Fns] extends [never] ? never : UnionToIntersection<Fns> extends (u: infer Last) => void ? Last : never)
  : never;

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never;

/** For each binding in `Each`: a binding of the same name in `All` that disagrees with it. */
type Conflicts<Each, All> = Each extends Binding<infer N, infer D, infer Arg, infer W>
  ? number extends D
    ? never
    : Other<All, N, D> extends infer O
      ? [O] extends [never]
        ? never
        : O extends Binding<N, infer E, infer Arg2, infer W2>
          ? Compare<ToIndex<Arg2>, ToIndex<Arg>> extends "lt"
            ? never // reported the other way round, at the later argument
            : Mismatch<Arg2, `${N} is ${ShowDim<D>} at ${W} but ${ShowDim<E>} at ${W2}`>
          : never
      : never
  : never;

// ---------------------------------------------------------------- results

/** What `N` stands for: the literal it met, else the name it met, else `number`. */
type Resolve<F, N extends string> = [Extract<Met<F, N>, number>] extends [never]
  ? [Met<F, N>] extends [never]
    ? N extends BoundNames<F>
      ? number
      : N
    : Met<F, N>
  : Extract<Met<F, N>, number>;

type BoundNames<F> = F extends Binding<infer N, Dim, string, string> ? N : never;

type SubstituteShape<S extends Shape, F> = { -readonly [K in keyof S]: IsNamedDim<S[K]> extends true ? Resolve<F, S[K] & string> : S[K] };

/** `R` with every name bound by `F` replaced by its dim. */
type Substitute<R, F> =
  R extends Tensor<infer S, infer D>
    ? Tensor<SubstituteShape<S, F>, D>
    : R extends (...args: never) => unknown
      ? R
      : R extends readonly unknown[]
        ? { -readonly [K in keyof R]: Substitute<R[K], F> }
        : R extends object
          ? { [K in keyof R]: Substitute<R[K], F> }
          : R;

/**
 * A declared argument list as the caller may pass it: each tensor keeps its dtype and rank,
 * its dims are checked by {@link BindArgs} (so the messages name the dim).
 */
export type Passable<A> = A extends Tensor<infer S, infer D>
  ? Tensor<number extends S["length"] ? Shape : { [K in keyof S]: Dim }, D>
  : A extends (...args: never) => unknown
    ? A
    : A extends readonly unknown[]
      ? { [K in keyof A]: Passable<A[K]> }
      : A extends object
        ? { [K in keyof A]: Passable<A[K]> }
        : A;

/**
 * The parameter list the caller's `Args` meet: `Args` itself when the names bind consistently,
 * else `Args` with the offending argument's type replaced by a ShapeError saying which name
 * disagreed where (so tsc underlines that argument).
 */
export type BindArgs<Op extends string, Decl extends readonly unknown[], Args extends readonly unknown[]> = [Args] extends [Decl]
  ? Args
  : Problem<MatchArgs<Decl, Args>> extends infer P
    ? [P] extends [never]
      ? Args
      : P extends Mismatch<infer Arg, infer Msg>
        ? { [K in keyof Args]: K extends Arg ? ShapeError<`${Op}: ${Msg}`> : Args[K] }
        : Args
    : Args;

/** `R` with the names of `Decl` bound by the caller's `Args`. */
export type BindResult<Decl extends readonly unknown[], Args extends readonly unknown[], R> = [Args] extends [Decl]
  ? R
  : MatchArgs<Decl, Args> extends infer F
    ? [Extract<F, Binding<string, Dim, string, string>>] extends [never]
      ? R
      : Substitute<R, Extract<F, Binding<string, Dim, string, string>>>
    : R;
