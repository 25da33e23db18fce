/**
 * Fine-tuning UniFormerV2 (CPU interpreter, tiny configs):
 *   - partitionParams: "all" trains every parameter and keeps the BatchNorm running statistics
 *     as buffers; "frozen-backbone" trains only transformer.dpe / dec / proj /
 *     temporal_cls_token / balance (plus the fusion ablations' extra_queries / fusion_proj) and
 *     freezes the rest; the three groups partition the keys; an unknown mode throws.
 *   - the per-frame baseline (eval mode) is invariant to permuting the frames of the video
 *     (tolerance 1e-5: the mean over frames is re-associated), runs on `perFrameParams` alone,
 *     and its objective gives exactly zero gradient to LT-MHRA / DPE / global blocks; the full
 *     model's logits move by more than 1e-3 under a frame reversal (random parameters, so
 *     LT-MHRA and DPE are not identities).
 *   - the classification objective's loss (BatchNorm in training mode, label smoothing 0.1,
 *     dropout 0) against central finite differences in f64 (`checkGradients`: atol 1e-6,
 *     rtol 1e-5, eps 1e-5), for parameters from every part of the model: the stem conv, a
 *     backbone attention, an LT-MHRA temporal conv, a global block's MLP, the head and the
 *     balance. Large tensors are checked on 6 random elements each (the element is a program
 *     input added to the rest of the tensor), small ones whole.
 *   - fine-tuning from an official .pth (fixture A): a fresh 3-class head via `reinitialize`,
 *     the frozen backbone keeps the file's values bit for bit while the head and global blocks
 *     train.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { checkGradients } from "../../src/dsl/gradcheck.js";
import { data } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { valueAndGrad } from "../../src/dsl/transforms.js";
import {
  classificationObjective,
  flatFromTree,
  initParams,
  partitionParams,
  perFrameLogits,
  perFrameParams,
  treeFromFlat,
  uniformerv2,
  type FineTuneMode,
  type UniFormerV2Config,
} from "../../src/models/uniformerv2/index.js";
import { mulberry32 } from "../../src/dsl/random/mulberry32.js";
import { Key } from "../../src/dsl/random/threefry.js";
import { maxAbsDiff, randomParams, randomVideo, tinyConfig } from "./helpers.js";

const keysOf = (o: Readonly<Record<string, unknown>>) => Object.keys(o).sort();
const isRunningStat = (k: string) => /\.running_(mean|var)$/.test(k);
const headKeys = /^transformer\.(dpe\.\d+|dec\.\d+|proj\.[02]|temporal_cls_token|balance|extra_queries\.\d+|fusion_proj)(\.|$)/;

/** The video with its frames (axis 1) reordered: out[:, t] = video[:, order[t]]. */
function reorderFrames(video: AnyTensor, order: readonly number[]): AnyTensor {
  return core.concat(order.map((t) => core.sliceAxis(video, 1, t, t + 1)), 1);
}

describe("partitionParams", () => {
  it.each(["sequential", "parallel"] as const)("splits every key into trainable, buffers and frozen (%s fusion)", (fusion) => {
    const config = tinyConfig({ fusion });
    const flat = flatFromTree(initParams(config, Key.fromSeed(1)));
    const all = [...flat.keys()].sort();
    const runningStats = all.filter(isRunningStat);
    expect(runningStats.length).toBe(2 * 2 * 2); // 2 layers × 2 LT-MHRA × (mean, var)

    const everything = partitionParams(flat, "all");
    expect(keysOf(everything.buffers)).toEqual(runningStats);
    expect(keysOf(everything.trainable)).toEqual(all.filter((k) => !isRunningStat(k)));
    expect(keysOf(everything.frozen)).toEqual([]);
    for (const [k, t] of Object.entries(everything.trainable)) expect(t, k).toBe(flat.get(k));

    const head = partitionParams(flat, "frozen-backbone");
    expect(keysOf(head.buffers)).toEqual(runningStats);
    const wantTrainable = all.filter((k) => headKeys.test(k));
    expect(keysOf(head.trainable)).toEqual(wantTrainable);
    expect(keysOf(head.frozen)).toEqual(all.filter((k) => !isRunningStat(k) && !headKeys.test(k)));
    // Spot checks, spelled out.
    for (const k of ["transformer.dpe.0.weight", "transformer.dec.1.mlp.c_fc.weight", "transformer.proj.2.weight", "transformer.proj.0.bias", "transformer.temporal_cls_token", "transformer.balance"]) {
      expect(head.trainable[k], k).toBe(flat.get(k));
    }
    for (const k of ["conv1.weight", "class_embedding", "positional_embedding", "ln_pre.weight", "transformer.resblocks.1.attn.in_proj_weight", "transformer.resblocks.0.lmhra2.pos_embed.3.weight", "transformer.resblocks.0.lmhra1.pos_embed.0.weight"]) {
      expect(head.frozen[k], k).toBe(flat.get(k));
    }
    if (fusion === "parallel") {
      expect(head.trainable["transformer.extra_queries.0"]).toBeDefined();
      expect(head.trainable["transformer.fusion_proj.weight"]).toBeDefined();
    }
  });

  it("refuses an unknown mode", () => {
    const flat = flatFromTree(initParams(tinyConfig(), Key.fromSeed(1)));
    expect(() => partitionParams(flat, "backbone-only" as FineTuneMode)).toThrow(/fine-tuning mode "backbone-only" is not one of all, frozen-backbone/);
  });
});

