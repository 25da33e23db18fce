/**
 * @file Public entry of the type-level shape machinery: shapes, errors, arithmetic and
 * the per-op shape rules. The digit-string engine (`digits.ts`, `digit-tables.ts`) is internal
 * and not re-exported.
 */
export type { Dim, DType, IsShapeError, Shape, ShapeError, ShapeErrorMessage, ShowDim, ShowShape, UnknownRank } from "./shape.js";
export type { Add, Compare, FloorDiv, Gte, IsNat, Lt, Mod, Mul, NatStr, Product, Sub, Sum, ToNum } from "./arith.js";
export type { BroadcastDim, DimMismatch, IsFixedDim, IsNamedDim, IsUnknownDim, UnifyDim } from "./dim.js";
export type { NormalizeAxis } from "./axis.js";
export type { Broadcast } from "./broadcast.js";
export type { MatmulShape } from "./matmul.js";
export type { ReshapeShape } from "./reshape.js";
export type { PermuteShape } from "./permute.js";
export type { ReduceShape } from "./reduce.js";
export type { ConcatShape } from "./concat.js";
export type { SliceAxisShape } from "./slice.js";
export type { PadShape } from "./pad.js";
export type { Conv1dShape, Conv2dShape, Conv3dShape, ConvNdShape, ConvOpts, ConvOutDim } from "./conv.js";
export type { Equal, Expect } from "./testing.js";
