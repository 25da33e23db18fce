/**
 * Wrong programs whose compile errors must *read* well: each `// message:` line is the text
 * the next line's first diagnostic must show on its first line, under tsc 5.9 and 7
 * (checked by messages.test.ts; this file is not part of the project's own type check).
 */
import * as wg from "../../../src/index.js";
import type { Tensor } from "../../../src/index.js";

declare const x23: Tensor<[2, 3]>;
declare const x4: Tensor<[4]>;
declare const video: Tensor<["B", 8, 196, 768]>;
declare const w: Tensor<[512, 10]>;

// message: add: cannot broadcast [2, 3] with [4]
wg.add(x23, x4);
// message: matmul: inner dims 768 and 512 differ in [B, 8, 196, 768] and [512, 10]
wg.matmul(video, w);
// message: reshape: cannot reshape [B, 8, 196, 768] (size B*1204224) to [B, 8, 196, 769] (size B*1205792)
wg.reshape(video, ["B", 8, 196, 769]);
// message: reduce: axis 2 is out of range for [2, 3]
wg.sum(x23, 2);

const project = (x: Tensor<["B", 3]>, weight: Tensor<[3, 4]>) => wg.matmul(x, weight);
const both = (a: Tensor<["B", 3]>, b: Tensor<["B", 3]>) => wg.add(a, b);
// message: jit: B is 5 at argument 1 dim 0 but 6 at argument 2 dim 0
wg.jit(both)(wg.zeros([5, 3]), wg.zeros([6, 3]));
// message: jit: argument 2 dim 0 is 4, the function takes 3
wg.jit(project)(wg.zeros([5, 3]), wg.zeros([4, 4]));
// message: gpuJit: B is 5 at argument 1 dim 0 but 7 at argument 2 dim 0
void wg.gpuJit(both)(wg.zeros([5, 3]), wg.zeros([7, 3]));

// One mistake is one error: the lines using a refused op's result add none.
// message: matmul: inner dims 3 and 4 differ in [2, 3] and [4, 5]
const refused = wg.matmul(x23, wg.zeros([4, 5]));
export const next: Tensor<[2, 5]> = wg.add(wg.exp(refused), 1);
export const after = wg.sum(wg.reshape(next, [10]));

// wg.nn layers check what their run-time checks check.
const key = wg.Key.fromSeed(0);
declare const tokens: Tensor<["B", 197, 768]>;
// message: linear: input features 3 vs weight [4, 5] in-features 5
wg.nn.linear(x23, wg.nn.initLinear(key, 5, 4));
// message: numHeads 5 does not divide the embedding dim 768
wg.nn.selfAttention(tokens, wg.nn.initMultiheadAttention(key, 768), { numHeads: 5 });
// message: crossEntropy: labels must be int32 class indices, got float32
wg.nn.crossEntropy(x23, wg.zeros([2]));

// UniFormerV2 typed from its config.
const cfg = wg.uniformerv2.PRESETS["b16-k400"];
const params = wg.uniformerv2.initParams(cfg, key);
// message: uniformerv2: the video must be [N, 8, 224, 224, 3], got [2, 16, 224, 224, 3]
wg.uniformerv2.uniformerv2(params, wg.zeros([2, 16, 224, 224, 3]), cfg);
// message: uniformerv2: the params are for another config (numClasses 174, the config has 400)
wg.uniformerv2.uniformerv2(wg.uniformerv2.initParams(wg.uniformerv2.PRESETS["b16-ssv2"], key), wg.zeros([2, 8, 224, 224, 3]), cfg);
// message: heads 7 do not divide width 768
wg.uniformerv2.defineConfig({ ...cfg, heads: 7 });
