/**
 * Type tests of `wg.nn`: parameter records typed by their sizes, inits with exact shapes, layers
 * that check at compile time what they check at run time (each wrong program names the layer),
 * wide inputs (`AnyTensor`, unknown dims) accepted with the checks skipped.
 */
import { describe, expectTypeOf, test } from "vitest";
import * as wg from "../../src/index.js";
import type { AnyTensor, Dim, DType, Shape, Tensor } from "../../src/index.js";

const { nn } = wg;
declare const key: wg.Key;
declare const any: AnyTensor;
declare const x23: Tensor<[2, 3]>;
declare const xb: Tensor<["B", 3]>;
declare const xn: Tensor<number[]>;
declare const tok: Tensor<["B", 16, 768]>;
declare const tok512: Tensor<["B", 16, 512]>;
declare const kv: Tensor<["B", 40, 768]>;
declare const video: Tensor<["N", 8, 32, 32, 3]>;
declare const video6: Tensor<[2, 8, 32, 32, 6]>;
declare const feat: Tensor<[2, 5, 3]>;
declare const logits: Tensor<[32, 10]>;
declare const labels: Tensor<[32], "int32">;
declare const labels4: Tensor<[4], "int32">;
declare const flabels: Tensor<[32]>;

describe("records and inits", () => {
  test("initLinear: exact shapes, a required bias unless asked for none", () => {
    expectTypeOf(nn.initLinear(key, 3, 4)).toEqualTypeOf<{ weight: Tensor<[4, 3]>; bias: Tensor<[4]> }>();
    expectTypeOf(nn.initLinear(key, 3, 4, { bias: false })).toEqualTypeOf<{ weight: Tensor<[4, 3]> }>();
    expectTypeOf(nn.initLinear(key, 3, 4)).toExtend<wg.nn.LinearParams<4, 3>>();
    expectTypeOf(nn.initLinear(key, 3, 4, { bias: false })).toExtend<wg.nn.LinearParams<4, 3>>();
    expectTypeOf<wg.nn.LinearParams<4, 3>["weight"]>().toEqualTypeOf<Tensor<[4, 3]>>();
    // plain LinearParams takes any sizes, a checkpoint's AnyTensor included
    expectTypeOf({ weight: any, bias: any }).toExtend<wg.nn.LinearParams>();
    // @ts-expect-error a bias-free init has no bias property
    nn.initLinear(key, 3, 4, { bias: false }).bias;
  });
  test("initConv3d: Cin/groups computed; groups must divide both channel counts", () => {
    expectTypeOf(nn.initConv3d(key, 3, 64, [1, 16, 16])).toEqualTypeOf<{ weight: Tensor<[64, 1, 16, 16, 3]>; bias: Tensor<[64]> }>();
    expectTypeOf(nn.initConv3d(key, 8, 6, [3, 3, 3], { groups: 2 })).toEqualTypeOf<{ weight: Tensor<[6, 3, 3, 3, 4]>; bias: Tensor<[6]> }>();
    expectTypeOf(nn.initConv3d(key, 8, 6, [3, 3, 3], { groups: 2, bias: false })).toEqualTypeOf<{ weight: Tensor<[6, 3, 3, 3, 4]> }>();
    expectTypeOf(nn.initConv3d(key, 8, 6, [3, 3, 3])).toExtend<wg.nn.ConvParams<6, 3, 3, 3, 8>>();
    // @ts-expect-error initConv3d: groups 4 must divide in-channels 6 and out-channels 8
    nn.initConv3d(key, 6, 8, [3, 3, 3], { groups: 4 });
  });
  test("initDepthwiseConv3d: [C·m, k…, 1]", () => {
    expectTypeOf(nn.initDepthwiseConv3d(key, 768, [3, 3, 3])).toEqualTypeOf<{ weight: Tensor<[768, 3, 3, 3, 1]>; bias: Tensor<[768]> }>();
    expectTypeOf(nn.initDepthwiseConv3d(key, 8, [3, 1, 1], { multiplier: 2 })).toEqualTypeOf<{ weight: Tensor<[16, 3, 1, 1, 1]>; bias: Tensor<[16]> }>();
    expectTypeOf(nn.initDepthwiseConv3d(key, 8, [3, 1, 1])).toExtend<wg.nn.DepthwiseConvParams<8, 3, 1, 1>>();
  });
  test("norms, attention, mlp", () => {
    expectTypeOf(nn.initLayerNorm(768)).toEqualTypeOf<{ weight: Tensor<[768]>; bias: Tensor<[768]> }>();
    expectTypeOf(nn.initLayerNorm(768, { bias: false })).toEqualTypeOf<{ weight: Tensor<[768]> }>();
    expectTypeOf(nn.initLayerNorm(768)).toExtend<wg.nn.LayerNormParams<768>>();
    expectTypeOf(nn.initBatchNorm(64)).toEqualTypeOf<{
      params: { weight: Tensor<[64]>; bias: Tensor<[64]> };
      state: { runningMean: Tensor<[64]>; runningVar: Tensor<[64]> };
    }>();
    expectTypeOf(nn.initBatchNorm(64).params).toExtend<wg.nn.BatchNormParams<64>>();
    expectTypeOf(nn.initBatchNorm(64).state).toExtend<wg.nn.BatchNormState<64>>();
    expectTypeOf(nn.initMultiheadAttention(key, 768)).toEqualTypeOf<{
      inProjWeight: Tensor<[2304, 768]>;
      inProjBias: Tensor<[2304]>;
      outProj: { weight: Tensor<[768, 768]>; bias: Tensor<[768]> };
    }>();
    expectTypeOf(nn.initMultiheadAttention(key, 768)).toExtend<wg.nn.MultiheadAttentionParams<768>>();
    expectTypeOf(nn.initMlp(key, 768, 3072)).toEqualTypeOf<{
      fc1: { weight: Tensor<[3072, 768]>; bias: Tensor<[3072]> };
      fc2: { weight: Tensor<[768, 3072]>; bias: Tensor<[768]> };
    }>();
    expectTypeOf(nn.initMlp(key, 768, 3072, 10)).toExtend<wg.nn.MlpParams<768, 3072, 10>>();
  });
});

