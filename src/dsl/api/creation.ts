/** @file Making tensors: from host data, constants, ranges, and random draws from a Key. */
import * as core from "../core.js";
import { ShapeMismatch } from "../errors.js";
import type { Tensor } from "../tensor.js";
import type { DType, Shape } from "../types/index.js";
import type { Mutable } from "./checked.js";
import { resolveDims } from "../dims.js";
import type { Storage } from "../host/array.js";
import type { Key } from "../random/threefry.js";

type Sizes<S extends Shape> = { readonly [K in keyof S]: number };
export type Nested = number | boolean | readonly Nested[];

function storageFor(dtype: DType, values: ArrayLike<number>): Storage {
  switch (dtype) {
    case "float32":
      return Float32Array.from(values);
    case "int32":
      // Int32Array.from would truncate 1.7, wrap 1e10 and turn NaN into 0 without a word.
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
          throw new RangeError(`tensor: int32 data must be integers in [-2^31, 2^31); element ${i} is ${v} (round it first, e.g. Math.round)`);
        }
      }
      return Int32Array.from(values);
    case "bool":
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

function shapeOfNested(data: Nested): number[] {
  const shape: number[] = [];
  let level: Nested = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = (level as readonly Nested[])[0] ?? 0;
  }
  return shape;
}

/**
 * A tensor from host data with a declared shape, e.g.
 * `tensor([1, 2, 3, 4, 5, 6], [2, 3])` or `tensor([[1, 2], [3, 4]])` (shape inferred).
 */
export function tensor<const S extends Shape = number[], D extends DType = "float32">(
  data: ArrayLike<number> | Nested,
  shape?: S & Sizes<S>,
  dtype?: D,
): Tensor<Mutable<S>, D> {
  const dt = (dtype ?? "float32") as DType;
  const arrayLike = typeof data === "object" && data !== null && typeof (data as { length?: unknown }).length === "number";
  if (!(typeof data === "number" || typeof data === "boolean" || arrayLike)) {
    throw new TypeError(`tensor: data must be a number, a boolean, a (nested) array or a typed array, got ${data === null ? "null" : typeof data}`);
  }
  const isFlat = typeof data === "object" && data !== null && !Array.isArray(data);
  const nested = !isFlat && Array.isArray(data) && data.some((v) => Array.isArray(v));
  const flat: number[] | ArrayLike<number> = nested || typeof data === "number" || typeof data === "boolean"
    ? ([data] as unknown as Nested[]).flat(Infinity as 1).map(Number)
    : (data as ArrayLike<number>);
  const dims = (shape as readonly number[] | undefined) ?? (typeof data === "number" || typeof data === "boolean" ? [] : shapeOfNested(data as Nested));
  const size = dims.reduce((a, b) => a * b, 1);
  if (flat.length !== size) throw new ShapeMismatch("tensor", `${flat.length} values do not fill the shape (${size} elements)`, [dims]);
  return core.constant(storageFor(dt, flat), dims, dt) as never;
}

/**
 * A tensor of `shape` filled with `value`. Inside a traced function the shape may name dims
 * (`["B", 3]`), which take the sizes the names are bound to.
 */
export function full<const S extends Shape, D extends DType = "float32">(shape: S, value: number, dtype?: D): Tensor<Mutable<S>, D> {
  return core.full(resolveDims("full", shape), value, dtype ?? "float32") as never;
}

export function zeros<const S extends Shape, D extends DType = "float32">(shape: S, dtype?: D): Tensor<Mutable<S>, D> {
  return full(shape, 0, dtype);
}

export function ones<const S extends Shape, D extends DType = "float32">(shape: S, dtype?: D): Tensor<Mutable<S>, D> {
  return full(shape, 1, dtype);
}

/** 0, 1, …, n − 1. */
export function arange<const N extends number, D extends DType = "int32">(n: N, dtype?: D): Tensor<[N], D> {
  return core.iota([n], 0, dtype ?? "int32") as never;
}

/** A Key as the int32 [2] tensor the `random` primitive takes. */
export function keyTensor(key: Key): Tensor<[2], "int32"> {
  return core.constant(new Int32Array([key.k0 | 0, key.k1 | 0]), [2], "int32") as never;
}

/** Uniform float32 in [lo, hi). */
export function uniform<const S extends Shape>(key: Key, shape: S & Sizes<S>, lo = 0, hi = 1): Tensor<Mutable<S>, "float32"> {
  const u = core.randomUniform(keyTensor(key), shape as readonly number[]);
  return (lo === 0 && hi === 1 ? u : core.add(core.mul(u, hi - lo), lo)) as never;
}

/** Standard normal (Box–Muller over two independent uniform streams). */
export function normal<const S extends Shape>(key: Key, shape: S & Sizes<S>, std = 1): Tensor<Mutable<S>, "float32"> {
  const [k1, k2] = key.split(2);
  const dims = shape as readonly number[];
  const u1 = core.sub(1, core.randomUniform(keyTensor(k1!), dims)); // (0, 1]: log is finite
  const u2 = core.randomUniform(keyTensor(k2!), dims);
  const radius = core.sqrt(core.mul(core.log(u1), -2));
  return core.mul(core.mul(radius, core.cos(core.mul(u2, 2 * Math.PI))), std) as never;
}
