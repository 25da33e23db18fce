/**
 * @file `MatmulShape<A, B>`: shape of a batched matrix product.
 *
 * `[...batchA, M, K] x [...batchB, K, N]` gives `[...Broadcast<batchA, batchB>, M, N]`.
 * Both operands need rank >= 2; the inner dims must unify (equal literal, same name,
 * or unknown — no 1-stretching). A rank-unknown operand gives `Dim[]`.
 *
 * Errors:
 * - `matmul: operands need rank >= 2, got [3] and [3, 4]`
 * - `matmul: inner dims 768 and 512 differ in [2, 768] and [512, 10]`
 * - `matmul: cannot broadcast [2] with [3]` (batch dims)
 */
import type { Broadcast } from "./broadcast.js";
import type { DimMismatch, UnifyDim } from "./dim.js";
import type { Dim, Shape, ShapeError, ShowDim, ShowShape, UnknownRank } from "./shape.js";

/** Result shape of `matmul(a, b)`, or a {@link ShapeError}. */
export type MatmulShape<A extends Shape, B extends Shape> = number extends A["length"]
  ? UnknownRank<A | B>
  : number extends B["length"]
    ? UnknownRank<B>
    : A extends readonly [...infer BatchA extends Shape, infer M extends Dim, infer KA extends Dim]
      ? B extends readonly [...infer BatchB extends Shape, infer KB extends Dim, infer N extends Dim]
        ? [UnifyDim<KA, KB>] extends [DimMismatch]
          ? ShapeError<`matmul: inner dims ${ShowDim<KA>} and ${ShowDim<KB>} differ in ${ShowShape<A>} and ${ShowShape<B>}`>
          : Broadcast<BatchA, BatchB, "matmul"> extends infer Batch
            ? Batch extends Shape
              ? [...Batch, M, N]
              : Batch
            : never
        : RankError<A, B>
      : RankError<A, B>;

type RankError<A extends Shape, B extends Shape> = ShapeError<`matmul: operands need rank >= 2, got ${ShowShape<A>} and ${ShowShape<B>}`>;
