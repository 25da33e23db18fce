/** @file Typed movement ops (views): the result shapes are computed by the type-level rules. */
import * as core from "../core.js";
import type { Tensor } from "../tensor.js";
import type {
  Broadcast,
  ConcatShape,
  DType,
  Dim,
  PadShape,
  PermuteShape,
  ReshapeShape,
  Shape,
  SliceAxisShape,
} from "../types/index.js";
import type { Checked, Ok } from "./checked.js";

/** Reshape to `shape` (fixed and named dims; the element counts must agree). */
export function reshape<S extends Shape, const To extends Shape, D extends DType>(
  x: Tensor<S, D>,
  shape: Checked<ReshapeShape<S, To>, To>,
  bindings: Readonly<Record<string, number>> = {},
): Tensor<Ok<ReshapeShape<S, To>>, D> {
  const target = (shape as To).map((d) => (typeof d === "number" ? d : resolveNamed(d, x, shape as To, bindings)));
  return core.reshape(x, target) as never;
}

/** A named dim in a reshape target takes its size from `bindings`, or from the same name's
 *  only possible size (the input's size divided by the other dims). */
function resolveNamed(name: string, x: Tensor<Shape, DType>, target: readonly Dim[], bindings: Readonly<Record<string, number>>): number {
  const bound = bindings[name];
  if (bound !== undefined) return bound;
  const named = target.filter((d) => typeof d === "string");
  if (named.length !== 1) {
    throw new Error(`reshape: named dims ${named.join(", ")} need sizes: pass bindings such as { ${name}: 2 }`);
  }
  const known = target.reduce<number>((n, d) => (typeof d === "number" ? n * d : n), 1);
  return x.size / known;
}

export function permute<S extends Shape, const P extends readonly number[], D extends DType>(
  x: Tensor<S, D>,
  perm: Checked<PermuteShape<S, P>, P>,
): Tensor<Ok<PermuteShape<S, P>>, D> {
  return core.permute(x, perm as P) as never;
}

type SwapLast<S extends Shape> = S extends readonly [...infer Lead extends Shape, infer A, infer B] ? [...Lead, B, A] : Dim[];

/** Swap the last two axes. */
export function transpose<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<SwapLast<S>, D> {
  return core.transpose(x) as never;
}

/** Broadcast to `shape` (numpy rules: leading dims may be added, size-1 dims stretched). */
export function broadcastTo<S extends Shape, const To extends Shape, D extends DType>(
  x: Checked<Broadcast<S, To, "broadcastTo">, Tensor<S, D>>,
  shape: To & readonly number[],
): Tensor<To, D> {
  return core.broadcastTo(x as Tensor<S, D>, shape) as never;
}

/** `x[start:end]` along `axis`. */
export function sliceAxis<S extends Shape, const Ax extends number, const Start extends number, const End extends number, D extends DType>(
  x: Checked<SliceAxisShape<S, Ax, Start, End>, Tensor<S, D>>,
  axis: Ax,
  start: Start,
  end: End,
): Tensor<Ok<SliceAxisShape<S, Ax, Start, End>>, D> {
  return core.sliceAxis(x as Tensor<S, D>, axis, start, end) as never;
}

/** A strided window on every axis; the result's dims are not tracked by the types. */
export function slice<S extends Shape, D extends DType>(
  x: Tensor<S, D>,
  starts: readonly number[],
  ends: readonly number[],
  steps?: readonly number[],
): Tensor<{ [K in keyof S]: number }, D> {
  return core.slice(x, starts, ends, steps) as never;
}

export function pad<S extends Shape, const P extends readonly (readonly [number, number])[], D extends DType>(
  x: Checked<PadShape<S, P>, Tensor<S, D>>,
  pads: P,
  value = 0,
): Tensor<Ok<PadShape<S, P>>, D> {
  return core.pad(x as Tensor<S, D>, pads, value) as never;
}

export function flip<S extends Shape, D extends DType>(x: Tensor<S, D>, axes: number | readonly number[]): Tensor<S, D> {
  return core.flip(x, axes) as never;
}

type ShapesOf<T extends readonly Tensor<Shape, DType>[]> = { [K in keyof T]: T[K] extends Tensor<infer S, DType> ? S : never };

export function concat<const T extends readonly Tensor<Shape, D>[], const Ax extends number, D extends DType = "float32">(
  xs: Checked<ConcatShape<ShapesOf<T>, Ax>, T>,
  axis: Ax,
): Tensor<Ok<ConcatShape<ShapesOf<T>, Ax>>, D> {
  return core.concat(xs as T, axis) as never;
}

/** Stack equal-shaped tensors along a new axis (the result's dims are not tracked). */
export function stack<S extends Shape, D extends DType>(xs: readonly Tensor<S, D>[], axis = 0): Tensor<Dim[], D> {
  return core.stack(xs, axis) as never;
}