describe("linear and mlp", () => {
  test("exact results; names flow; wide inputs skip the checks", () => {
    expectTypeOf(nn.linear(x23, nn.initLinear(key, 3, 4))).toEqualTypeOf<Tensor<[2, 4]>>();
    expectTypeOf(nn.linear(xb, nn.initLinear(key, 3, 4, { bias: false }))).toEqualTypeOf<Tensor<["B", 4]>>();
    expectTypeOf(nn.linear(tok, { weight: any })).toEqualTypeOf<Tensor<["B", 16, Dim]>>();
    expectTypeOf(nn.linear(any, nn.initLinear(key, 3, 4))).toEqualTypeOf<Tensor<Dim[], DType>>();
    expectTypeOf(nn.linear(xn, nn.initLinear(key, 3, 4))).toEqualTypeOf<Tensor<Dim[]>>();
    expectTypeOf(nn.mlp(xb, nn.initMlp(key, 3, 8), { activation: "quickGelu" })).toEqualTypeOf<Tensor<["B", 3]>>();
    expectTypeOf(nn.mlp(xb, nn.initMlp(key, 3, 8, 5), { activation: nn.relu })).toEqualTypeOf<Tensor<["B", 5]>>();
  });
  test("mismatches name the layer", () => {
    // @ts-expect-error linear: input features 3 vs weight [4, 5] in-features 5
    nn.linear(x23, nn.initLinear(key, 5, 4));
    // @ts-expect-error linear: bias [5] vs weight [4, 3] out-features 4
    nn.linear(x23, { weight: nn.initLinear(key, 3, 4).weight, bias: wg.zeros([5]) });
    // @ts-expect-error linear: weight must be [out, in], got [4, 3, 1]
    nn.linear(x23, { weight: wg.zeros([4, 3, 1]) });
    // @ts-expect-error mlp fc2: input features 8 vs weight [3, 7] in-features 7
    nn.mlp(xb, { fc1: nn.initLinear(key, 3, 8), fc2: nn.initLinear(key, 7, 3) });
  });
});

