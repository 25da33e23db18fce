/**
 * @file Training UniFormerV2: which parameters a step updates, the classification objective
 * (cross-entropy with label smoothing through the model in training mode), and the per-frame
 * baseline the demo compares against.
 *
 * Fine-tuning modes:
 *   all              every parameter trains
 *   frozen-backbone  the paper's frozen setting: the image backbone (stem, local blocks with
 *                    their LT-MHRA) is fixed; the global blocks, their DPE, the query token, the
 *                    fusion and the head train
 * BatchNorm running statistics are buffers in both: each step replaces them with PyTorch's
 * momentum update, as `model.train()` does whether or not the weights are frozen.
 *
 * Per-frame baseline (temporal modules removed): the backbone without LT-MHRA runs on each
 * frame alone, the frames' CLS tokens are averaged and the head classifies the mean (TSN-style,
 * CLIP's video baseline). No DPE and no global blocks, so nothing sees the order of frames.
 */
import * as nn from "../../dsl/nn/index.js";
import type { AnyTensor, Tensor } from "../../dsl/tensor.js";
import type { Dim, DType, Shape } from "../../dsl/types/shape.js";
import type { Checked } from "../../dsl/api/checked.js";
import { checkpoint } from "../../dsl/transforms.js";
import { materialize, type CpuArray } from "../../dsl/host/array.js";
import type { Named, Objective } from "../objective.js";
import { geometry, validateConfig, type UniFormerV2Config } from "./config.js";
import { checkVideo, classify, meanFrameCls, stem, uniformerv2, type BatchOf, type NamedSizes, type ParamsRule, type VideoOf, type VideoRule } from "./model.js";
import { dims, forAllSizes, localBlock } from "./blocks.js";
import { treeFromFlat, type ParamTree, type Sizes, type SizeTable, type UniFormerV2Params } from "./params.js";
import { TrainContext, linspace, type TrainingOptions } from "./training.js";

export type FineTuneMode = "all" | "frozen-backbone";
export const FINE_TUNE_MODES: readonly FineTuneMode[] = ["all", "frozen-backbone"];

/** BatchNorm running statistics: state a step replaces, not a parameter it trains. */
export const isBuffer = (key: string) => key.endsWith(".running_mean") || key.endsWith(".running_var");
/** The temporal aggregation on top of the backbone: global blocks, DPE, queries, fusion, head. */
const isGlobalOrHead = (key: string) => /^transformer\.(dpe|dec|proj|temporal_cls_token|balance|extra_queries|fusion_proj)\b/.test(key);
/** Keys the per-frame baseline reads (no LT-MHRA, DPE, global blocks or balance). */
const isPerFrameKey = (key: string) => !/^transformer\.(dpe|dec|temporal_cls_token|balance|extra_queries|fusion_proj)\b/.test(key) && !/\.lmhra[12]\./.test(key);

export interface ParamGroups {
  readonly trainable: Record<string, AnyTensor>;
  readonly buffers: Record<string, AnyTensor>;
  readonly frozen: Record<string, AnyTensor>;
}

/** Split flat parameters (official keys) into what trains, buffers, and what stays fixed. */
export function partitionParams(flat: ReadonlyMap<string, AnyTensor>, mode: FineTuneMode): ParamGroups {
  if (!FINE_TUNE_MODES.includes(mode)) throw new Error(`fine-tuning mode "${mode}" is not one of ${FINE_TUNE_MODES.join(", ")}`);
  const groups: ParamGroups = { trainable: {}, buffers: {}, frozen: {} };
  for (const [key, t] of flat) {
    if (isBuffer(key)) groups.buffers[key] = t;
    else if (mode === "all" || isGlobalOrHead(key)) groups.trainable[key] = t;
    else groups.frozen[key] = t;
  }
  return groups;
}

/** The baseline's config: the same backbone without LT-MHRA (see `perFrameLogits`). */
export function perFrameConfig(c: UniFormerV2Config): UniFormerV2Config {
  return validateConfig({ ...c, noLmhra: true });
}

/** The subset of a flat parameter map the per-frame baseline uses. */
export function perFrameParams(flat: ReadonlyMap<string, AnyTensor>): Map<string, AnyTensor> {
  return new Map([...flat].filter(([k]) => isPerFrameKey(k)));
}

/**
 * Per-frame baseline logits [N, numClasses]: LN(mean over frames of each frame's CLS) → head.
 * With `training`, drop-path and dropout as the full model places them. Checked as
 * `uniformerv2`'s arguments are.
 */
export function perFrameLogits<const C extends UniFormerV2Config, P extends UniFormerV2Params, V extends Shape, D extends DType = "float32">(
  params: Checked<ParamsRule<P, NoInfer<C>>, P>,
  video: Checked<VideoRule<V, D, NoInfer<C>>, Tensor<V, D>>,
  config: C,
  training?: TrainingOptions,
): Tensor<[BatchOf<V>, C["numClasses"]]> {
  const c = perFrameConfig(config);
  checkVideo(video as AnyTensor, c);
  // The rules above matched the params and the video to `config`; `perFrame` is typed by sizes.
  return perFrame<BatchOf<V>, Sizes<C>>(params as never, video as never, c, training);
}

