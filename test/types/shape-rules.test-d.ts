/**
 * @file Type tests for the type-level shape machinery in `src/dsl/types/`.
 *
 * Each rule is checked on valid inputs (fixed sizes, named dims "B"/"T", unknown
 * `number` dims, big literals such as [8, 196, 768] <-> [1568, 768] <-> [1204224])
 * and on invalid ones, where the exact ShapeError message is asserted.
 */
import { describe, expectTypeOf, test } from "vitest";
import type {
  Add,
  Broadcast,
  Compare,
  ConcatShape,
  Conv1dShape,
  Conv2dShape,
  Conv3dShape,
  ConvNdShape,
  ConvOpts,
  ConvOutDim,
  Dim,
  Equal,
  Expect,
  FloorDiv,
  Gte,
  IsNat,
  IsShapeError,
  Lt,
  MatmulShape,
  Mod,
  Mul,
  NormalizeAxis,
  PadShape,
  PermuteShape,
  Product,
  ReduceShape,
  ReshapeShape,
  ShapeError,
  ShowShape,
  SliceAxisShape,
  Sub,
  Sum,
  UnifyDim,
  BroadcastDim,
  DimMismatch,
} from "../../src/dsl/types/index.js";

describe("shape basics", () => {
  test("ShowShape renders tuples, names unquoted, unknown as number", () => {
    type _ = [
      Expect<Equal<ShowShape<[2, 3, "B"]>, "[2, 3, B]">>,
      Expect<Equal<ShowShape<readonly [8, number, "T"]>, "[8, number, T]">>,
      Expect<Equal<ShowShape<[]>, "[]">>,
      Expect<Equal<ShowShape<[1204224]>, "[1204224]">>,
      Expect<Equal<ShowShape<number[]>, "[...]">>,
      Expect<Equal<ShowShape<readonly Dim[]>, "[...]">>,
    ];
    expectTypeOf<ShowShape<["B", "T", 768]>>().toEqualTypeOf<"[B, T, 768]">();
  });

  test("IsShapeError", () => {
    type _ = [
      Expect<Equal<IsShapeError<ShapeError<"x">>, true>>,
      Expect<Equal<IsShapeError<[2, 3]>, false>>,
      Expect<Equal<IsShapeError<never>, false>>,
      Expect<Equal<IsShapeError<number[]>, false>>,
    ];
  });
});

describe("arith", () => {
  test("Mul / Add / Product on big literals", () => {
    type _ = [
      Expect<Equal<Mul<8, 196>, 1568>>,
      Expect<Equal<Mul<1568, 768>, 1204224>>,
      Expect<Equal<Mul<0, 123>, 0>>,
      Expect<Equal<Mul<12345678, 98765432>, 1219326221002896>>,
      Expect<Equal<Add<999, 1>, 1000>>,
      Expect<Equal<Add<0, 0>, 0>>,
      Expect<Equal<Add<1204224, 1568>, 1205792>>,
      Expect<Equal<Product<[8, 196, 768]>, 1204224>>,
      Expect<Equal<Product<readonly [2, 3, 4]>, 24>>,
      Expect<Equal<Product<[]>, 1>>,
      Expect<Equal<Sum<[1, 2, 3]>, 6>>,
      Expect<Equal<Sum<[]>, 0>>,
    ];
  });

  test("wide or non-natural inputs give number", () => {
    type _ = [
      Expect<Equal<Mul<number, 3>, number>>,
      Expect<Equal<Add<3, number>, number>>,
      Expect<Equal<Add<1.5, 1>, number>>,
      Expect<Equal<Add<-1, 1>, number>>,
      Expect<Equal<Product<[8, number]>, number>>,
      Expect<Equal<Product<number[]>, number>>,
      Expect<Equal<Mul<1e21, 1>, number>>,
      // beyond exact double range the digit string does not round-trip
      Expect<Equal<Mul<123456789, 987654321>, number>>,
      Expect<Equal<IsNat<7>, true>>,
      Expect<Equal<IsNat<-7>, false>>,
      Expect<Equal<IsNat<number>, false>>,
    ];
  });

  test("Sub / FloorDiv / Mod / comparisons", () => {
    type _ = [
      Expect<Equal<Sub<1000, 1>, 999>>,
      Expect<Equal<Sub<7, 7>, 0>>,
      Expect<Equal<Sub<3, 5>, -1>>,
      Expect<Equal<Sub<100000, 99999>, 1>>,
      Expect<Equal<Sub<number, 1>, number>>,
      Expect<Equal<FloorDiv<1204224, 768>, 1568>>,
      Expect<Equal<FloorDiv<7, 2>, 3>>,
      Expect<Equal<FloorDiv<0, 3>, 0>>,
      Expect<Equal<FloorDiv<99999999, 9>, 11111111>>,
      Expect<Equal<FloorDiv<1, 0>, number>>,
      Expect<Equal<Mod<17, 5>, 2>>,
      Expect<Equal<Mod<15, 5>, 0>>,
      Expect<Equal<Lt<3, 12>, true>>,
      Expect<Equal<Lt<12, 3>, false>>,
      Expect<Equal<Lt<12, 12>, false>>,
      Expect<Equal<Gte<12, 12>, true>>,
      Expect<Equal<Gte<4095, 4096>, false>>,
      Expect<Equal<Lt<number, 3>, boolean>>,
      Expect<Equal<Compare<10, 9>, "gt">>,
      Expect<Equal<Compare<10, number>, "unknown">>,
    ];
  });
});

