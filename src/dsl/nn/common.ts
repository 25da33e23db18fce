/**
 * @file What the nn composites share: type-level helpers for their signatures (last dim,
 * leading dims, a float-only dtype check, dim compatibility), the parameter-tensor type of the
 * records, and the run-time argument checks that raise the DSL's own errors (ShapeMismatch,
 * DTypeMismatch) with the composite's name.
 *
 * Signatures follow one pattern: a composite is generic in the argument's shape `S` and dtype
 * `D` (and in the type `P` of its parameter record), so a typed tensor keeps its shape through
 * it; the layer's shape rule (`rules.ts`) is applied with `Checked`/`Ok` as the core ops do.
 * Wide inputs (`AnyTensor`, unknown dims) skip the checks. Dtypes known statically to be
 * non-float are rejected by `FloatArg`.
 *
 * Bodies compute with untyped `core` ops. Where a layer has a shape rule, the public signature
 * is an overload over an implementation written against `AnyTensor`; elsewhere the result passes
 * through {@link fromCore}, the one place an untyped result meets a declared type.
 */
import * as core from "../core.js";
import { DTypeMismatch, ShapeMismatch } from "../errors.js";
import type { AnyTensor, Tensor } from "../tensor.js";
import type { Dim, DType, Shape, ShapeError } from "../types/shape.js";
import { Key } from "../random/threefry.js";

// ---------------------------------------------------------------- types

/** `unknown` (no constraint) for float32 or a dtype not known statically; an error type otherwise. */
export type FloatArg<D extends DType, Op extends string = "nn"> = DType extends D
  ? unknown
  : D extends "float32"
    ? unknown
    : ShapeError<`${Op}: expected a float32 tensor, got ${D}`>;

/** `true` when the rank of `S` is known (a tuple), `false` for `Dim[]`. */
export type IsTuple<S extends Shape> = number extends S["length"] ? false : true;

/** All dims but the last (`Dim[]` when the rank is unknown). */
export type Lead<S extends Shape> = S extends readonly [...infer L extends Dim[], Dim] ? L : Dim[];

/** The last dim (`Dim` when unknown). */
export type Last<S extends Shape> = S extends readonly [...Dim[], infer X extends Dim] ? X : Dim;

/** `S` with its last dim replaced by `L`. */
export type WithLast<S extends Shape, L extends Dim> = IsTuple<S> extends true ? [...Lead<S>, L] : Shape;

/** The shape of a tensor type. */
export type ShapeOf<T> = T extends Tensor<infer S, DType> ? S : Shape;

/** The first dim of a tensor type's shape (`Dim` when unknown). */
export type FirstDim<T> = ShapeOf<T> extends readonly [infer X extends Dim, ...Dim[]] ? X : Dim;

/**
 * Whether two dims can denote the same size: unknown dims (wide `number`/`string`) and a name
 * against a literal are compatible (the name is bound at trace time); two different literals,
 * or two different names, are not.
 */
export type DimsAgree<A extends Dim, B extends Dim> = number extends A
  ? true
  : number extends B
    ? true
    : string extends A
      ? true
      : string extends B
        ? true
        : [A] extends [B]
          ? true
          : A extends string
            ? B extends string
              ? false
              : true
            : B extends string
              ? true
              : false;

/** `unknown` when the dims agree, else an error type naming `what`. */
export type AgreeArg<A extends Dim, B extends Dim, What extends string> = DimsAgree<A, B> extends true
  ? unknown
  : ShapeError<`${What}: ${A & (string | number)} vs ${B & (string | number)}`>;

/** `unknown` when the rank of `S` is `R` or unknown, else an error type. */
export type RankArg<S extends Shape, R extends number, What extends string> = IsTuple<S> extends false
  ? unknown
  : S["length"] extends R
    ? unknown
    : ShapeError<`${What} takes rank ${R}, got rank ${S["length"] & number}`>;

/** A float32 tensor of shape `S`. */
export type Float<S extends Shape = Shape> = Tensor<S, "float32">;

/**
 * A parameter of shape `S` in a record (`LinearParams<O, I>`, …): a float32 `Tensor<S>`. When a
 * dim is left at its default `Dim` (e.g. plain `LinearParams`), any tensor, such as a
 * checkpoint's `AnyTensor`: the layer's own rule still checks what is known.
 */
export type ParamTensor<S extends Shape> = Dim extends S[number] ? AnyTensor : Tensor<S, "float32">;

/** A PRNG key: a host `Key`, or the int32 [2] tensor the `random` primitive takes. */
export type KeyLike = Key | AnyTensor;

// ---------------------------------------------------------------- run-time helpers

/** The int32 [2] tensor for a key (a tensor key is checked and passed through). */
export function keyTensor(key: KeyLike, op = "key"): AnyTensor {
  if (key instanceof Key) return core.constant(new Int32Array([key.k0 | 0, key.k1 | 0]), [2], "int32");
  if (key.dtype !== "int32" || key.shape.length !== 1 || key.shape[0] !== 2) {
    throw new DTypeMismatch(op, `a key tensor must be int32 [2], got ${key.dtype} [${key.shape.join(", ")}]`);
  }
  return key;
}

export function requireFloat(op: string, ...ts: readonly (AnyTensor | undefined)[]): void {
  for (const t of ts) {
    if (t && t.dtype !== "float32") throw new DTypeMismatch(op, `expected float32, got ${t.dtype} [${t.shape.join(", ")}]`);
  }
}

export function requireShape(op: string, ok: boolean, detail: string, ...ts: readonly (AnyTensor | undefined)[]): asserts ok {
  if (!ok) throw new ShapeMismatch(op, detail, ts.filter((t): t is AnyTensor => t !== undefined).map((t) => t.shape));
}

/**
 * The one conversion in nn: an untyped `core` result given the composite's declared type `T`.
 * What makes it true is checked elsewhere: by the shape rule in the composite's signature at
 * compile time, and by its `requireShape`/`requireFloat` calls (and the core ops') at run time.
 */
export function fromCore<T extends AnyTensor>(t: AnyTensor): T {
  return t as T;
}
