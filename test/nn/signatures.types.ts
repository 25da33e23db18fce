/**
 * @file Compile-time tests for the nn signatures, checked by `tsc -p tsconfig.json --noEmit`
 * (part of `npm test`); kept out of vitest's typecheck pass, which costs ~25 s on its own.
 * Shapes flow through typed tensors (same-shape composites keep S and D; linear maps the last
 * dim to the weight's out dim; attention keeps the query's shape; conv3d keeps N and takes
 * Cout from the weight and computes the spatial sizes), `AnyTensor` stays unknown-shaped, and
 * statically wrong calls (int dtypes, in-feature mismatch, wrong rank) fail to compile. The
 * fuller set, with the messages, is test/types/nn.test-d.ts.
 */
import type { AnyTensor, Tensor } from "../../src/dsl/tensor.js";
import type { Dim, DType } from "../../src/dsl/types/shape.js";
import type { Equal, Expect } from "../../src/dsl/types/testing.js";
import {
  batchNorm,
  causalMask,
  conv3d,
  convWeightFromTorch,
  convWeightToTorch,
  crossEntropy,
  depthwiseConv3d,
  dropout,
  gelu,
  initLinear,
  layerNorm,
  linear,
  logSoftmax,
  mse,
  multiheadAttention,
  normal,
  scaledDotProductAttention,
  selfAttention,
  softmax,
} from "../../src/dsl/nn/index.js";
import type { Key } from "../../src/dsl/random/threefry.js";

declare const x: Tensor<["B", 16, 768], "float32">;
declare const any: AnyTensor;
declare const ints: Tensor<[4, 3], "int32">;
declare const w: Tensor<[3072, 768], "float32">;
declare const wBad: Tensor<[3072, 512], "float32">;
declare const key: Key;
declare const kv: Tensor<["B", 40, 768], "float32">;
declare const q: Tensor<[2, 4, 5, 8], "float32">;
declare const v: Tensor<[2, 4, 7, 3], "float32">;
declare const video: Tensor<["N", 8, 32, 32, 3], "float32">;
declare const image: Tensor<["N", 32, 32, 3], "float32">;
declare const k3: Tensor<[64, 3, 3, 3, 3], "float32">;
declare const dk: Tensor<[3, 3, 3, 3, 1], "float32">;
declare const torchW: Tensor<[64, 3, 2, 4, 5], "float32">;
declare const logits: Tensor<[32, 10], "float32">;

type X = Tensor<["B", 16, 768], "float32">;
const params = { inProjWeight: any, inProjBias: any, outProj: { weight: any, bias: any } };
const lin = initLinear(key, 768, 3072);

export type SignatureTests = [
  // same-shape composites keep shape and dtype; AnyTensor stays AnyTensor
  Expect<Equal<ReturnType<typeof layerNorm<["B", 16, 768]>>, X>>,
  Expect<Equal<typeof softmaxX, X>>,
  Expect<Equal<typeof logSoftmaxX, X>>,
  Expect<Equal<typeof geluX, X>>,
  Expect<Equal<typeof dropoutX, X>>,
  Expect<Equal<typeof batchNormY, X>>,
  Expect<Equal<typeof softmaxAny, AnyTensor>>,
  // linear: [...lead, in] · [out, in]ᵀ → [...lead, out]
  Expect<Equal<typeof linearX, Tensor<["B", 16, 3072], "float32">>>,
  Expect<Equal<typeof linearAnyW, Tensor<["B", 16, Dim], "float32">>>,
  Expect<Equal<typeof linearAnyX, Tensor<Dim[], DType>>>,
  Expect<Equal<typeof lin.weight, Tensor<[3072, 768], "float32">>>,
  Expect<Equal<typeof linearInit, Tensor<["B", 16, 3072], "float32">>>,
  // attention keeps the query's shape; sdpa takes the value's last dim
  Expect<Equal<typeof crossAttn, X>>,
  Expect<Equal<typeof selfAttn, X>>,
  Expect<Equal<typeof sdpa, Tensor<[2, 4, 5, 3], "float32">>>,
  Expect<Equal<typeof causal, Tensor<[3, 3], "float32">>>,
  Expect<Equal<typeof causalRect, Tensor<[2, 5], "float32">>>,
  // conv3d: N from x, Cout from the weight, spatial sizes from kernel/stride/padding; layout conversion permutes the tuple
  Expect<Equal<typeof conv, Tensor<["N", 8, 32, 32, 64], "float32">>>,
  Expect<Equal<typeof depthwise, Tensor<["N", 6, 30, 30, 3], "float32">>>,
  Expect<Equal<typeof fromTorch, Tensor<[64, 2, 4, 5, 3], "float32">>>,
  Expect<Equal<typeof roundTrip, Tensor<[64, 3, 2, 4, 5], "float32">>>,
  // losses are scalars unless reduction is "none"; initializers type their shape
  Expect<Equal<typeof ce, Tensor<[], "float32">>>,
  Expect<Equal<typeof ceNone, Tensor<[32], "float32">>>,
  Expect<Equal<typeof mseX, Tensor<[], "float32">>>,
  Expect<Equal<typeof init, Tensor<[2, 3], "float32">>>,
];

declare const softmaxX: ReturnType<typeof softmax<["B", 16, 768], "float32">>;
const logSoftmaxX = logSoftmax(x, 1);
const geluX = gelu(x);
const dropoutX = dropout(x, 0.1, key);
const batchNormY = batchNorm(x, {}, { runningMean: any, runningVar: any }, { training: true }).y;
const softmaxAny = softmax(any);
const linearX = linear(x, { weight: w });
const linearAnyW = linear(x, { weight: any });
const linearAnyX = linear(any, { weight: w });
const linearInit = linear(x, lin);
const crossAttn = multiheadAttention(x, kv, kv, params, { numHeads: 12 });
const selfAttn = selfAttention(x, params, { numHeads: 12 });
const sdpa = scaledDotProductAttention(q, any, v);
const causal = causalMask(3);
const causalRect = causalMask(2, 5);
const conv = conv3d(video, { weight: k3 }, { padding: 1 });
const depthwise = depthwiseConv3d(video, { weight: dk });
const fromTorch = convWeightFromTorch(torchW);
const roundTrip = convWeightToTorch(fromTorch);
const ce = crossEntropy(logits, any);
const ceNone = crossEntropy(logits, any, { reduction: "none" });
const mseX = mse(logits, any);
const init = normal(key, [2, 3]);

export function rejected(): void {
  // @ts-expect-error int tensors are not accepted where float32 is required
  softmax(ints);
  // @ts-expect-error int tensors are not accepted where float32 is required
  layerNorm(ints);
  // @ts-expect-error in-features 512 ≠ the input's last dim 768
  linear(x, { weight: wBad });
  // @ts-expect-error conv3d takes a rank-5 input
  conv3d(image, { weight: k3 });
}