describe("dims and axes", () => {
  test("UnifyDim / BroadcastDim", () => {
    type _ = [
      Expect<Equal<UnifyDim<3, 3>, 3>>,
      Expect<Equal<UnifyDim<"B", "B">, "B">>,
      Expect<Equal<UnifyDim<number, "B">, "B">>,
      Expect<Equal<UnifyDim<7, number>, 7>>,
      Expect<Equal<UnifyDim<number, number>, number>>,
      Expect<Equal<UnifyDim<1, 3>, DimMismatch>>,
      Expect<Equal<UnifyDim<"B", 3>, DimMismatch>>,
      Expect<Equal<BroadcastDim<1, 3>, 3>>,
      Expect<Equal<BroadcastDim<"B", 1>, "B">>,
      Expect<Equal<BroadcastDim<1, number>, number>>,
      Expect<Equal<BroadcastDim<"B", "T">, DimMismatch>>,
    ];
  });

  test("NormalizeAxis", () => {
    type _ = [
      Expect<Equal<NormalizeAxis<-1, 3>, 2>>,
      Expect<Equal<NormalizeAxis<-3, 3>, 0>>,
      Expect<Equal<NormalizeAxis<0, 3>, 0>>,
      Expect<Equal<NormalizeAxis<3, 3>, never>>,
      Expect<Equal<NormalizeAxis<-4, 3>, never>>,
      Expect<Equal<NormalizeAxis<number, 3>, number>>,
    ];
  });
});

describe("Broadcast", () => {
  test("valid", () => {
    type _ = [
      Expect<Equal<Broadcast<[2, 1, "B"], [3, 1]>, [2, 3, "B"]>>,
      Expect<Equal<Broadcast<readonly [2, 1], readonly ["B", 1, 3]>, ["B", 2, 3]>>,
      Expect<Equal<Broadcast<["B", "T", 768], [768]>, ["B", "T", 768]>>,
      Expect<Equal<Broadcast<["B", 1, 768], [1, "T", 1]>, ["B", "T", 768]>>,
      Expect<Equal<Broadcast<[number, 1], [4, number]>, [4, number]>>,
      Expect<Equal<Broadcast<["B"], [1]>, ["B"]>>,
      Expect<Equal<Broadcast<[], [2, 3]>, [2, 3]>>,
      Expect<Equal<Broadcast<[], []>, []>>,
      Expect<Equal<Broadcast<number[], [3]>, Dim[]>>,
    ];
  });

  test("errors", () => {
    type _ = [
      Expect<Equal<Broadcast<[2, 3], [4]>, ShapeError<"broadcast: cannot broadcast [2, 3] with [4]">>>,
      Expect<Equal<Broadcast<["B"], [3]>, ShapeError<"broadcast: cannot broadcast [B] with [3]">>>,
      Expect<Equal<Broadcast<["B", "T"], ["T", "B"]>, ShapeError<"broadcast: cannot broadcast [B, T] with [T, B]">>>,
      Expect<Equal<Broadcast<[2, 3], [3, 3], "add">, ShapeError<"add: cannot broadcast [2, 3] with [3, 3]">>>,
    ];
    expectTypeOf<IsShapeError<Broadcast<["B"], ["T"]>>>().toEqualTypeOf<true>();
  });
});

