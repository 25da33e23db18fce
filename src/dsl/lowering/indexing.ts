/**
 * @file Index arithmetic as WGSL i32 expressions: the row-major linear position of a
 * multi-index, and the multi-index of a linear position. Size-1 dims and unit strides are
 * folded away so generated kernels stay readable.
 */
import { rowMajorStrides } from "../host/view.js";

/** Σ index[d] · stride[d], skipping size-1 dims. */
export function linearIndex(index: readonly string[], shape: readonly number[]): string {
  const strides = rowMajorStrides(shape);
  const terms = index.flatMap((i, d) => (shape[d] === 1 ? [] : [strides[d] === 1 ? i : `${i} * ${strides[d]}i`]));
  if (terms.length === 0) return "0i";
  return terms.length === 1 ? terms[0]! : `(${terms.join(" + ")})`;
}

/** (linear / stride[d]) % shape[d] per dim, without the division or modulo where not needed. */
export function unravelIndex(linear: string, shape: readonly number[]): string[] {
  // a shape with no elements is never indexed (its loops run zero times), and its strides hold 0
  if (shape.includes(0)) return shape.map(() => "0i");
  const strides = rowMajorStrides(shape);
  return shape.map((n, d) => {
    if (n === 1) return "0i";
    const div = strides[d] === 1 ? linear : `(${linear} / ${strides[d]}i)`;
    return d === 0 ? div : `(${div} % ${n}i)`;
  });
}
