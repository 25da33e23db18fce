/**
 * @file The untyped op layer: builders over `AnyTensor` that add what primitives leave out
 * (numpy broadcasting, scalar lifting, negative axes, keepDims). VJP rules and composites use
 * these; the typed public API (`dsl/api`) is a thin veneer over them.
 */
import { bind } from "./bind.js";
import { resolveReshape } from "./dims.js";
import { castScalar, type DType } from "./dtype.js";
import { DTypeMismatch, ShapeMismatch } from "./errors.js";
import type { Pads } from "./ops/params.js";
import { fromFlat, type CpuArray, type Storage } from "./host/array.js";
import type { AnyTensor } from "./tensor.js";

export type Operand = AnyTensor | number;

// ---------------------------------------------------------------- creation

export function constant(data: Storage, shape: readonly number[], dtype: DType): AnyTensor {
  return fromHost(fromFlat(data, dtype, shape));
}

/** A constant tensor holding a host array (a computed value, a loaded weight), not copied. */
export function fromHost(value: CpuArray): AnyTensor {
  return bind("constant", [], { value });
}

export function full(shape: readonly number[], value: number, dtype: DType = "float32"): AnyTensor {
  return bind("full", [], { shape: [...shape], value: castScalar(value, dtype), dtype });
}

export function zerosLike(t: AnyTensor): AnyTensor {
  return full(t.shape, 0, t.dtype);
}

export function onesLike(t: AnyTensor): AnyTensor {
  return full(t.shape, 1, t.dtype);
}

export function iota(shape: readonly number[], axis: number, dtype: DType = "int32"): AnyTensor {
  return bind("iota", [], { shape: [...shape], axis: normalizeAxis(axis, shape.length, "iota", [shape]), dtype });
}

/** Uniform [0, 1) float32 from the counter-based RNG; `key` is an int32 [2] tensor. */
export function randomUniform(key: AnyTensor, shape: readonly number[]): AnyTensor {
  return bind("random", [key], { shape: [...shape] });
}

// ---------------------------------------------------------------- axes and broadcasting

export function normalizeAxis(axis: number, rank: number, op: string, shapes: readonly (readonly number[])[]): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeMismatch(op, `axis ${axis} is out of range for rank ${rank}`, shapes);
  }
  return a;
}

export function normalizeAxes(
  axes: number | readonly number[] | undefined,
  rank: number,
  op: string,
  shapes: readonly (readonly number[])[],
): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = (typeof axes === "number" ? [axes] : axes).map((a) => normalizeAxis(a, rank, op, shapes));
  if (new Set(list).size !== list.length) throw new ShapeMismatch(op, `repeated axis in [${list.join(", ")}]`, shapes);
  return list.sort((a, b) => a - b);
}

export function broadcastShapes(op: string, ...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    for (let i = 0; i < shape.length; i++) {
      const d = rank - shape.length + i;
      const n = shape[i]!;
      if (out[d] === 1) out[d] = n;
      else if (n !== 1 && n !== out[d]) throw new ShapeMismatch(op, `cannot broadcast`, shapes);
    }
  }
  return out;
}

