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
  ShapeError,
  SliceAxisShape,
} from "../types/index.js";
import type { Checked, Mutable, Ok } from "./checked.js";
import { resolveDims, resolveReshape } from "../dims.js";

/**
 * Reshape to `shape`: fixed dims, named dims and at most one `-1`; the element counts must
 * agree. Inside a traced function a name takes the size it is bound to (the specs given to
 * trace/jit/gpuJit/grad, or `bindings`); one name not yet bound is solved from the element
 * count (it must come out whole) and keeps that size for the rest of the trace.
 */
export function reshape<S extends Shape, const To extends Shape, D extends DType>(
  x: Tensor<S, D>,
  shape: Checked<ReshapeShape<S, To>, To>,
  bindings: Readonly<Record<string, number>> = {},
): Tensor<Ok<ReshapeShape<S, To>>, D> {
  return core.reshape(x, resolveReshape("reshape", target(shape), x.size, x.shape, bindings)) as never;
}

/** The target the caller wrote (a failed rule's ShapeError type was already reported at the call). */
function target<To extends Shape>(shape: To | ShapeError<string>): Shape {
  if (!Array.isArray(shape)) throw new TypeError(`reshape: the shape must be an array of dims, got ${typeof shape}`);
  return shape;
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

/**
 * Broadcast to `shape` (numpy rules: leading dims may be added, size-1 dims stretched); inside
 * a traced function the shape may name bound dims.
 */
export function broadcastTo<S extends Shape, const To extends Shape, D extends DType>(
  x: Checked<Broadcast<S, To, "broadcastTo">, Tensor<S, D>>,
  shape: To,
): Tensor<Mutable<To>, D> {
  return core.broadcastTo(x as Tensor<S, D>, resolveDims("broadcastTo", shape)) as never;
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
