/**
 * @file The closed set of primitives and each one's static parameters. `OpName` is derived
 * from this interface, so adding a primitive starts here, and the registry's type then demands
 * its definition.
 */
import type { DType } from "../dtype.js";
import type { CpuArray } from "../host/array.js";

type None = Record<string, never>;
export type Pads = readonly (readonly [number, number])[];

export interface OpParams {
  // sources
  constant: { readonly value: CpuArray };
  input: { readonly name: string; readonly shape: readonly number[]; readonly dtype: DType };
  full: { readonly shape: readonly number[]; readonly value: number; readonly dtype: DType };
  iota: { readonly shape: readonly number[]; readonly axis: number; readonly dtype: DType };
  random: { readonly shape: readonly number[] };
  // unary
  neg: None;
  exp: None;
  log: None;
  sin: None;
  cos: None;
  sqrt: None;
  recip: None;
  tanh: None;
  erf: None;
  // binary
  add: None;
  sub: None;
  mul: None;
  div: None;
  max: None;
  pow: None;
  cmplt: None;
  cmpeq: None;
  // ternary, cast
  where: None;
  cast: { readonly dtype: DType };
  // reductions (keep reduced dims as size 1)
  reduceSum: { readonly axes: readonly number[] };
  reduceMax: { readonly axes: readonly number[] };
  // movement (views)
  reshape: { readonly shape: readonly number[] };
  permute: { readonly perm: readonly number[] };
  expand: { readonly shape: readonly number[] };
  slice: { readonly starts: readonly number[]; readonly ends: readonly number[]; readonly steps: readonly number[] };
  pad: { readonly pads: Pads; readonly value: number };
  flip: { readonly axes: readonly number[] };
  concat: { readonly axis: number };
  // ordering: x once `after` exists (rematerialisation); not a view for the MOVEMENT rules
  barrier: None;
  // contractions
  dot: None;
  conv: {
    readonly stride: readonly number[];
    readonly padding: Pads;
    readonly dilation: readonly number[];
    readonly groups: number;
  };
}

export type OpName = keyof OpParams;

/** Groups let rules match families rather than names (as tinygrad's GroupOp does). */
export const UNARY = ["neg", "exp", "log", "sin", "cos", "sqrt", "recip", "tanh", "erf"] as const;
export const BINARY = ["add", "sub", "mul", "div", "max", "pow", "cmplt", "cmpeq"] as const;
export const MOVEMENT = ["reshape", "permute", "expand", "slice", "pad", "flip", "concat"] as const;
export const SOURCES = ["constant", "input", "full", "iota", "random"] as const;
export const REDUCE = ["reduceSum", "reduceMax"] as const;