describe("MatmulShape", () => {
  test("valid", () => {
    type _ = [
      Expect<Equal<MatmulShape<[2, 768], [768, 10]>, [2, 10]>>,
      Expect<Equal<MatmulShape<[8, 196, 768], [768, 3072]>, [8, 196, 3072]>>,
      Expect<Equal<MatmulShape<readonly ["B", "T", 768], readonly [768, "V"]>, ["B", "T", "V"]>>,
      Expect<Equal<MatmulShape<["B", 3, 4], [1, 4, 5]>, ["B", 3, 5]>>,
      Expect<Equal<MatmulShape<["B", 1, "T", 64], [12, 64, "T"]>, ["B", 12, "T", "T"]>>,
      Expect<Equal<MatmulShape<["B", "T", number], [768, "V"]>, ["B", "T", "V"]>>,
      Expect<Equal<MatmulShape<number[], [2, 3]>, Dim[]>>,
    ];
  });

  test("errors", () => {
    type _ = [
      Expect<Equal<MatmulShape<[2, 768], [512, 10]>, ShapeError<"matmul: inner dims 768 and 512 differ in [2, 768] and [512, 10]">>>,
      Expect<Equal<MatmulShape<["B", "T", "D"], ["E", "V"]>, ShapeError<"matmul: inner dims D and E differ in [B, T, D] and [E, V]">>>,
      Expect<Equal<MatmulShape<[2, 1], [4, 5]>, ShapeError<"matmul: inner dims 1 and 4 differ in [2, 1] and [4, 5]">>>,
      Expect<Equal<MatmulShape<[3], [3, 4]>, ShapeError<"matmul: operands need rank >= 2, got [3] and [3, 4]">>>,
      Expect<Equal<MatmulShape<[2, 3, 4], [5, 4, 6]>, ShapeError<"matmul: cannot broadcast [2] with [5]">>>,
    ];
  });
});

describe("ReshapeShape", () => {
  test("valid", () => {
    type _ = [
      Expect<Equal<ReshapeShape<[8, 196, 768], [1568, 768]>, [1568, 768]>>,
      Expect<Equal<ReshapeShape<[1568, 768], [1204224]>, [1204224]>>,
      Expect<Equal<ReshapeShape<[1204224], [8, 196, 768]>, [8, 196, 768]>>,
      Expect<Equal<ReshapeShape<readonly [8, 196, 768], readonly [1204224]>, readonly [1204224]>>,
      Expect<Equal<ReshapeShape<["B", "T", 768], ["T", "B", 12, 64]>, ["T", "B", 12, 64]>>,
      Expect<Equal<ReshapeShape<["B", "B", 4], [2, "B", 2, "B"]>, [2, "B", 2, "B"]>>,
      Expect<Equal<ReshapeShape<[], [1, 1]>, [1, 1]>>,
      Expect<Equal<ReshapeShape<[number, 6], [3, 4]>, [3, 4]>>,
      Expect<Equal<ReshapeShape<number[], [3, 4]>, [3, 4]>>,
    ];
  });

  test("errors", () => {
    type _ = [
      Expect<Equal<ReshapeShape<[8, 196, 768], [8, 196, 769]>, ShapeError<"reshape: cannot reshape [8, 196, 768] (size 1204224) to [8, 196, 769] (size 1205792)">>>,
      Expect<Equal<ReshapeShape<["B", 6], ["B", 4]>, ShapeError<"reshape: cannot reshape [B, 6] (size B*6) to [B, 4] (size B*4)">>>,
      Expect<Equal<ReshapeShape<["B", 6], ["T", 6]>, ShapeError<"reshape: cannot reshape [B, 6] (size B*6) to [T, 6] (size T*6)">>>,
      Expect<Equal<ReshapeShape<["B", "T"], ["B"]>, ShapeError<"reshape: cannot reshape [B, T] (size B*T) to [B] (size B)">>>,
      Expect<Equal<ReshapeShape<["B", "B"], ["B", 1]>, ShapeError<"reshape: cannot reshape [B, B] (size B*B) to [B, 1] (size B)">>>,
    ];
  });
});