describe("per-frame baseline", () => {
  const config = tinyConfig({ frames: 4 });
  const params = randomParams(config, 3);
  const flat = flatFromTree(params);
  const baseline = treeFromFlat(perFrameParams(flat));
  const video = randomVideo(config, 2, 4);
  const order = [2, 0, 3, 1];

  it("does not see the order of frames; the full model does", () => {
    const base = data(perFrameLogits(baseline, video, config));
    const shuffled = data(perFrameLogits(baseline, reorderFrames(video, order), config));
    expect(base.length).toBe(2 * 3);
    expect(maxAbsDiff(shuffled, base)).toBeLessThanOrEqual(1e-5);
    // It does depend on the frames' content.
    const other = data(perFrameLogits(baseline, randomVideo(config, 2, 5), config));
    expect(maxAbsDiff(other, base)).toBeGreaterThan(1e-3);
    // The full model (LT-MHRA, DPE and global blocks non-identity) tells the orders apart.
    const full = data(uniformerv2(params, video, config).logits);
    const reversed = data(uniformerv2(params, reorderFrames(video, [3, 2, 1, 0]), config).logits);
    expect(maxAbsDiff(reversed, full)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(data(uniformerv2(params, reorderFrames(video, order), config).logits), full)).toBeGreaterThan(1e-3);
  });

  it("perFrameParams hold the backbone and head, no temporal module", () => {
    const keys = [...perFrameParams(flat).keys()];
    expect(keys.some((k) => /lmhra|\.dpe\.|\.dec\.|temporal_cls_token|balance/.test(k))).toBe(false);
    const want = [...flat.keys()].filter((k) => !/lmhra|^transformer\.(dpe|dec|temporal_cls_token|balance)\b/.test(k));
    expect(keys.sort()).toEqual(want.sort());
    expect(keys).toContain("conv1.weight");
    expect(keys).toContain("transformer.resblocks.1.mlp.c_proj.weight");
    expect(keys).toContain("transformer.proj.2.weight");
  });

  it("its objective trains the backbone and head on perFrameParams (nonzero gradients, no temporal parameter read)", () => {
    const { trainable, buffers } = partitionParams(perFrameParams(flat), "all");
    expect(keysOf(buffers)).toEqual([]);
    const objective = classificationObjective(config, { perFrame: true });
    const batch = { videos: video, labels: core.constant(new Int32Array([0, 2]), [2], "int32") };
    const key = core.constant(new Int32Array([0, 1]), [2], "int32");
    const [loss, grads] = valueAndGrad((p: Record<string, AnyTensor>) => objective(p, batch, key).loss)(trainable);
    expect(Number.isFinite(data(loss)[0]!)).toBe(true);
    const norm = (k: string) => Math.max(...Array.from(data(grads[k]!), Math.abs));
    for (const k of ["conv1.weight", "transformer.resblocks.0.attn.in_proj_weight", "transformer.resblocks.1.mlp.c_fc.weight", "transformer.proj.2.weight"]) {
      expect(norm(k), k).toBeGreaterThan(1e-6);
    }
  });

  // localBlock applies LT-MHRA whenever a block's parameters have it; the baseline must not.
  it("given the full parameters it ignores LT-MHRA (equals the perFrameParams result)", () => {
    const withAll = data(perFrameLogits(params, video, config));
    const subset = data(perFrameLogits(baseline, video, config));
    expect(maxAbsDiff(withAll, subset)).toBeLessThanOrEqual(1e-6);
  });
});