type PerFrameFn = <N extends Dim, Z extends SizeTable>(params: ParamTree<Z>, video: VideoOf<N, Z>, c: UniFormerV2Config, training?: TrainingOptions) => Tensor<[N, Z["numClasses"]]>;

function perFrameNamed(params: ParamTree<NamedSizes>, video: VideoOf<"N", NamedSizes>, c: UniFormerV2Config, training?: TrainingOptions): Tensor<["N", "Classes"]> {
  const train = training ? new TrainContext(training) : undefined;
  const dpr = linspace(c.backboneDropPathRate, c.layers);
  const recompute = training?.checkpointBlocks ?? false;
  const grid = dims({ G: geometry(c).grid }).G;
  let x = stem(video, params, c).x;
  for (let i = 0; i < c.layers; i++) {
    // Without LT-MHRA even when the parameters hold one (nothing may mix frames here).
    const { lmhra1: _down, lmhra2: _up, ...block } = params.transformer.resblocks[i]!;
    const run = (input: typeof x) =>
      localBlock(input, block, { heads: c.heads, grid, kernelSize: c.kernelSize, dropPath: dpr[i]!, ...(train ? { train } : {}) }).x;
    x = recompute ? checkpoint(run)(x) : run(x);
  }
  return classify(meanFrameCls(x), params, c, train);
}
const perFrame: PerFrameFn = forAllSizes(perFrameNamed);
perFrameNamed satisfies typeof perFrame<"N", NamedSizes>;

/** A batch of `videos` [B, T, R, R, 3] and int32 `labels` [B] for config `C`. */
export interface VideoBatch<C extends UniFormerV2Config, B extends Dim = "B"> {
  readonly videos: Tensor<[B, C["frames"], C["inputResolution"], C["inputResolution"], 3]>;
  readonly labels: Tensor<[B], "int32">;
}

/**
 * The trainer's untyped batch (a record of tensors) as a typed one: checked at run time here
 * (the model checks the video's sizes again), then typed by the config, the batch dim named "B".
 */
export function typedBatch<C extends UniFormerV2Config>(batch: Named, config: C): VideoBatch<C> {
  const { videos, labels } = batch;
  if (!videos || !labels) throw new Error(`the batch must hold "videos" and "labels", got ${Object.keys(batch).join(", ") || "nothing"}`);
  checkVideo(videos, config);
  if (labels.dtype !== "int32" || labels.shape.length !== 1 || labels.shape[0] !== videos.shape[0]) {
    throw new Error(`labels must be int32 [${videos.shape[0]}], got ${labels.dtype} [${labels.shape.join(", ")}]`);
  }
  return { videos, labels } as unknown as VideoBatch<C>;
}

export interface ObjectiveOptions {
  /** ε of cross-entropy's label smoothing (default 0.1). */
  readonly labelSmoothing?: number;
  /** BatchNorm running-statistics momentum (default 0.1). */
  readonly bnMomentum?: number;
  /** Train the per-frame baseline instead of the full model. */
  readonly perFrame?: boolean;
  /** Recompute each block in the backward pass instead of keeping its activations. */
  readonly checkpointBlocks?: boolean;
}

/**
 * Video classification: batch `{ videos [B, T, H, W, 3], labels int32 [B] }`; reports the
 * logits, returns the updated BatchNorm statistics as buffers.
 */
export function classificationObjective(config: UniFormerV2Config, o: ObjectiveOptions = {}): Objective {
  validateConfig(config);
  const objective = (params: Named, batch: Named, key: AnyTensor) => {
    const { videos, labels } = typedBatch(batch, config);
    const tree = treeFromFlat(new Map(Object.entries(params)), config);
    const training = { key, bnMomentum: o.bnMomentum ?? 0.1, checkpointBlocks: o.checkpointBlocks ?? false };
    const out = o.perFrame ? { logits: perFrameLogits(tree, videos, config, training), bnState: undefined } : uniformerv2(tree, videos, config, { training });
    const loss = nn.crossEntropy(out.logits, labels, { labelSmoothing: o.labelSmoothing ?? 0.1 });
    return { loss, outputs: { logits: out.logits }, buffers: Object.fromEntries(out.bnState ?? []) };
  };
  // A label past the classes would select no logit: a finite, wrong loss every step.
  const checkBatch = ({ labels }: Named<CpuArray>) => {
    if (!labels) return;
    if (labels.dtype !== "int32") throw new TypeError(`labels must be int32 class indices, got ${labels.dtype}`);
    const values = materialize(labels);
    const bad = nn.labelOutOfRange(values, config.numClasses);
    if (bad !== undefined) throw new RangeError(`label ${bad} of the batch is ${values[bad]}, not a class index in [0, ${config.numClasses})`);
  };
  return Object.assign(objective, { checkBatch });
}