describe("conv3d", () => {
  test("output sizes from kernel, stride, padding, dilation", () => {
    expectTypeOf(nn.conv3d(video, nn.initConv3d(key, 3, 64, [3, 3, 3]), { padding: 1 })).toEqualTypeOf<Tensor<["N", 8, 32, 32, 64]>>();
    expectTypeOf(nn.conv3d(video, nn.initConv3d(key, 3, 64, [1, 16, 16]), { stride: [1, 16, 16] })).toEqualTypeOf<Tensor<["N", 8, 2, 2, 64]>>();
    expectTypeOf(nn.conv3d(video6, nn.initConv3d(key, 6, 8, [3, 3, 3], { groups: 2 }), { groups: 2, dilation: 2 })).toEqualTypeOf<Tensor<[2, 4, 28, 28, 8]>>();
    expectTypeOf(nn.depthwiseConv3d(video, nn.initDepthwiseConv3d(key, 3, [3, 1, 1]), { padding: [1, 0, 0] })).toEqualTypeOf<Tensor<["N", 8, 32, 32, 3]>>();
    expectTypeOf(nn.conv3d(video, { weight: any })).toEqualTypeOf<Tensor<["N", number, number, number, Dim]>>();
    expectTypeOf(nn.conv3d(any, nn.initConv3d(key, 3, 64, [3, 3, 3]))).toEqualTypeOf<Tensor<Dim[], DType>>();
  });
  test("channels, groups, rank, bias, depthwise weight", () => {
    // @ts-expect-error conv3d: input channels 6 of [2, 8, 32, 32, 6] do not match weight in-channels 2 x groups 2 of [8, 3, 3, 3, 2]
    nn.conv3d(video6, nn.initConv3d(key, 4, 8, [3, 3, 3], { groups: 2 }), { groups: 2 });
    // @ts-expect-error conv3d: input must be [N, T, H, W, C], got [2, 5, 3]
    nn.conv3d(feat, nn.initConv3d(key, 3, 8, [3, 3, 3]));
    // @ts-expect-error conv3d: bias [4] must be [8], the out-channels of weight [8, 3, 3, 3, 6]
    nn.conv3d(video6, { weight: wg.zeros([8, 3, 3, 3, 6]), bias: wg.zeros([4]) });
    // @ts-expect-error conv3d: window larger than padded input on spatial axis 0 of [1, 2, 8, 8, 6] with weight [8, 3, 3, 3, 6]
    nn.conv3d(wg.zeros([1, 2, 8, 8, 6]), nn.initConv3d(key, 6, 8, [3, 3, 3]));
    // @ts-expect-error depthwiseConv3d: weight [6, 3, 3, 3, 2] must be [6·m, kT, kH, kW, 1] for 6 input channels
    nn.depthwiseConv3d(video6, { weight: wg.zeros([6, 3, 3, 3, 2]) });
    // @ts-expect-error depthwiseConv3d: weight [8, 3, 3, 3, 1] must be [6·m, kT, kH, kW, 1] for 6 input channels
    nn.depthwiseConv3d(video6, { weight: wg.zeros([8, 3, 3, 3, 1]) });
  });
});

