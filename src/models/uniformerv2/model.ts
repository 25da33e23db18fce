/**
 * @file The UniFormerV2 forward pass (the official VisionTransformer), channels-last:
 *
 *   stem:   X⁰ = LN_pre([CLS; Conv3d(V)] + P)                     V [N, T, H, W, 3]
 *   local:  Xⁱ = LocalUniBlockᵢ(Xⁱ⁻¹),  i = 1…layers
 *   global: after each layer r_j in returnList, with X̃ = Xʳʲ + DPE_j on its patch tokens:
 *             sequential      q_j = G_j(q_{j−1}, X̃)            (released; q₀ learnable)
 *             parallel        x_j = G_j(q_j, X̃),   F = [x₁ … x_n]·U_F
 *             hierarchicalKV  q_j = G_j(q̂_j, [q_{j−1}; X̃])
 *             hierarchicalQ   q_j = mean G_j([q_{j−1}; q̂_j], X̃)  (both query tokens pass
 *                             through the block; their mean is the next global token)
 *   head:   Z = (1 − α)·F + α·mean_t CLSₜ(X^last),  α = σ(balance)   (F alone when frozen)
 *           logits = Linear(LN(Z))
 * Dropouts and drop-path are identity here (inference; training adds them). In training with
 * `checkpointBlocks`, each block is a `checkpoint`: the backward pass recomputes it.
 */
import * as core from "../../dsl/core.js";
import * as nn from "../../dsl/nn/index.js";
import type { AnyTensor } from "../../dsl/tensor.js";
import { checkpoint } from "../../dsl/transforms.js";
import { ShapeMismatch } from "../../dsl/errors.js";
import { geometry, type UniFormerV2Config } from "./config.js";
import type { UniFormerV2Params } from "./params.js";
import { dpe, globalBlock, joinTokens, localBlock, splitTokens } from "./blocks.js";
import { linspace, TrainContext, type TrainingOptions } from "./training.js";

export interface ForwardOutput {
  readonly logits: AnyTensor;
  /** In training: the updated BatchNorm running statistics, by official key. */
  readonly bnState?: ReadonlyMap<string, AnyTensor>;
  /** With `intermediates`: the fixtures' named tensors, in our layouts (see `officialLayout`). */
  readonly intermediates?: ReadonlyMap<string, AnyTensor>;
}

/** Stem: conv1 patch embedding (temporal downsampling optional), CLS, positions, LN_pre. */
export function stem(video: AnyTensor, p: UniFormerV2Params, c: UniFormerV2Config): { conv1: AnyTensor; x: AnyTensor } {
  const pad = (c.kernelSize - 1) / 2;
  const conv1 = core.conv(video, p.conv1.weight, c.temporalDownsample
    ? { stride: [2, c.patchSize, c.patchSize], padding: [pad, 0, 0] }
    : { stride: [1, c.patchSize, c.patchSize] });
  const [n, t, h, w, width] = conv1.shape as [number, number, number, number, number];
  const patches = core.reshape(conv1, [n, t, h * w, width]);
  const cls = core.broadcastTo(core.reshape(p.class_embedding, [1, 1, 1, width]), [n, t, 1, width]);
  const tokens = core.add(core.concat([cls, patches], 2), p.positional_embedding);
  return { conv1, x: nn.layerNorm(tokens, p.ln_pre) };
}

export function checkVideo(video: AnyTensor, c: UniFormerV2Config): void {
  const want = [c.frames, c.inputResolution, c.inputResolution, 3];
  const s = video.shape;
  if (s.length !== 5 || s.slice(1).some((d, i) => d !== want[i])) {
    throw new ShapeMismatch("uniformerv2", `the video must be [N, ${want.join(", ")}] (N, T, H, W, RGB)`, [s]);
  }
  if (video.dtype !== "float32") throw new ShapeMismatch("uniformerv2", `the video must be float32, got ${video.dtype}`, [s]);
}

export interface ForwardOptions {
  readonly intermediates?: boolean;
  /** Train mode: batch-statistics BatchNorm (updated buffers in `bnState`), dropout, drop-path. */
  readonly training?: TrainingOptions;
}