describe("PermuteShape", () => {
  test("valid", () => {
    type _ = [
      Expect<Equal<PermuteShape<[2, 3, "B"], [2, 0, 1]>, ["B", 2, 3]>>,
      Expect<Equal<PermuteShape<readonly ["B", "T", 12, 64], readonly [0, 2, 1, 3]>, ["B", 12, "T", 64]>>,
      Expect<Equal<PermuteShape<[], []>, []>>,
      Expect<Equal<PermuteShape<[2, 3], [number, 0]>, [number, 2]>>,
      Expect<Equal<PermuteShape<number[], [1, 0]>, Dim[]>>,
    ];
  });

  test("errors", () => {
    type _ = [
      Expect<Equal<PermuteShape<[2, 3, 4], [0, 0, 1]>, ShapeError<"permute: [0, 0, 1] is not a permutation of the axes of [2, 3, 4]">>>,
      Expect<Equal<PermuteShape<[2, 3, 4], [0, 1]>, ShapeError<"permute: [0, 1] is not a permutation of the axes of [2, 3, 4]">>>,
      Expect<Equal<PermuteShape<[2, 3, 4], [0, 1, 3]>, ShapeError<"permute: [0, 1, 3] is not a permutation of the axes of [2, 3, 4]">>>,
      Expect<Equal<PermuteShape<[2, 3], [-1, 0]>, ShapeError<"permute: [-1, 0] is not a permutation of the axes of [2, 3]">>>,
    ];
  });
});

describe("ReduceShape", () => {
  test("valid", () => {
    type _ = [
      Expect<Equal<ReduceShape<[2, 3, 4], [-1], false>, [2, 3]>>,
      Expect<Equal<ReduceShape<[2, 3, 4], [0, 2], true>, [1, 3, 1]>>,
      Expect<Equal<ReduceShape<[2, 3, 4], [2, 0], false>, [3]>>,
      Expect<Equal<ReduceShape<readonly ["B", "T", 768], readonly [1], true>, ["B", 1, 768]>>,
      Expect<Equal<ReduceShape<["B", "T", 768], [-2, -1], false>, ["B"]>>,
      Expect<Equal<ReduceShape<[2, 3, 4], [], false>, [2, 3, 4]>>,
      Expect<Equal<ReduceShape<[2, 3, 4], number[], true>, [number, number, number]>>,
      Expect<Equal<ReduceShape<[2, 3, 4], number[], false>, Dim[]>>,
      Expect<Equal<ReduceShape<[2, 3, 4], [0], boolean>, Dim[]>>,
    ];
  });

  test("errors", () => {
    type _ = [
      Expect<Equal<ReduceShape<[2, 3, 4], [3], true>, ShapeError<"reduce: axis 3 is out of range for [2, 3, 4]">>>,
      Expect<Equal<ReduceShape<[2, 3, 4], [-4], false>, ShapeError<"reduce: axis -4 is out of range for [2, 3, 4]">>>,
      Expect<Equal<ReduceShape<[2, 3, 4], [2, -1], true>, ShapeError<"reduce: axis -1 is repeated in [2, -1] for [2, 3, 4]">>>,
    ];
  });
});

