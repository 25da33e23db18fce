/**
 * @file Compile-time assertion helpers for type tests.
 *
 * `type _ = Expect<Equal<Broadcast<[2, 1], [3]>, [2, 3]>>` fails to compile unless the two
 * types are identical (not merely mutually assignable).
 */

/** Compiles only when `T` is `true`. */
export type Expect<T extends true> = T;

/** `true` iff `A` and `B` are identical types (the generic-function identity trick). */
export type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