export function broadcastTo(t: AnyTensor, shape: readonly number[], op = "broadcastTo"): AnyTensor {
  if (sameShape(t.shape, shape)) return t;
  if (t.shape.length > shape.length) throw new ShapeMismatch(op, "cannot broadcast to a lower rank", [t.shape, shape]);
  const lifted = t.shape.length < shape.length ? reshape(t, [...new Array(shape.length - t.shape.length).fill(1), ...t.shape]) : t;
  return bind("expand", [lifted], { shape: [...shape] }, op);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** A JS number takes the other operand's dtype; a fraction never silently becomes an int. */
function lift(x: Operand, like: Operand, op = "binary op"): AnyTensor {
  if (typeof x !== "number") return x;
  const dtype = typeof like === "number" ? "float32" : like.dtype === "bool" ? "float32" : like.dtype;
  if (dtype === "int32" && !Number.isInteger(x)) {
    throw new DTypeMismatch(op, `${x} is not an int32 value; cast the int32 operand to float32 first`);
  }
  return full([], x, dtype);
}

function binary(op: "add" | "sub" | "mul" | "div" | "max" | "pow" | "cmplt" | "cmpeq", label: string) {
  return (a: Operand, b: Operand): AnyTensor => {
    const x = lift(a, b, label);
    const y = lift(b, a, label);
    const shape = broadcastShapes(label, x.shape, y.shape);
    return bind(op, [broadcastTo(x, shape, label), broadcastTo(y, shape, label)], {}, label);
  };
}

// ---------------------------------------------------------------- elementwise

export const add = binary("add", "add");
export const sub = binary("sub", "sub");
export const mul = binary("mul", "mul");
export const div = binary("div", "div");
export const maximum = binary("max", "maximum");
export const pow = binary("pow", "pow");
export const less = binary("cmplt", "less");
export const equal = binary("cmpeq", "equal");

export function greater(a: Operand, b: Operand): AnyTensor {
  return less(b, a);
}
export function minimum(a: Operand, b: Operand): AnyTensor {
  return neg(maximum(neg(lift(a, b)), neg(lift(b, a))));
}

export const neg = (x: AnyTensor): AnyTensor => bind("neg", [x], {});
export const exp = (x: AnyTensor): AnyTensor => bind("exp", [x], {});
export const log = (x: AnyTensor): AnyTensor => bind("log", [x], {});
export const sin = (x: AnyTensor): AnyTensor => bind("sin", [x], {});
export const cos = (x: AnyTensor): AnyTensor => bind("cos", [x], {});
export const sqrt = (x: AnyTensor): AnyTensor => bind("sqrt", [x], {});
export const recip = (x: AnyTensor): AnyTensor => bind("recip", [x], {});
export const tanh = (x: AnyTensor): AnyTensor => bind("tanh", [x], {});
export const erf = (x: AnyTensor): AnyTensor => bind("erf", [x], {});

export function square(x: AnyTensor): AnyTensor {
  return mul(x, x);
}
export function rsqrt(x: AnyTensor): AnyTensor {
  return recip(sqrt(x));
}
export function sigmoid(x: AnyTensor): AnyTensor {
  return recip(add(exp(neg(x)), 1));
}
/**
 * max(x, 0) with JAX's derivative at 0 (0, not the ½ a tie of `maximum` gets) and NaN kept NaN:
 * x where x > 0; 0 where x ≤ 0; NaN (where x ≠ x) itself.
 */
export function relu(x: AnyTensor): AnyTensor {
  return where(greater(x, 0), x, where(equal(x, x), 0, x));
}
export function abs(x: AnyTensor): AnyTensor {
  return maximum(x, neg(x));
}

export function where(cond: AnyTensor, a: Operand, b: Operand): AnyTensor {
  const x = lift(a, b);
  const y = lift(b, a);
  const shape = broadcastShapes("where", cond.shape, x.shape, y.shape);
  return bind("where", [broadcastTo(cond, shape, "where"), broadcastTo(x, shape, "where"), broadcastTo(y, shape, "where")], {});
}

export function cast(x: AnyTensor, dtype: DType): AnyTensor {
  return x.dtype === dtype ? x : bind("cast", [x], { dtype });
}

// ---------------------------------------------------------------- reductions

export function sum(x: AnyTensor, axes?: number | readonly number[], keepDims = false): AnyTensor {
  const list = normalizeAxes(axes, x.shape.length, "sum", [x.shape]);
  const kept = list.length === 0 ? x : bind("reduceSum", [x], { axes: list }, "sum");
  return keepDims ? kept : dropAxes(kept, list);
}

export function max(x: AnyTensor, axes?: number | readonly number[], keepDims = false): AnyTensor {
  const list = normalizeAxes(axes, x.shape.length, "max", [x.shape]);
  const kept = list.length === 0 ? x : bind("reduceMax", [x], { axes: list }, "max");
  return keepDims ? kept : dropAxes(kept, list);
}

/** Mean over `axes`; int32 inputs average in float32 (an integer mean would truncate). */
export function mean(x: AnyTensor, axes?: number | readonly number[], keepDims = false): AnyTensor {
  const list = normalizeAxes(axes, x.shape.length, "mean", [x.shape]);
  const count = list.reduce((n, a) => n * x.shape[a]!, 1);
  const total = sum(cast(x, "float32"), list, keepDims);
  // The mean of nothing is NaN (0/0), said explicitly: a GPU may compute 0·∞ as 0.
  return count === 0 ? full(total.shape, NaN, "float32") : div(total, count);
}

function dropAxes(x: AnyTensor, axes: readonly number[]): AnyTensor {
  return reshape(x, x.shape.filter((_, i) => !axes.includes(i)));
}

// ---------------------------------------------------------------- movement

/** Reshape; one dim may be -1 (solved from the element count, and it must come out whole). */
export function reshape(x: AnyTensor, shape: readonly number[]): AnyTensor {
  const target = shape.includes(-1) ? resolveReshape("reshape", shape, x.size, x.shape) : [...shape];
  return bind("reshape", [x], { shape: target });
}

export function permute(x: AnyTensor, perm: readonly number[]): AnyTensor {
  return bind("permute", [x], { perm: perm.map((p) => (p < 0 ? p + x.shape.length : p)) });
}

/** Swap the last two axes. */
export function transpose(x: AnyTensor): AnyTensor {
  const r = x.shape.length;
  if (r < 2) throw new ShapeMismatch("transpose", "needs rank >= 2", [x.shape]);
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return permute(x, perm);
}

export function expand(x: AnyTensor, shape: readonly number[]): AnyTensor {
  return bind("expand", [x], { shape: [...shape] });
}

export function slice(
  x: AnyTensor,
  starts: readonly number[],
  ends: readonly number[],
  steps?: readonly number[],
): AnyTensor {
  return bind("slice", [x], { starts: [...starts], ends: [...ends], steps: steps ? [...steps] : starts.map(() => 1) });
}

/** Slice [start, end) along one axis. */
export function sliceAxis(x: AnyTensor, axis: number, start: number, end: number, step = 1): AnyTensor {
  const a = normalizeAxis(axis, x.shape.length, "sliceAxis", [x.shape]);
  const starts = x.shape.map(() => 0);
  const ends = [...x.shape];
  const steps = x.shape.map(() => 1);
  starts[a] = start;
  ends[a] = end;
  steps[a] = step;
  return slice(x, starts, ends, steps);
}

export function pad(x: AnyTensor, pads: Pads, value = 0): AnyTensor {
  return bind("pad", [x], { pads: pads.map(([lo, hi]) => [lo, hi] as const), value });
}

/** Pad where positive, crop where negative (a crop may take a dim down to nothing). */
export function padOrCrop(x: AnyTensor, pads: Pads): AnyTensor {
  const starts = pads.map(([lo], d) => Math.min(Math.max(-lo, 0), x.shape[d]!));
  const ends = pads.map(([, hi], d) => Math.max(x.shape[d]! - Math.max(-hi, 0), starts[d]!));
  const cropped = pads.some(([lo, hi]) => lo < 0 || hi < 0) ? slice(x, starts, ends) : x;
  // Grow back to n + lo + hi, whatever the crop left.
  const grow = pads.map(([lo, hi], d): [number, number] => {
    const target = Math.max(x.shape[d]! + lo + hi, 0);
    const kept = ends[d]! - starts[d]!;
    const before = Math.min(Math.max(lo, 0), Math.max(target - kept, 0));
    return [before, Math.max(target - kept - before, 0)];
  });
  return grow.some(([lo, hi]) => lo > 0 || hi > 0) ? pad(cropped, grow) : cropped;
}

export function flip(x: AnyTensor, axes: number | readonly number[]): AnyTensor {
  return bind("flip", [x], { axes: normalizeAxes(axes, x.shape.length, "flip", [x.shape]) });
}

export function concat(xs: readonly AnyTensor[], axis: number): AnyTensor {
  const first = xs[0];
  if (!first) throw new ShapeMismatch("concat", "needs at least one tensor", []);
  if (xs.length === 1) return first;
  return bind("concat", xs, { axis: normalizeAxis(axis, first.shape.length, "concat", xs.map((t) => t.shape)) });
}

export function stack(xs: readonly AnyTensor[], axis = 0): AnyTensor {
  const first = xs[0];
  if (!first) throw new ShapeMismatch("stack", "needs at least one tensor", []);
  const a = normalizeAxis(axis, first.shape.length + 1, "stack", xs.map((t) => t.shape));
  return concat(
    xs.map((t) => reshape(t, [...t.shape.slice(0, a), 1, ...t.shape.slice(a)])),
    a,
  );
}

// ---------------------------------------------------------------- contractions

/** Batched matmul with equal batch dims: [...b, M, K] · [...b, K, N]. */
export function dot(a: AnyTensor, b: AnyTensor): AnyTensor {
  return bind("dot", [a, b], {});
}

/** numpy-style matmul: batch dims broadcast; rank >= 2 on both sides. */
export function matmul(a: AnyTensor, b: AnyTensor): AnyTensor {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) throw new ShapeMismatch("matmul", "both operands need rank >= 2", [a.shape, b.shape]);
  const [m, k] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [k2, n] = [b.shape[rb - 2]!, b.shape[rb - 1]!];
  if (k !== k2) throw new ShapeMismatch("matmul", `inner dims ${k} and ${k2} differ`, [a.shape, b.shape]);
  const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  return bind("dot", [broadcastTo(a, [...batch, m, k], "matmul"), broadcastTo(b, [...batch, k, n], "matmul")], {}, "matmul");
}

