/**
 * @file Element types. float32 is the working type; int32 for indices and counters;
 * bool for masks (stored as one byte a value on the CPU, as u32 on the GPU).
 */
import type { DType } from "./types/shape.js";

export type { DType };

export const DTYPES: readonly DType[] = ["float32", "int32", "bool"];

export function isFloat(dtype: DType): boolean {
  return dtype === "float32";
}

/** Host scalar of a dtype: bools are numbers 0/1 on the host, as everywhere in the interpreter. */
export function castScalar(value: number, dtype: DType): number {
  switch (dtype) {
    case "float32":
      return Math.fround(value);
    case "int32":
      // Toward zero, then clamped to the i32 range (WGSL's f32 → i32 conversion); NaN → 0.
      return Number.isNaN(value) ? 0 : Math.min(Math.max(Math.trunc(value), -2147483648), 2147483647);
    case "bool":
      return value !== 0 ? 1 : 0;
  }
}
