/**
 * @file Digit-string arithmetic: the engine behind `arith.ts`.
 *
 * Natural numbers are handled as decimal digit strings (`"1204224"`), so sizes far
 * beyond what tuple-length tricks allow (tuples cap out near 10,000 elements) stay
 * cheap: every operation walks the digits once, using the single-digit lookup tables of
 * `digit-tables.ts` (long division walks them with at most 9 trial subtractions per
 * digit). All recursions are tail-recursive with accumulators and bounded by the number
 * of digits; adding 0, multiplying by 1 and dividing by 1 short-circuit.
 *
 * Conventions: "Nat" strings are normalised (no leading zeros, `"0"` for zero);
 * "Rev" strings hold the digits least-significant first, which makes carrying easy.
 * These helpers are internal to the arithmetic module.
 */

import type { Diff0, Diff1, Prod, Sum0, Sum1 } from "./digit-tables.js";

/** One decimal digit. */
export type Digit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";

type Bit = "0" | "1";

/** Ordering of two single digits (digit characters sort like their values). */
type CmpDigit<A extends Digit, B extends Digit> = A extends B
  ? "eq"
  : Diff0[A][B] extends `1${string}`
    ? "lt"
    : "gt";

/** Reverses a string (tail-recursive). */
export type Reverse<S extends string, Acc extends string = ""> = S extends `${infer H}${infer R}`
  ? Reverse<R, `${H}${Acc}`>
  : Acc;

/** Strips leading zeros of a digit string (`"007"` -> `"7"`, `"000"` -> `"0"`). */
export type StripZeros<S extends string> = S extends `0${infer R}`
  ? R extends ""
    ? "0"
    : StripZeros<R>
  : S extends ""
    ? "0"
    : S;

/** Sum of two reversed digit strings (result reversed). */
type AddRev<
  A extends string,
  B extends string,
  C extends Bit = "0",
  Acc extends string = "",
> = A extends `${infer a extends Digit}${infer AR}`
  ? B extends `${infer b extends Digit}${infer BR}`
    ? (C extends "1" ? Sum1 : Sum0)[a][b] extends `${infer C2 extends Bit}${infer D}`
      ? AddRev<AR, BR, C2, `${Acc}${D}`>
      : never
    : C extends "0"
      ? `${Acc}${A}`
      : AddRev<A, "1", "0", Acc>
  : B extends ""
    ? C extends "1"
      ? `${Acc}1`
      : Acc
    : AddRev<B, C extends "1" ? "1" : "", "0", Acc>;

/** Difference of reversed digit strings, assuming `A >= B` (result reversed, may have trailing zeros). */
type SubRev<
  A extends string,
  B extends string,
  C extends Bit = "0",
  Acc extends string = "",
> = A extends `${infer a extends Digit}${infer AR}`
  ? B extends `${infer b extends Digit}${infer BR}`
    ? (C extends "1" ? Diff1 : Diff0)[a][b] extends `${infer C2 extends Bit}${infer D}`
      ? SubRev<AR, BR, C2, `${Acc}${D}`>
      : never
    : C extends "0"
      ? `${Acc}${A}`
      : SubRev<A, "1", "0", Acc>
  : Acc;

/** Reversed `A * d` for one digit `d`, with the running carry `C` (a digit). */
type MulDigitRev<
  A extends string,
  d extends Digit,
  C extends Digit = "0",
  Acc extends string = "",
> = A extends `${infer a extends Digit}${infer AR}`
  ? Prod[a][d] extends `${infer P extends Digit}${infer Q extends Digit}`
    ? Sum0[Q][C] extends `${infer C1 extends Bit}${infer D}`
      ? Sum0[P][C1] extends `0${infer C2 extends Digit}`
        ? MulDigitRev<AR, d, C2, `${Acc}${D}`>
        : never
      : never
    : never
  : C extends "0"
    ? Acc
    : `${Acc}${C}`;

/** Long multiplication on reversed strings: adds `A * b`, shifted, for each digit `b` of `B`. */
type MulRev<
  A extends string,
  BRev extends string,
  Shift extends string = "",
  Acc extends string = "0",
> = BRev extends `${infer b extends Digit}${infer BR}`
  ? b extends "0"
    ? MulRev<A, BR, `${Shift}0`, Acc>
    : MulRev<A, BR, `${Shift}0`, AddRev<Acc, `${Shift}${b extends "1" ? A : MulDigitRev<A, b>}`>>
  : Acc;

/** Ordering of two normalised digit strings: walks both most-significant first. */
export type CmpNat<
  A extends string,
  B extends string,
  First extends "lt" | "eq" | "gt" = "eq",
> = A extends `${infer a extends Digit}${infer AR}`
  ? B extends `${infer b extends Digit}${infer BR}`
    ? CmpNat<AR, BR, First extends "eq" ? CmpDigit<a, b> : First>
    : "gt"
  : B extends ""
    ? First
    : "lt";

/** `A + B` on normalised digit strings. */
export type AddNat<A extends string, B extends string> = B extends "0"
  ? A
  : A extends "0"
    ? B
    : Reverse<AddRev<Reverse<A>, Reverse<B>>>;

/** `A - B` on normalised digit strings; `A >= B` is the caller's job. */
export type SubNat<A extends string, B extends string> = B extends "0"
  ? A
  : StripZeros<Reverse<SubRev<Reverse<A>, Reverse<B>>>>;

/** `A * B` on normalised digit strings. */
export type MulNat<A extends string, B extends string> = B extends "1"
  ? A
  : A extends "1"
    ? B
    : StripZeros<Reverse<MulRev<Reverse<A>, Reverse<B>>>>;

/** `floor(A / B)` on normalised digit strings, `B >= 1`: schoolbook long division. */
export type DivNat<A extends string, B extends string> = B extends "1" ? A : DivLoop<A, B>;

type DivLoop<
  A extends string,
  B extends string,
  Rem extends string = "0",
  Q extends string = "",
> = A extends `${infer a extends Digit}${infer AR}`
  ? StripZeros<`${Rem}${a}`> extends infer R extends string
    ? DivStep<R, B> extends [infer QD extends string, infer R2 extends string]
      ? DivLoop<AR, B, R2, `${Q}${QD}`>
      : never
    : never
  : StripZeros<Q>;

type DigitList = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/** One long-division step: `[floor(R / B), R mod B]`, knowing the quotient digit is <= 9. */
type DivStep<R extends string, B extends string, N extends 0[] = []> = N["length"] extends 10
  ? never // unreachable for B >= 1; bounds the recursion anyway
  : CmpNat<R, B> extends "lt"
    ? [DigitList[N["length"]], R]
    : DivStep<SubNat<R, B>, B, [...N, 0]>;
