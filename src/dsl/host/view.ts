/**
 * @file Views: how movement ops become index arithmetic instead of copies.
 *
 * A view maps a logical index to a position in a flat buffer:
 *   position = offset + Σ index[d] · strides[d]
 * An optional mask marks, per dim, the half-open range [lo, hi) that is backed by the buffer;
 * outside it the value is `padValue` (this is how `pad` avoids a copy). Reshape composes only
 * with contiguous views; anything else is materialised first (see `materialize`).
 */

export interface View {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  /** Per dim [lo, hi): indices backed by the buffer. Absent: every index is backed. */
  readonly mask?: readonly (readonly [number, number])[];
  readonly padValue?: number;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The distance between neighbours along each dim of a row-major array of `shape`. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/**
 * A row-major view of `shape`. A size-1 dim gets stride 0: it is only ever indexed at 0, and a
 * view stays the same whether that dim came from the data or from a broadcast.
 */
export function contiguousView(shape: readonly number[], offset = 0): View {
  return { shape: [...shape], strides: rowMajorStrides(shape).map((s, d) => (shape[d] === 1 ? 0 : s)), offset };
}

/** True when the view reads `size` consecutive elements starting at `offset`. */
export function isContiguous(view: View): boolean {
  if (view.mask) return false;
  let expected = 1;
  for (let d = view.shape.length - 1; d >= 0; d--) {
    const n = view.shape[d]!;
    if (n !== 1 && view.strides[d] !== expected) return false;
    expected *= n;
  }
  return true;
}

export function permuteView(view: View, perm: readonly number[]): View {
  return {
    shape: perm.map((p) => view.shape[p]!),
    strides: perm.map((p) => view.strides[p]!),
    offset: view.offset,
    ...(view.mask ? { mask: perm.map((p) => view.mask![p]!), padValue: view.padValue } : {}),
  };
}

/** Broadcast dims of size 1 to `shape` with stride 0. */
export function expandView(view: View, shape: readonly number[]): View {
  return {
    shape: [...shape],
    strides: view.strides.map((s, d) => (view.shape[d] === shape[d] ? s : 0)),
    offset: view.offset,
    ...(view.mask
      ? {
          mask: view.mask.map(([lo, hi], d): [number, number] =>
            view.shape[d] === shape[d] ? [lo, hi] : lo < hi ? [0, shape[d]!] : [0, 0],
          ),
          padValue: view.padValue,
        }
      : {}),
  };
}

/** Strided slice along every dim: start (inclusive), step (±), count. */
export function sliceView(
  view: View,
  starts: readonly number[],
  steps: readonly number[],
  counts: readonly number[],
): View {
  let offset = view.offset;
  const strides = view.strides.map((s, d) => {
    offset += starts[d]! * s;
    return s * steps[d]!;
  });
  const mask = view.mask?.map(([lo, hi], d): [number, number] => {
    // Indices j with lo <= start + j*step < hi.
    const start = starts[d]!;
    const step = steps[d]!;
    const n = counts[d]!;
    let a: number;
    let b: number;
    if (step > 0) {
      a = Math.ceil((lo - start) / step);
      b = Math.ceil((hi - start) / step);
    } else {
      a = Math.floor((start - hi) / -step) + 1;
      b = Math.floor((start - lo) / -step) + 1;
    }
    a = Math.min(Math.max(a, 0), n);
    b = Math.min(Math.max(b, a), n);
    return [a, b];
  });
  return { shape: [...counts], strides, offset, ...(mask ? { mask, padValue: view.padValue } : {}) };
}

/** Pad with `value`; returns undefined when the view already pads with another value. */
export function padView(
  view: View,
  pads: readonly (readonly [number, number])[],
  value: number,
): View | undefined {
  if (view.mask && !Object.is(view.padValue, value)) return undefined;
  let offset = view.offset;
  const shape = view.shape.map((n, d) => n + pads[d]![0] + pads[d]![1]);
  const mask = view.shape.map((n, d): [number, number] => {
    const lo = pads[d]![0];
    offset -= lo * view.strides[d]!;
    const [mlo, mhi] = view.mask?.[d] ?? [0, n];
    return [mlo + lo, mhi + lo];
  });
  return { shape, strides: [...view.strides], offset, mask, padValue: value };
}

/** Calls fn(position or -1 for padding) for each element in row-major order. */
export function forEachPosition(view: View, fn: (position: number, i: number) => void): void {
  const rank = view.shape.length;
  const total = sizeOf(view.shape);
  if (total === 0) return;
  const idx = new Array<number>(rank).fill(0);
  let pos = view.offset;
  const { shape, strides, mask } = view;
  for (let i = 0; i < total; i++) {
    let inside = true;
    if (mask) {
      for (let d = 0; d < rank; d++) {
        const m = mask[d]!;
        if (idx[d]! < m[0] || idx[d]! >= m[1]) {
          inside = false;
          break;
        }
      }
    }
    fn(inside ? pos : -1, i);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      pos += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      pos -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}
