/**
 * @file Natural-number arithmetic on number literals, for shape rules.
 *
 * `Mul<8, 196>` is `1568`, `Product<[8, 196, 768]>` is `1204224`. The work is done on
 * decimal digit strings (see `digits.ts`), so there is no small upper bound: results
 * are exact as long as they print and parse back as the same literal, i.e. up to
 * `Number.MAX_SAFE_INTEGER`-ish (beyond that, or for `1e21` and up, the result is the
 * wide `number`).
 *
 * Inputs must be non-negative integer literals. The wide `number` (or any input that is
 * not a natural literal: negative, fractional, a union-with-`number`) yields `number`.
 */
import type { AddNat, CmpNat, DivNat, MulNat, SubNat } from "./digits.js";

/** Digit string of a natural number literal, or `never` if `N` is not one. */
export type NatStr<N extends number> = number extends N
  ? never
  : `${N}` extends `-${string}`
    ? never
    : `${N}` extends infer S extends `${bigint}`
      ? S
      : never;

/** Parses a digit string back to its number literal (`number` if it does not round-trip). */
export type ToNum<S extends string> = S extends `${infer N extends number}` ? N : number;

/** Applies a binary digit-string operation, falling back to `number` for non-literal inputs. */
type Lift2<A extends number, B extends number, R extends string> = [NatStr<A>] extends [never]
  ? number
  : [NatStr<B>] extends [never]
    ? number
    : ToNum<R>;

/** `true` if `N` is a natural-number literal (non-negative integer, not wide `number`). */
export type IsNat<N extends number> = [NatStr<N>] extends [never] ? false : true;

/** `A + B` for natural literals; `number` if either is wide/not natural. */
export type Add<A extends number, B extends number> = Lift2<A, B, AddNat<NatStr<A>, NatStr<B>>>;

/** `A * B` for natural literals; `number` if either is wide/not natural. */
export type Mul<A extends number, B extends number> = Lift2<A, B, MulNat<NatStr<A>, NatStr<B>>>;

/** Product of a tuple of natural literals (`1` for `[]`); `number` if any is wide or `S` is not a tuple. */
export type Product<S extends readonly number[]> = number extends S["length"]
  ? number
  : ProductLoop<S, "1">;

type ProductLoop<S extends readonly number[], Acc extends string> = S extends readonly [
  infer H extends number,
  ...infer R extends readonly number[],
]
  ? [NatStr<H>] extends [never]
    ? number
    : ProductLoop<R, MulNat<Acc, NatStr<H>>>
  : ToNum<Acc>;

/** Sum of a tuple of natural literals (`0` for `[]`); `number` if any is wide or `S` is not a tuple. */
export type Sum<S extends readonly number[]> = number extends S["length"]
  ? number
  : SumLoop<S, "0">;

type SumLoop<S extends readonly number[], Acc extends string> = S extends readonly [
  infer H extends number,
  ...infer R extends readonly number[],
]
  ? [NatStr<H>] extends [never]
    ? number
    : SumLoop<R, AddNat<Acc, NatStr<H>>>
  : ToNum<Acc>;

/** `A - B` when `A >= B`; the literal `-1` when `A < B`; `number` if either is wide/not natural. */
export type Sub<A extends number, B extends number> = Lift2<
  A,
  B,
  CmpNat<NatStr<A>, NatStr<B>> extends "lt" ? "-1" : SubNat<NatStr<A>, NatStr<B>>
>;

/** `floor(A / B)` for `B >= 1`; `number` if either is wide/not natural or `B` is 0. */
export type FloorDiv<A extends number, B extends number> = B extends 0
  ? number
  : Lift2<A, B, DivNat<NatStr<A>, NatStr<B>>>;

/** `A mod B` for `B >= 1`; `number` if either is wide/not natural or `B` is 0. */
export type Mod<A extends number, B extends number> = B extends 0
  ? number
  : Lift2<A, B, SubNat<NatStr<A>, MulNat<DivNat<NatStr<A>, NatStr<B>>, NatStr<B>>>>;

/** `A < B` for natural literals; `boolean` if either is wide/not natural. */
export type Lt<A extends number, B extends number> = Compare<A, B> extends "lt"
  ? true
  : Compare<A, B> extends "eq" | "gt"
    ? false
    : boolean;

/** `A >= B` for natural literals; `boolean` if either is wide/not natural. */
export type Gte<A extends number, B extends number> = Compare<A, B> extends "lt"
  ? false
  : Compare<A, B> extends "eq" | "gt"
    ? true
    : boolean;

/** `"lt" | "eq" | "gt"`, or `"unknown"` if either side is wide/not natural. */
export type Compare<A extends number, B extends number> = [NatStr<A>] extends [never]
  ? "unknown"
  : [NatStr<B>] extends [never]
    ? "unknown"
    : CmpNat<NatStr<A>, NatStr<B>>;