export function uniformerv2(params: UniFormerV2Params, video: AnyTensor, c: UniFormerV2Config, options: ForwardOptions = {}): ForwardOutput {
  checkVideo(video, c);
  const train = options.training ? new TrainContext(options.training) : undefined;
  const block = <A extends readonly unknown[], R>(f: (...args: A) => R) => (options.training?.checkpointBlocks ? checkpoint(f) : f);
  const backboneDpr = linspace(c.backboneDropPathRate, c.layers);
  const globalDpr = linspace(c.dropPathRate, c.returnList.length);
  const g = geometry(c);
  const record = new Map<string, AnyTensor>();
  const keep = (name: string, t: AnyTensor) => options.intermediates && record.set(name, t);
  const { conv1, x: x0 } = stem(video, params, c);
  keep("conv1", conv1);
  keep("stem", x0);
  const T = params.transformer;
  const n = video.shape[0]!;
  const d = c.globalDim;
  const query = (j: number) => core.broadcastTo(j === 0 ? T.temporal_cls_token : T.extra_queries![j - 1]!, [n, 1, d]);

  let x = x0;
  let q = query(0);
  const globals: AnyTensor[] = [];
  for (let i = 0; i < c.layers; i++) {
    const out = block((input: AnyTensor) =>
      localBlock(input, T.resblocks[i]!, {
        heads: c.heads,
        grid: g.grid,
        kernelSize: c.kernelSize,
        path: `transformer.resblocks.${i}`,
        dropPath: backboneDpr[i]!,
        ...(train ? { train } : {}),
      }),
    )(x);
    x = out.x;
    if (out.lmhra1) keep(`layer.${i}.lmhra1`, out.lmhra1);
    if (out.lmhra2) keep(`layer.${i}.lmhra2`, out.lmhra2);
    keep(`layer.${i}`, x);
    const j = c.returnList.indexOf(i);
    if (j < 0) continue;
    // DPE on the patch tokens, then all T·L tokens are the global block's keys and values.
    const [cls, patches] = splitTokens(x, g.grid);
    const pos = dpe(patches, T.dpe[j]!);
    keep(`dpe.${j}`, pos);
    const tokens = core.reshape(joinTokens(cls, core.add(patches, pos)), [n, -1, d]);
    const dec = T.dec[j]!;
    const G = block((queries: AnyTensor, kv: AnyTensor) =>
      globalBlock(queries, kv, dec, c.globalHeads, train ? { ctx: train, dropPath: globalDpr[j]!, mlpDropout: c.mlpDropout[j]! } : undefined),
    );
    switch (c.fusion) {
      case "sequential":
        q = G(q, tokens);
        break;
      case "parallel":
        q = G(query(j), tokens);
        break;
      case "hierarchicalKV":
        q = G(query(j), j === 0 ? tokens : core.concat([q, tokens], 1));
        break;
      case "hierarchicalQ":
        // Each query token attends only to the tokens, so keeping one slot would drop the
        // previous stage; the mean keeps both.
        q = j === 0 ? G(query(0), tokens) : core.mean(G(core.concat([q, query(j)], 1), tokens), 1, true);
        break;
    }
    globals.push(q);
    keep(`global.${j}`, q);
  }
  let f = core.reshape(q, [n, d]);
  if (c.fusion === "parallel") f = nn.linear(core.reshape(core.concat(globals, 2), [n, d * globals.length]), T.fusion_proj!);
  let fused = f;
  if (!c.frozen) {
    const alpha = core.sigmoid(T.balance!);
    fused = core.add(core.mul(core.sub(1, alpha), f), core.mul(alpha, meanFrameCls(x)));
  }
  keep("fused", fused);
  const logits = classify(fused, params, c, train);
  keep("logits", logits);
  return {
    logits,
    ...(options.intermediates ? { intermediates: record } : {}),
    ...(train ? { bnState: train.bnState } : {}),
  };
}

/** The frames' CLS tokens of X [N, T, L, C], averaged over time: [N, C]. */
export function meanFrameCls(x: AnyTensor): AnyTensor {
  const [n, , , d] = x.shape as [number, number, number, number];
  return core.mean(core.reshape(core.sliceAxis(x, 2, 0, 1), [n, -1, d]), 1);
}

/** The head: logits = Linear(Dropout(LN(z))), dropout in training only. */
export function classify(z: AnyTensor, params: UniFormerV2Params, c: UniFormerV2Config, train?: TrainContext): AnyTensor {
  const [ln, , head] = params.transformer.proj;
  const normed = nn.layerNorm(z, ln);
  return nn.linear(train ? train.dropout(normed, c.clsDropout) : normed, head);
}

/**
 * One of our intermediates in the official code's layout (as the fixtures store them):
 * conv1, lmhra and dpe as (N, C, T, H, W); stem as (N·T, L, C); layers as (L, N·T, C);
 * global blocks as (1, N, C).
 */
export function officialLayout(name: string, t: AnyTensor): AnyTensor {
  const s = t.shape;
  if (name === "conv1" || name.endsWith("lmhra1") || name.endsWith("lmhra2") || name.startsWith("dpe.")) return core.permute(t, [0, 4, 1, 2, 3]);
  if (name === "stem") return core.reshape(t, [s[0]! * s[1]!, s[2]!, s[3]!]);
  if (name.startsWith("layer.")) return core.permute(core.reshape(t, [s[0]! * s[1]!, s[2]!, s[3]!]), [1, 0, 2]);
  if (name.startsWith("global.")) return core.permute(t, [1, 0, 2]);
  return t;
}