describe("classification objective: gradients against finite differences (f64)", () => {
  const config: UniFormerV2Config = tinyConfig({ frames: 2 });
  const flat = flatFromTree(randomParams(config, 7));
  const video = randomVideo(config, 2, 8);
  const labels = core.constant(new Int32Array([1, 2]), [2], "int32");
  const objective = classificationObjective(config, { labelSmoothing: 0.1 });
  const key = core.constant(new Int32Array([0, 3]), [2], "int32");
  const next = mulberry32(11);

  /** Checked elements: all of a small tensor, or `count` random positions of a large one. */
  const targets: Array<{ key: string; positions?: number[] }> = [
    { key: "conv1.weight", positions: [] },
    { key: "transformer.resblocks.1.attn.in_proj_weight", positions: [] },
    { key: "transformer.resblocks.0.lmhra1.pos_embed.2.weight", positions: [] },
    { key: "transformer.dec.1.mlp.c_fc.weight", positions: [] },
    { key: "transformer.proj.2.weight" },
    { key: "transformer.balance" },
  ];
  for (const t of targets) {
    const size = flat.get(t.key)!.size;
    while (t.positions && t.positions.length < 6) {
      const p = Math.floor(next() * size);
      if (!t.positions.includes(p)) t.positions.push(p);
    }
  }

  it("matches for parameters of the stem, backbone, LT-MHRA, global block, head and balance", () => {
    const base = (k: string) => Float64Array.from(data(flat.get(k)!));
    const inputs = targets.map((t) => {
      if (!t.positions) return { shape: flat.get(t.key)!.shape, data: base(t.key) };
      const b = base(t.key);
      return { shape: [t.positions.length], data: t.positions.map((p) => b[p]!) };
    });
    const f = (...xs: AnyTensor[]) => {
      const params = new Map(flat);
      targets.forEach((t, i) => {
        const x = xs[i]!;
        if (!t.positions) {
          params.set(t.key, x);
          return;
        }
        // p = base with the chosen positions replaced by x: base·(1 − mask) + xᵀE, E one-hot.
        const whole = flat.get(t.key)!;
        const n = whole.size;
        const onehot = new Float32Array(t.positions.length * n);
        const mask = new Float32Array(n).fill(1);
        t.positions.forEach((p, j) => {
          onehot[j * n + p] = 1;
          mask[p] = 0;
        });
        const placed = core.reshape(core.matmul(core.reshape(x, [1, t.positions.length]), core.constant(onehot, [t.positions.length, n], "float32")), whole.shape);
        params.set(t.key, core.add(core.mul(whole, core.constant(mask, whole.shape, "float32")), placed));
      });
      return objective(Object.fromEntries(params), { videos: video, labels }, key).loss;
    };
    const res = checkGradients(f, inputs);
    expect(res.worst, res.where).toBeLessThanOrEqual(1);
    res.analytic.forEach((g, i) => expect(Math.max(...Array.from(g, Math.abs)), targets[i]!.key).toBeGreaterThan(1e-5));
  }, 120_000);
});

describe("fine-tuning from official weights (fixture A's weights.pth, the official code's format)", () => {
  it("a new 3-class head over the loaded, frozen backbone: the backbone keeps the file's values, the head trains", async () => {
    const { readFileSync } = await import("node:fs");
    const { fromOfficialArgs, loadWeights } = await import("../../src/models/uniformerv2/index.js");
    const { Trainer } = await import("../../src/train/trainer.js");
    const { cpuBackend } = await import("../../src/runtime/cpu/backend.js");
    const dir = new URL("../fixtures/uniformerv2/A/", import.meta.url).pathname;
    const args = JSON.parse(readFileSync(`${dir}config.json`, "utf8")).constructor_args;
    const official = fromOfficialArgs(args);
    const config: UniFormerV2Config = { ...official, numClasses: 3 };
    const fresh = initParams(config, Key.fromSeed(5));
    const { params } = await loadWeights(config, `${dir}weights.pth`, { fallback: fresh, reinitialize: ["transformer.proj.2"] });
    const loaded = flatFromTree(params);
    const asIs = flatFromTree((await loadWeights(official, `${dir}weights.pth`)).params);
    // Without `reinitialize` the file's head does not fit 3 classes: a clear error.
    await expect(loadWeights(config, `${dir}weights.pth`)).rejects.toThrow(/"transformer\.proj\.2\.weight" has shape \[\d+, 64\], the config needs \[3, 64\]/);
    expect(Array.from(data(loaded.get("transformer.proj.2.weight")!))).toEqual(Array.from(data(flatFromTree(fresh).get("transformer.proj.2.weight")!)));
    expect(Array.from(data(loaded.get("conv1.weight")!))).toEqual(Array.from(data(asIs.get("conv1.weight")!)));

    const groups = partitionParams(loaded, "frozen-backbone");
    const trainer = Trainer.create({
      objective: classificationObjective(config),
      ...groups,
      optimizer: { kind: "adamw" },
      schedule: 1e-3,
      key: Key.fromSeed(1),
      backend: cpuBackend,
    });
    const batch = { videos: randomVideo(config, 2, 3), labels: core.constant(new Int32Array([0, 2]), [2], "int32") };
    for (let i = 0; i < 2; i++) expect(Number.isFinite((await trainer.trainStep(batch)).loss)).toBe(true);
    const after = await trainer.parameters();
    for (const key of ["conv1.weight", "transformer.resblocks.0.attn.in_proj_weight", "transformer.resblocks.3.lmhra2.pos_embed.1.weight"]) {
      expect(Array.from(data(after[key]!)), key).toEqual(Array.from(data(asIs.get(key)!)));
    }
    for (const key of ["transformer.proj.2.weight", "transformer.dec.1.mlp.c_fc.weight"]) {
      expect(maxAbsDiff(data(after[key]!), data(loaded.get(key)!)), key).toBeGreaterThan(1e-6);
    }
  });
});
