/**
 * @file The CPU interpreter's value: a flat typed buffer seen through a view.
 *
 * Storage: float32 tensors live in Float32Array, so every primitive rounds its result to f32
 * exactly as a GPU does; reductions, dots and convs accumulate in f64 (JS numbers) and round
 * once, which makes the interpreter the more accurate side of every GPU comparison. In "f64"
 * precision (used for finite-difference gradient checks) float32 tensors use Float64Array.
 */
import type { DType } from "../dtype.js";
import { contiguousView, forEachPosition, isContiguous, sizeOf, type View } from "./view.js";

export type Precision = "f32" | "f64";
export type Storage = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface CpuArray {
  readonly data: Storage;
  readonly dtype: DType;
  readonly view: View;
}

export function allocate(dtype: DType, size: number, precision: Precision): Storage {
  switch (dtype) {
    case "float32":
      return precision === "f64" ? new Float64Array(size) : new Float32Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
  }
}

export function fromFlat(data: Storage, dtype: DType, shape: readonly number[]): CpuArray {
  return { data, dtype, view: contiguousView(shape) };
}

/** The elements in row-major order as a fresh-or-shared contiguous buffer (no copy if possible). */
export function materialize(arr: CpuArray, precision?: Precision): Storage {
  const { view, data } = arr;
  const size = sizeOf(view.shape);
  const wantF64 = precision === "f64" && arr.dtype === "float32";
  const sameKind = precision === undefined || wantF64 === data instanceof Float64Array || arr.dtype !== "float32";
  if (sameKind && isContiguous(view) && view.offset === 0 && data.length === size) return data;
  if (sameKind && isContiguous(view)) return data.subarray(view.offset, view.offset + size);
  const out = allocate(arr.dtype, size, precision ?? (data instanceof Float64Array ? "f64" : "f32"));
  const pad = view.padValue ?? 0;
  forEachPosition(view, (pos, i) => {
    out[i] = pos < 0 ? pad : data[pos]!;
  });
  return out;
}

/** A contiguous copy-if-needed of `arr`, as a CpuArray. */
export function contiguous(arr: CpuArray, precision?: Precision): CpuArray {
  return fromFlat(materialize(arr, precision), arr.dtype, arr.view.shape);
}

export function toNumbers(arr: CpuArray): number[] {
  return Array.from(materialize(arr));
}