describe("ConcatShape", () => {
  test("valid", () => {
    type _ = [
      Expect<Equal<ConcatShape<[[2, 3], [2, 5], [2, 1]], 1>, [2, 9]>>,
      Expect<Equal<ConcatShape<readonly [readonly [2, 3], readonly [2, 5]], -1>, [2, 8]>>,
      Expect<Equal<ConcatShape<[["B", 3], ["B", 5]], -1>, ["B", 8]>>,
      Expect<Equal<ConcatShape<[["B", 768], ["T", 768]], 0>, [number, 768]>>,
      Expect<Equal<ConcatShape<[[2, 3], [number, 5]], 1>, [2, 8]>>,
      Expect<Equal<ConcatShape<[[8, 196, 768], [8, 1, 768]], 1>, [8, 197, 768]>>,
      Expect<Equal<ConcatShape<[[2, 3]], 0>, [2, 3]>>,
      Expect<Equal<ConcatShape<[[2, 3], [2, 3]], number>, Dim[]>>,
    ];
  });

  test("errors", () => {
    type _ = [
      Expect<Equal<ConcatShape<[], 0>, ShapeError<"concat: no inputs">>>,
      Expect<Equal<ConcatShape<[[2, 3], [2, 3]], 2>, ShapeError<"concat: axis 2 is out of range for [2, 3]">>>,
      Expect<Equal<ConcatShape<[[2, 3], [2, 3, 4]], 0>, ShapeError<"concat: rank mismatch between [2, 3] and [2, 3, 4]">>>,
      Expect<Equal<ConcatShape<[[2, 3], [4, 3]], 1>, ShapeError<"concat: dim 0 differs between [2, 3] and [4, 3]">>>,
      Expect<Equal<ConcatShape<[["B", 3], ["B", 5], ["T", 1]], 1>, ShapeError<"concat: dim 0 differs between [B, 3] and [T, 1]">>>,
    ];
  });
});

describe("SliceAxisShape", () => {
  test("valid", () => {
    type _ = [
      Expect<Equal<SliceAxisShape<[2, 10, 4], 1, 2, 7>, [2, 5, 4]>>,
      Expect<Equal<SliceAxisShape<readonly [2, 3, 4], -1, 1, 3>, [2, 3, 2]>>,
      Expect<Equal<SliceAxisShape<["B", "T", 4], 1, 0, 5>, ["B", 5, 4]>>,
      Expect<Equal<SliceAxisShape<[2, 3, 4], 1, 3, 3>, [2, 0, 4]>>,
      Expect<Equal<SliceAxisShape<[2, 3, 4], 1, number, 3>, [2, number, 4]>>,
      Expect<Equal<SliceAxisShape<[2, 3, 4], number, 0, 1>, Dim[]>>,
    ];
  });

  test("errors", () => {
    type _ = [
      Expect<Equal<SliceAxisShape<[2, 3, 4], 1, 2, 5>, ShapeError<"slice: [2, 5) is out of range for axis 1 of [2, 3, 4]">>>,
      Expect<Equal<SliceAxisShape<[2, 3, 4], 0, 2, 1>, ShapeError<"slice: [2, 1) is out of range for axis 0 of [2, 3, 4]">>>,
      Expect<Equal<SliceAxisShape<[2, 3, 4], 3, 0, 1>, ShapeError<"slice: axis 3 is out of range for [2, 3, 4]">>>,
    ];
  });
});

