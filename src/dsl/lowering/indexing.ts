/**
 * @file Index arithmetic as WGSL i32 expressions: the row-major linear position of a
 * multi-index, and the multi-index of a linear position. Size-1 dims and unit strides are
 * folded away so generated kernels stay readable.
 */
import { rowMajorStrides } from "../host/view.js";

/**
 * Σ index[d] · stride[d], skipping size-1 dims. When the index is `unravelIndex(L, shape)` for
 * some L (a reshape read through another reshape) and dim 0 is not size 1, the result is L
 * itself: ravel ∘ unravel is then the identity for every integer L under WGSL's truncating `/`
 * and `%` (for L < 0 each term is minus the term of −L). Without this rule a chain of reshapes
 * nests a division and a modulo per dim per reshape into every load (a training step's largest
 * row kernel was 77 kB of WGSL and took 0.7 s of shader compile).
 */
export function linearIndex(index: readonly string[], shape: readonly number[]): string {
  const raveled = unraveledFrom(index, shape);
  if (raveled !== undefined) return raveled;
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

/** The L with `unravelIndex(L, shape)` equal to `index` on every dim that is not size 1, if any. */
function unraveledFrom(index: readonly string[], shape: readonly number[]): string | undefined {
  if (shape.includes(0) || index.length !== shape.length) return undefined;
  const dims = shape.flatMap((n, d) => (n === 1 ? [] : [d]));
  const first = dims[0];
  const last = dims[dims.length - 1];
  // Dim 0 must be the first that counts: its coordinate is the one without a modulo. Behind
  // size-1 dims every coordinate has one, and ravel ∘ unravel is L only for 0 ≤ L < size.
  if (first !== 0 || last === undefined) return undefined;
  // The last such dim has stride 1: its coordinate is L (the only dim) or `(L % n)`.
  const c = index[last]!;
  const suffix = ` % ${shape[last]}i)`;
  let linear: string;
  if (last === first) linear = c;
  else if (c.startsWith("(") && c.endsWith(suffix)) linear = c.slice(1, -suffix.length);
  else return undefined;
  const again = unravelIndex(linear, shape);
  return dims.every((d) => again[d] === index[d]) ? linear : undefined;
}
