/**
 * @file `Tensor<S, D>`: a typed, immutable handle on a graph node.
 *
 * `S` is the shape as the type system sees it: a tuple of number literals (fixed sizes) and
 * strings (named dims such as "B", bound to sizes when a program is traced). It is a phantom:
 * at run time `shape` holds the concrete sizes. Tensors are lazy: ops build nodes, and values
 * are computed (by the CPU interpreter, or a compiled program) only when asked for.
 */
import type { DType, Shape } from "./types/shape.js";
import type { Node } from "./node.js";

export class Tensor<S extends Shape = Shape, D extends DType = "float32"> {
  /** Phantom shape and dtype for the type checker; never read at run time. */
  declare readonly __shape: S;
  declare readonly __dtype: D;

  constructor(readonly node: Node) {}

  /** Concrete sizes (named dims resolved). */
  get shape(): readonly number[] {
    return this.node.shape;
  }
  get dtype(): D {
    return this.node.dtype as D;
  }
  get rank(): S["length"] {
    return this.node.shape.length;
  }
  get size(): number {
    let n = 1;
    for (const d of this.node.shape) n *= d;
    return n;
  }

  toString(): string {
    return `Tensor<[${this.shape.join(", ")}], ${this.dtype}>(${this.node.op}#${this.node.id})`;
  }
}

export type AnyTensor = Tensor<Shape, DType>;
export type FloatTensor<S extends Shape = Shape> = Tensor<S, "float32">;
