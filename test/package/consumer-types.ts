/**
 * A consumer's typed program, checked by consumer.test.ts against the packed package under
 * `strict`, with tsc 5.9 and TypeScript 7: named dims bound by compiled functions, float32 by
 * default, typed `wg.nn` layers, and UniFormerV2 typed from its config. Every wrong program
 * must be an error (`@ts-expect-error`), every right one must type exactly as annotated.
 */
import * as wg from "wgtensor";
import type { Tensor } from "wgtensor";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const exact = <A, B>(_: Equal<A, B>): void => {};

const key = wg.Key.fromSeed(0);

// 1. Named dims are parameters of compiled functions.
const project = (x: Tensor<["B", 3]>, w: Tensor<[3, 4]>) => wg.matmul(x, w);
const y = wg.jit(project)(wg.zeros([5, 3]), wg.zeros([3, 4]));
exact<typeof y, Tensor<[5, 4]>>(true);
const both = wg.jit((a: Tensor<["B", 3]>, b: Tensor<["B", 3]>) => wg.add(a, b));
// @ts-expect-error B is 5 in one argument and 6 in the other
both(wg.zeros([5, 3]), wg.zeros([6, 3]));
export const onGpu = async () => {
  const g = await wg.gpuJit(project)(wg.zeros([7, 3]), wg.zeros([3, 4]));
  exact<typeof g, Tensor<[7, 4]>>(true);
};
const loss = (p: { w: Tensor<[3, 4]> }, x: Tensor<["B", 3]>) => wg.mean(wg.matmul(x, p.w));
const grads = wg.grad(loss)({ w: wg.zeros([3, 4]) }, wg.zeros([9, 3]));
exact<typeof grads.w, Tensor<[3, 4]>>(true);

// 2. Tensor<S> is float32; a refused op does not cascade.
const a: Tensor<[2, 3]> = wg.zeros([2, 3]);
const m = wg.matmul(a, wg.zeros([3, 5]));
exact<typeof m, Tensor<[2, 5]>>(true);
// @ts-expect-error matmul: inner dims 3 and 4 differ
const refused = wg.matmul(a, wg.zeros([4, 5]));
export const next: Tensor<[2, 5]> = wg.add(refused, 1);

// 3. wg.nn typed like the core.
const lin = wg.nn.initLinear(key, 3, 4);
exact<typeof lin, { weight: Tensor<[4, 3]>; bias: Tensor<[4]> }>(true);
const h = wg.nn.linear(a, lin);
exact<typeof h, Tensor<[2, 4]>>(true);
// @ts-expect-error linear: input features 3 vs in-features 5
wg.nn.linear(a, wg.nn.initLinear(key, 5, 4));
const conv = wg.nn.initConv3d(key, 3, 8, [1, 3, 3]);
exact<typeof conv.weight, Tensor<[8, 1, 3, 3, 3]>>(true);
const clip: Tensor<[2, 4, 16, 16, 3]> = wg.zeros([2, 4, 16, 16, 3]);
const feat = wg.nn.conv3d(clip, conv, { stride: [1, 2, 2], padding: [0, 1, 1] });
exact<typeof feat, Tensor<[2, 4, 8, 8, 8]>>(true);
// @ts-expect-error conv3d: 4 input channels, the weight takes 3
wg.nn.conv3d(wg.zeros([2, 4, 16, 16, 4]), conv);
const tokens: Tensor<["B", 197, 768]> = wg.zeros(["B", 197, 768]);
const normed = wg.nn.layerNorm(tokens, { weight: wg.ones([768]), bias: wg.zeros([768]) });
exact<typeof normed, Tensor<["B", 197, 768]>>(true);
// @ts-expect-error layerNorm: scale width 512 for 768 features
wg.nn.layerNorm(tokens, { weight: wg.ones([512]) });
const attn = {
  inProjWeight: wg.zeros([2304, 768]),
  inProjBias: wg.zeros([2304]),
  outProj: { weight: wg.zeros([768, 768]), bias: wg.zeros([768]) },
};
const att = wg.nn.selfAttention(tokens, attn, { numHeads: 12 });
exact<typeof att, Tensor<["B", 197, 768]>>(true);
// @ts-expect-error 5 heads do not divide 768
wg.nn.selfAttention(tokens, attn, { numHeads: 5 });
// @ts-expect-error the packed projection must be [3C, C]
wg.nn.selfAttention(tokens, { ...attn, inProjWeight: wg.zeros([768, 768]) }, { numHeads: 12 });
const logits: Tensor<[8, 10]> = wg.zeros([8, 10]);
const ce = wg.nn.crossEntropy(logits, wg.zeros([8], "int32"));
exact<typeof ce, Tensor<[]>>(true);
// @ts-expect-error labels must be int32
wg.nn.crossEntropy(logits, wg.zeros([8]));
// @ts-expect-error labels must have the logits' batch
wg.nn.crossEntropy(logits, wg.zeros([7], "int32"));
// @ts-expect-error mse: shapes differ
wg.nn.mse(logits, wg.zeros([10, 8]));

// 4. UniFormerV2 typed from its config.
const cfg = wg.uniformerv2.defineConfig({ ...wg.uniformerv2.PRESETS["b16-k400"], numClasses: 7, layers: 4, returnList: [2, 3], mlpDropout: [0, 0] });
const params = wg.uniformerv2.initParams(cfg, key);
const video: Tensor<[2, 8, 224, 224, 3]> = wg.zeros([2, 8, 224, 224, 3]);
const out = wg.uniformerv2.uniformerv2(params, video, cfg).logits;
exact<typeof out, Tensor<[2, 7]>>(true);
const named = wg.uniformerv2.uniformerv2(params, wg.zeros(["N", 8, 224, 224, 3]), cfg).logits;
exact<typeof named, Tensor<["N", 7]>>(true);
// @ts-expect-error the video must have 8 frames
wg.uniformerv2.uniformerv2(params, wg.zeros([2, 16, 224, 224, 3]), cfg);
// @ts-expect-error the params are for another config (400 classes)
wg.uniformerv2.uniformerv2(wg.uniformerv2.initParams(wg.uniformerv2.PRESETS["b16-k400"], key), video, cfg);
// @ts-expect-error heads 7 do not divide width 768
wg.uniformerv2.defineConfig({ ...wg.uniformerv2.PRESETS["b16-k400"], heads: 7 });