export interface ConvOptions {
  readonly stride?: number | readonly number[];
  /** Symmetric per-dim padding, or explicit [lo, hi] pairs. */
  readonly padding?: number | readonly number[] | Pads;
  readonly dilation?: number | readonly number[];
  readonly groups?: number;
}

/** N-d convolution, channels-last: x [N, ...S, Cin], w [Cout, ...K, Cin/groups] → [N, ...O, Cout]. */
export function conv(x: AnyTensor, w: AnyTensor, options: ConvOptions = {}): AnyTensor {
  const spatial = Math.max(x.shape.length - 2, 0);
  const perDim = (v: number | readonly number[] | undefined, fallback: number, name: string): number[] => {
    if (v === undefined) return new Array<number>(spatial).fill(fallback);
    if (typeof v === "number") return new Array<number>(spatial).fill(v);
    if (v.length !== spatial) throw new ShapeMismatch("conv", `${name} has ${v.length} entries for ${spatial} spatial dims`, [x.shape, w.shape]);
    return [...v];
  };
  const p = options.padding;
  const padding: [number, number][] =
    Array.isArray(p) && p.length > 0 && Array.isArray(p[0])
      ? (p as Pads).map(([lo, hi]) => [lo, hi])
      : perDim(p as number | readonly number[] | undefined, 0, "padding").map((q) => [q, q]);
  if (padding.length !== spatial) throw new ShapeMismatch("conv", `padding has ${padding.length} entries for ${spatial} spatial dims`, [x.shape, w.shape]);
  return bind("conv", [x, w], {
    stride: perDim(options.stride, 1, "stride"),
    padding,
    dilation: perDim(options.dilation, 1, "dilation"),
    groups: options.groups ?? 1,
  });
}