describe("PadShape", () => {
  test("valid", () => {
    type _ = [
      Expect<Equal<PadShape<[2, "B", 4], [[1, 1], [2, 2], [0, 3]]>, [4, number, 7]>>,
      Expect<Equal<PadShape<readonly [2, 3], readonly [readonly [1, 1], readonly [0, 0]]>, [4, 3]>>,
      Expect<Equal<PadShape<[1, 224, 224, 3], [[0, 0], [3, 3], [3, 3], [0, 0]]>, [1, 230, 230, 3]>>,
      Expect<Equal<PadShape<[2, 3], [[number, 1], [0, 0]]>, [number, 3]>>,
    ];
  });

  test("errors", () => {
    type _ = [
      Expect<Equal<PadShape<[2, 3, 4], [[1, 1], [2, 2]]>, ShapeError<"pad: expected 3 [lo, hi] pairs for [2, 3, 4], got 2">>>,
    ];
  });
});

describe("convolution", () => {
  test("ConvOutDim", () => {
    type _ = [
      Expect<Equal<ConvOutDim<224, 7, 2, 3, 3, 1>, 112>>,
      Expect<Equal<ConvOutDim<224, 16, 16, 0, 0, 1>, 14>>,
      Expect<Equal<ConvOutDim<16, 3, 1, 0, 0, 2>, 12>>,
      Expect<Equal<ConvOutDim<3, 3>, 1>>,
      Expect<Equal<ConvOutDim<7, 3, 2, 1, 1, 1>, 4>>,
      Expect<Equal<ConvOutDim<"H", 3, 1, 1, 1, 1>, number>>,
      Expect<Equal<ConvOutDim<number, 3>, number>>,
      Expect<Equal<ConvOutDim<2, 5, 1, 0, 0, 1>, ShapeError<"conv: window larger than padded input">>>,
      Expect<Equal<ConvOutDim<8, 3, 0, 1, 1, 1>, ShapeError<"conv: stride, dilation and kernel size must be positive">>>,
    ];
  });

  test("Conv3dShape valid", () => {
    type _ = [
      // video patch embedding: 2x16x16 tubelets
      Expect<Equal<Conv3dShape<[2, 16, 224, 224, 3], [768, 2, 16, 16, 3], { stride: [2, 16, 16] }>, [2, 8, 14, 14, 768]>>,
      Expect<Equal<
        Conv3dShape<readonly [2, 16, 224, 224, 3], readonly [768, 2, 16, 16, 3], { readonly stride: readonly [2, 16, 16] }>,
        [2, 8, 14, 14, 768]
      >>,
      Expect<Equal<Conv3dShape<["B", 8, 32, 32, 64], [64, 3, 3, 3, 64], { padding: [1, 1, 1] }>, ["B", 8, 32, 32, 64]>>,
      Expect<Equal<Conv3dShape<[1, 8, 8, 8, 8], [8, 3, 3, 3, 2], { groups: 4; padding: 1 }>, [1, 8, 8, 8, 8]>>,
      Expect<Equal<Conv3dShape<[1, 9, 9, 9, 4], [4, 3, 3, 3, 4], { stride: 2; dilation: [1, 2, 1] }>, [1, 4, 3, 4, 4]>>,
      Expect<Equal<Conv3dShape<[1, 8, 8, 8, "C"], [8, 3, 3, 3, "C"]>, [1, 6, 6, 6, 8]>>,
      Expect<Equal<Conv3dShape<[1, "T", 8, 8, 3], [8, 3, 3, 3, 3], {}>, [1, number, 6, 6, 8]>>,
      Expect<Equal<Conv3dShape<[1, 8, 8, 8, 3], [4, 3, 3, 3, 3], ConvOpts>, [1, number, number, number, 4]>>,
    ];
  });

  test("Conv3dShape errors", () => {
    type _ = [
      Expect<Equal<
        Conv3dShape<[1, 8, 2, 8, 3], [4, 3, 3, 3, 3]>,
        ShapeError<"conv: window larger than padded input on spatial axis 1 of [1, 8, 2, 8, 3] with weight [4, 3, 3, 3, 3]">
      >>,
      Expect<Equal<
        Conv3dShape<[1, 8, 8, 3], [4, 3, 3, 3]>,
        ShapeError<"conv3d: expected input [N, T, H, W, C] and weight [Cout, kT, kH, kW, C/groups], got [1, 8, 8, 3] and [4, 3, 3, 3]">
      >>,
      Expect<Equal<
        Conv3dShape<[1, 8, 8, 8, 6], [6, 3, 3, 3, 4], { groups: 2 }>,
        ShapeError<"conv: input channels 6 of [1, 8, 8, 8, 6] do not match weight in-channels 4 x groups 2 of [6, 3, 3, 3, 4]">
      >>,
      Expect<Equal<
        Conv3dShape<[1, 8, 8, 8, "C"], [8, 3, 3, 3, 4]>,
        ShapeError<"conv: input channels C of [1, 8, 8, 8, C] do not match weight in-channels 4 x groups 1 of [8, 3, 3, 3, 4]">
      >>,
      Expect<Equal<
        Conv3dShape<[1, 8, 8, 8, 8], [6, 3, 3, 3, 2], { groups: 4 }>,
        ShapeError<"conv: output channels 6 of [6, 3, 3, 3, 2] are not divisible by groups 4">
      >>,
      Expect<Equal<
        Conv3dShape<[1, 8, 8, 8, 3], [4, 3, 3, 3, 3], { stride: [2, 2] }>,
        ShapeError<"conv: stride must have 3 entries, got [2, 2]">
      >>,
    ];
  });

  test("ConvNdShape and the 1d/2d variants", () => {
    type _ = [
      Expect<Equal<Conv2dShape<[1, 32, 32, 3], [16, 3, 3, 3], { stride: 2; padding: 1 }>, [1, 16, 16, 16]>>,
      Expect<Equal<Conv1dShape<["B", 100, 80], [256, 3, 80], { padding: [1] }>, ["B", 100, 256]>>,
      Expect<Equal<ConvNdShape<[1, 32, 3], [16, 5, 3], { dilation: [2] }>, [1, 24, 16]>>,
      Expect<Equal<ConvNdShape<[1, 3], [4, 3]>, ShapeError<"conv: input [1, 3] and weight [4, 3] need the same rank >= 3">>>,
      Expect<Equal<
        Conv2dShape<[1, 32, 32, 3], [16, 3, 3, 3, 3]>,
        ShapeError<"conv2d: expected input [N, H, W, C] and weight [Cout, kH, kW, C/groups], got [1, 32, 32, 3] and [16, 3, 3, 3, 3]">
      >>,
    ];
    expectTypeOf<Conv2dShape<[1, 28, 28, 1], [8, 5, 5, 1]>>().toEqualTypeOf<[1, 24, 24, 8]>();
  });
});

