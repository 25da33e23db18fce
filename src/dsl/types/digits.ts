/**
 * @file Digit-string arithmetic: the engine behind `arith.ts`.
 *
 * Natural numbers are handled as decimal digit strings (`"1204224"`), so sizes far
 * beyond what tuple-length tricks allow (tuples cap out near 10,000 elements) stay
 * cheap: every operation walks the digits once (long division walks them with at most
 * 9 trial subtractions per digit). All recursions are tail-recursive with accumulators
 * and bounded by the number of digits.
 *
 * Conventions: "Nat" strings are normalised (no leading zeros, `"0"` for zero);
 * "Rev" strings hold the digits least-significant first, which makes carrying easy.
 * These helpers are internal to the arithmetic module.
 */

/** One decimal digit. */
export type Digit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";

/** Digit -> tuple of that length (used to add/compare single digits). */
type DigitTuple = {
  "0": [];
  "1": [0];
  "2": [0, 0];
  "3": [0, 0, 0];
  "4": [0, 0, 0, 0];
  "5": [0, 0, 0, 0, 0];
  "6": [0, 0, 0, 0, 0, 0];
  "7": [0, 0, 0, 0, 0, 0, 0];
  "8": [0, 0, 0, 0, 0, 0, 0, 0];
  "9": [0, 0, 0, 0, 0, 0, 0, 0, 0];
};

type Ten = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** Low digit of 0..19. */
type LowDigit = [
  "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
  "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
];

/** Carry of 0..19. */
type CarryOf = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];

type Bit = 0 | 1;
type CarryTuple<C extends Bit> = C extends 1 ? [0] : [];

/** `[digit, carry]` of `a + b + c`. */
type AddDigit<A extends Digit, B extends Digit, C extends Bit> = [
  ...DigitTuple[A],
  ...DigitTuple[B],
  ...CarryTuple<C>,
]["length"] extends infer N extends number
  ? [LowDigit[N], CarryOf[N]]
  : never;

/** `[digit, borrow]` of `a - b - c`, borrowing ten when negative. */
type SubDigit<A extends Digit, B extends Digit, C extends Bit> = DigitTuple[A] extends [
  ...DigitTuple[B],
  ...CarryTuple<C>,
  ...infer R,
]
  ? [LowDigit[R["length"]], 0]
  : [...Ten, ...DigitTuple[A]] extends [...DigitTuple[B], ...CarryTuple<C>, ...infer R]
    ? [LowDigit[R["length"]], 1]
    : never;

/** Ordering of two single digits. */
type CmpDigit<A extends Digit, B extends Digit> = A extends B
  ? "eq"
  : DigitTuple[A] extends [...DigitTuple[B], ...unknown[]]
    ? "gt"
    : "lt";

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

/** `true` if `S` is a non-empty string of decimal digits. */
export type IsDigits<S extends string> = S extends ""
  ? false
  : AllDigits<S>;

type AllDigits<S extends string> = S extends `${infer H}${infer R}`
  ? H extends Digit
    ? AllDigits<R>
    : false
  : true;

/** Sum of two reversed digit strings (result reversed). */
type AddRev<
  A extends string,
  B extends string,
  C extends Bit = 0,
  Acc extends string = "",
> = A extends `${infer a extends Digit}${infer AR}`
  ? B extends `${infer b extends Digit}${infer BR}`
    ? AddDigit<a, b, C> extends [infer D extends string, infer C2 extends Bit]
      ? AddRev<AR, BR, C2, `${Acc}${D}`>
      : never
    : AddDigit<a, "0", C> extends [infer D extends string, infer C2 extends Bit]
      ? AddRev<AR, "", C2, `${Acc}${D}`>
      : never
  : B extends `${infer b extends Digit}${infer BR}`
    ? AddDigit<"0", b, C> extends [infer D extends string, infer C2 extends Bit]
      ? AddRev<"", BR, C2, `${Acc}${D}`>
      : never
    : C extends 1
      ? `${Acc}1`
      : Acc;

/** Difference of reversed digit strings, assuming `A >= B` (result reversed, may have trailing zeros). */
type SubRev<
  A extends string,
  B extends string,
  C extends Bit = 0,
  Acc extends string = "",
> = A extends `${infer a extends Digit}${infer AR}`
  ? B extends `${infer b extends Digit}${infer BR}`
    ? SubDigit<a, b, C> extends [infer D extends string, infer C2 extends Bit]
      ? SubRev<AR, BR, C2, `${Acc}${D}`>
      : never
    : SubDigit<a, "0", C> extends [infer D extends string, infer C2 extends Bit]
      ? SubRev<AR, "", C2, `${Acc}${D}`>
      : never
  : Acc;

/** `[0·A, 1·A, ..., 9·A]` as reversed digit strings. */
type MultiplesRev<ARev extends string, Acc extends string[] = ["0"]> = Acc["length"] extends 10
  ? Acc
  : Acc extends [...string[], infer Last extends string]
    ? MultiplesRev<ARev, [...Acc, AddRev<Last, ARev>]>
    : never;

/** Long multiplication on reversed strings: one shifted multiple of A per digit of B. */
type MulRev<
  M extends string[],
  BRev extends string,
  Shift extends string = "",
  Acc extends string = "0",
> = BRev extends `${infer b extends Digit}${infer BR}`
  ? MulRev<M, BR, `${Shift}0`, AddRev<Acc, `${Shift}${M[DigitIndex[b]]}`>>
  : Acc;

type DigitIndex = {
  "0": 0; "1": 1; "2": 2; "3": 3; "4": 4; "5": 5; "6": 6; "7": 7; "8": 8; "9": 9;
};

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
export type AddNat<A extends string, B extends string> = Reverse<AddRev<Reverse<A>, Reverse<B>>>;

/** `A - B` on normalised digit strings; `A >= B` is the caller's job. */
export type SubNat<A extends string, B extends string> = StripZeros<
  Reverse<SubRev<Reverse<A>, Reverse<B>>>
>;

/** `A * B` on normalised digit strings. */
export type MulNat<A extends string, B extends string> = StripZeros<
  Reverse<MulRev<MultiplesRev<Reverse<A>>, Reverse<B>>>
>;

/** `floor(A / B)` on normalised digit strings, `B >= 1`: schoolbook long division. */
export type DivNat<
  A extends string,
  B extends string,
  Rem extends string = "0",
  Q extends string = "",
> = A extends `${infer a extends Digit}${infer AR}`
  ? StripZeros<`${Rem}${a}`> extends infer R extends string
    ? DivStep<R, B> extends [infer QD extends string, infer R2 extends string]
      ? DivNat<AR, B, R2, `${Q}${QD}`>
      : never
    : never
  : StripZeros<Q>;

/** One long-division step: `[floor(R / B), R mod B]`, knowing the quotient digit is <= 9. */
type DivStep<R extends string, B extends string, N extends 0[] = []> = N["length"] extends 10
  ? never // unreachable for B >= 1; bounds the recursion anyway
  : CmpNat<R, B> extends "lt"
    ? [LowDigit[N["length"]], R]
    : DivStep<SubNat<R, B>, B, [...N, 0]>;
