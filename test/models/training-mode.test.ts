/**
 * UniFormerV2 in training mode: BatchNorm uses batch statistics and yields PyTorch's running-
 * statistics update; dropout and drop-path masks come from the key (same key, same masks);
 * gradients through train-mode BatchNorm match finite differences. Eval mode is the fixtures'.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { checkGradients } from "../../src/dsl/gradcheck.js";
import { data } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { Key } from "../../src/dsl/random/threefry.js";
import { flatFromTree, fromOfficialArgs, initParams, treeFromFlat, uniformerv2 } from "../../src/models/uniformerv2/index.js";

const config = fromOfficialArgs({
  input_resolution: 16, patch_size: 8, width: 12, layers: 2, heads: 2, t_size: 4, temporal_downsample: false,
  no_lmhra: false, double_lmhra: true, return_list: [0, 1], n_layers: 2, n_dim: 12, n_head: 2, num_classes: 3,
  mlp_dropout: [0.3, 0.3], cls_dropout: 0.2, drop_path_rate: 0.2, backbone_drop_path_rate: 0.2,
});
const noDrop = { ...config, mlpDropout: [0, 0], clsDropout: 0, dropPathRate: 0, backboneDropPathRate: 0 };

/** Random values in every parameter (the zero-initialised LT-MHRA convs would hide BN). */
function params(seed: number) {
  const flat = flatFromTree(initParams(config, Key.fromSeed(seed)));
  let s = seed;
  for (const [k, t] of flat) {
    const v = Float32Array.from({ length: t.size }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.4 + (k.endsWith("running_var") ? 1 : 0));
    flat.set(k, core.constant(v, t.shape, "float32"));
  }
  return treeFromFlat(flat);
}
const video = (seed: number) => core.randomUniform(core.constant(new Int32Array([seed, 1]), [2], "int32"), [2, 4, 16, 16, 3]);

describe("UniFormerV2 training mode", () => {
  it("BatchNorm uses batch statistics and updates the running ones as PyTorch does", () => {
    const p = params(1);
    const v = video(2);
    const out = uniformerv2(p, v, noDrop, { training: { key: Key.fromSeed(3) }, intermediates: true });
    // The first LT-MHRA BatchNorm normalises the stem's patch tokens.
    const stem = out.intermediates!.get("stem")!;
    const patches = data(core.reshape(core.sliceAxis(stem, 2, 1, 5), [-1, 12]));
    const n = patches.length / 12;
    const rm0 = data(p.transformer.resblocks[0]!.lmhra1!.pos_embed[0].running_mean);
    const rv0 = data(p.transformer.resblocks[0]!.lmhra1!.pos_embed[0].running_var);
    const rm = data(out.bnState!.get("transformer.resblocks.0.lmhra1.pos_embed.0.running_mean")!);
    const rv = data(out.bnState!.get("transformer.resblocks.0.lmhra1.pos_embed.0.running_var")!);
    for (let c = 0; c < 12; c++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += patches[i * 12 + c]!;
      mean /= n;
      let ss = 0;
      for (let i = 0; i < n; i++) ss += (patches[i * 12 + c]! - mean) ** 2;
      expect(rm[c]!).toBeCloseTo(0.9 * rm0[c]! + 0.1 * mean, 5);
      expect(rv[c]!).toBeCloseTo(0.9 * rv0[c]! + 0.1 * (ss / (n - 1)), 5);
    }
    expect(out.bnState!.size).toBe(2 * 2 * 2); // 2 layers × 2 LT-MHRA × (mean, var)
    const evalLogits = data(uniformerv2(p, v, noDrop).logits);
    expect(Array.from(data(out.logits))).not.toEqual(Array.from(evalLogits));
  });

  it("dropout and drop-path masks follow the key", () => {
    const p = params(4);
    const v = video(5);
    const run = (key: number) => Array.from(data(uniformerv2(p, v, config, { training: { key: Key.fromSeed(key) } }).logits));
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    // The same key as a tensor (a program input) draws the same masks.
    const asTensor = Array.from(data(uniformerv2(p, v, config, { training: { key: core.constant(new Int32Array([0, 7]), [2], "int32") } }).logits));
    expect(asTensor).toEqual(run(7));
  });

  it("gradients through train-mode BatchNorm match finite differences", () => {
    const p = params(6);
    const v = video(7);
    const bn = p.transformer.resblocks[0]!.lmhra1!.pos_embed[0];
    const f = (w: AnyTensor, b: AnyTensor) => {
      const flat = flatFromTree(p);
      flat.set("transformer.resblocks.0.lmhra1.pos_embed.0.weight", w);
      flat.set("transformer.resblocks.0.lmhra1.pos_embed.0.bias", b);
      return uniformerv2(treeFromFlat(flat), v, noDrop, { training: { key: Key.fromSeed(1) } }).logits;
    };
    const res = checkGradients(f, [
      { shape: [12], data: data(bn.weight) },
      { shape: [12], data: data(bn.bias) },
    ]);
    expect(res.worst, res.where).toBeLessThanOrEqual(1);
    expect(res.analytic[0]!.some((g) => Math.abs(g) > 1e-6)).toBe(true);
  }, 60_000);
});
