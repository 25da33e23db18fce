/**
 * @file Dim-level rules shared by the shape rules.
 *
 * - {@link UnifyDim}: two dims that must denote the same size (matmul inner dims,
 *   concat's non-axis dims, conv channels). Unknown (`number`) unifies with anything,
 *   a literal only with itself, a name only with the same name.
 * - {@link BroadcastDim}: {@link UnifyDim} plus numpy's rule that a literal `1`
 *   stretches to the other side.
 *
 * Both return {@link DimMismatch} when the dims cannot be reconciled.
 */
import type { Dim } from "./shape.js";

/** Marker returned by dim rules that failed (never a valid dim). */
export interface DimMismatch {
  readonly __dimMismatch: true;
}

/** `true` for the wide `number` or wide `string` (an unknown size), else `false`. */
export type IsUnknownDim<D> = number extends D ? true : string extends D ? true : false;

/** `true` if `D` is a fixed size (a number literal). */
export type IsFixedDim<D> = number extends D ? false : D extends number ? true : false;

/** `true` if `D` is a named dim (a string literal). */
export type IsNamedDim<D> = string extends D ? false : D extends string ? true : false;

/** The common dim of `A` and `B`, or {@link DimMismatch}. Two unknowns give `number`. */
export type UnifyDim<A extends Dim, B extends Dim> = IsUnknownDim<A> extends true
  ? IsUnknownDim<B> extends true
    ? number
    : B
  : IsUnknownDim<B> extends true
    ? A
    : [A] extends [B]
      ? [B] extends [A]
        ? A
        : DimMismatch
      : DimMismatch;

/** numpy broadcasting of one dim pair: a literal `1` yields the other side, else {@link UnifyDim}. */
export type BroadcastDim<A extends Dim, B extends Dim> = [A] extends [1]
  ? B
  : [B] extends [1]
    ? A
    : UnifyDim<A, B>;