describe("normalization", () => {
  test("layerNorm and batchNorm keep the input's type", () => {
    expectTypeOf(nn.layerNorm(tok, nn.initLayerNorm(768))).toEqualTypeOf<Tensor<["B", 16, 768]>>();
    expectTypeOf(nn.layerNorm(tok)).toEqualTypeOf<Tensor<["B", 16, 768]>>();
    expectTypeOf(nn.layerNorm(tok, { weight: any, bias: any })).toEqualTypeOf<Tensor<["B", 16, 768]>>();
    const bn = nn.initBatchNorm(3);
    const out = nn.batchNorm(feat, bn.params, bn.state, { training: true });
    expectTypeOf(out.y).toEqualTypeOf<Tensor<[2, 5, 3]>>();
    expectTypeOf(out.state.runningMean).toEqualTypeOf<Tensor<[3]>>();
    expectTypeOf(nn.batchNorm(any, {}, { runningMean: any, runningVar: any }, { training: false }).y).toEqualTypeOf<AnyTensor>();
  });
  test("parameters must be [C]", () => {
    // @ts-expect-error layerNorm: weight [512] does not match the trailing dims of input [B, 16, 768]
    nn.layerNorm(tok, nn.initLayerNorm(512));
    // @ts-expect-error layerNorm: weight [768] and bias [512] differ
    nn.layerNorm(tok, { weight: wg.zeros([768]), bias: wg.zeros([512]) });
    // @ts-expect-error batchNorm: weight [4] must be [3], the channels of input [2, 5, 3]
    nn.batchNorm(feat, nn.initBatchNorm(4).params, nn.initBatchNorm(3).state, { training: true });
    // @ts-expect-error batchNorm: runningMean [4] must be [3], the channels of input [2, 5, 3]
    nn.batchNorm(feat, nn.initBatchNorm(3).params, nn.initBatchNorm(4).state, { training: true });
    // @ts-expect-error batchNorm: input must be [N, ..., C], got [3]
    nn.batchNorm(wg.zeros([3]), {}, nn.initBatchNorm(3).state, { training: true });
  });
});

describe("attention", () => {
  const mha = nn.initMultiheadAttention(key, 768);
  test("the result has the query's type", () => {
    expectTypeOf(nn.selfAttention(tok, mha, { numHeads: 12 })).toEqualTypeOf<Tensor<["B", 16, 768]>>();
    expectTypeOf(nn.multiheadAttention(tok, kv, kv, mha, { numHeads: 12 })).toEqualTypeOf<Tensor<["B", 16, 768]>>();
    expectTypeOf(nn.selfAttention(any, mha, { numHeads: 5 })).toEqualTypeOf<Tensor<Shape, DType>>();
  });
  test("heads, widths and projections", () => {
    // @ts-expect-error selfAttention: numHeads 5 does not divide the embedding dim 768
    nn.selfAttention(tok, mha, { numHeads: 5 });
    // @ts-expect-error selfAttention: inProjWeight [2304, 768] must be [1536, 512] for embedding dim 512
    nn.selfAttention(tok512, mha, { numHeads: 8 });
    // @ts-expect-error multiheadAttention: key [B, 16, 512] must be [B, Lk, 768] for query [B, 16, 768]
    nn.multiheadAttention(tok, tok512, tok512, mha, { numHeads: 12 });
    // @ts-expect-error multiheadAttention: value [B, 16, 768] and key [B, 40, 768] differ
    nn.multiheadAttention(tok, kv, tok, mha, { numHeads: 12 });
    // @ts-expect-error selfAttention: outProj.weight [512, 768] must be [768, 768] for embedding dim 768
    nn.selfAttention(tok, { ...mha, outProj: nn.initLinear(key, 768, 512) }, { numHeads: 12 });
    // @ts-expect-error selfAttention: inProjBias [768] must be [2304] for embedding dim 768
    nn.selfAttention(tok, { ...mha, inProjBias: wg.zeros([768]) }, { numHeads: 12 });
  });
});

describe("losses", () => {
  test("scalars, or per-sample with reduction none", () => {
    expectTypeOf(nn.crossEntropy(logits, labels)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(nn.crossEntropy(logits, labels, { reduction: "none", labelSmoothing: 0.1 })).toEqualTypeOf<Tensor<[32]>>();
    expectTypeOf(nn.crossEntropy(logits, any)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(nn.mse(x23, x23)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(nn.mse(x23, any, { reduction: "none" })).toEqualTypeOf<Tensor<[2, 3]>>();
  });
  test("labels are int32 [batch]; mse shapes equal", () => {
    // @ts-expect-error crossEntropy: labels must be int32 class indices, got float32
    nn.crossEntropy(logits, flabels);
    // @ts-expect-error crossEntropy: labels [4] must be the leading dims [32] of logits [32, 10]
    nn.crossEntropy(logits, labels4);
    // @ts-expect-error mse: prediction [2, 3] and target [3, 2] differ
    nn.mse(x23, wg.zeros([3, 2]));
    // @ts-expect-error softmax: expected a float32 tensor, got int32
    nn.softmax(labels);
  });
});