describe("ReshapeShape with -1", () => {
  test("the hole is solved: a literal, the one name left over, or number", () => {
    type _ = [
      Expect<Equal<ReshapeShape<[2, 6], [3, -1]>, [3, 4]>>,
      Expect<Equal<ReshapeShape<[8, 196, 768], [-1, 768]>, [1568, 768]>>,
      Expect<Equal<ReshapeShape<["B", 6], [6, -1]>, [6, "B"]>>,
      Expect<Equal<ReshapeShape<["B", "T", 768], ["B", -1]>, ["B", number]>>,
      Expect<Equal<ReshapeShape<["B", 8, 196, 768], ["B", -1, 768]>, ["B", 1568, 768]>>,
      Expect<Equal<ReshapeShape<[number, 6], [-1, 3]>, [number, 3]>>,
      Expect<Equal<ReshapeShape<number[], [-1, 3]>, [number, 3]>>,
    ];
  });
  test("a hole that cannot be filled is an error", () => {
    type _ = [
      Expect<Equal<ReshapeShape<[2, 6], [5, -1]>, ShapeError<"reshape: 12 elements of [2, 6] do not split into [5, -1]">>>,
      Expect<Equal<ReshapeShape<[2, 6], [-1, -1]>, ShapeError<"reshape: only one dim of [-1, -1] can be -1">>>,
      Expect<Equal<ReshapeShape<["B", 6], ["T", -1]>, ShapeError<"reshape: [T, -1] names a dim [B, 6] does not have">>>,
    ];
  });
});
