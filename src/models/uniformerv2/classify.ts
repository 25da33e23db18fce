/**
 * @file Classifying a decoded video with UniFormerV2, as the official test protocol does: the
 * views of `video.ts` (C spatial crops × K temporal clips), a forward pass over batches of them,
 * and the softmax scores averaged over the views. Pure of any platform: the CLI feeds it frames
 * from ffmpeg, a web page frames from a `<video>` element.
 */
import * as wg from "../../dsl/api/index.js";
import { realize } from "../../dsl/realize.js";
import type { Tensor } from "../../dsl/tensor.js";
import { materialize } from "../../dsl/host/array.js";
import type { Backend } from "../../dsl/backend.js";
import { jit } from "../../dsl/transforms.js";
import { cpuBackend } from "../../runtime/cpu/backend.js";
import { geometry, type UniFormerV2Config } from "./config.js";
import { defaultLabels } from "./labels.js";
import { uniformerv2 } from "./model.js";
import type { UniFormerV2Params } from "./params.js";
import { buildViews, type VideoFrames, type ViewSpec } from "./video.js";

export interface Prediction {
  readonly index: number;
  readonly label: string;
  readonly probability: number;
}

export interface ClassifyOptions {
  /** Default: 3 crops × 4 clips. */
  readonly views?: ViewSpec;
  /** Where the forward passes run (default `cpuBackend`, the interpreter). */
  readonly backend?: Backend;
  /** Default: 5. */
  readonly top?: number;
  /** Class names (default: Kinetics-400 for 400 classes, else "class i"). */
  readonly labels?: readonly string[];
  /** Views per forward pass. */
  readonly batch?: number;
  readonly log?: (line: string) => void;
}

export interface ClassifyResult {
  /** Softmax scores averaged over the views, one per class (they sum to 1). */
  readonly scores: Float64Array;
  /** Each view's softmax scores, in view order (clip-major, then crop). */
  readonly viewScores: readonly Float64Array[];
  /** The `top` most probable classes, most probable first. */
  readonly top: readonly Prediction[];
  readonly views: number;
  readonly batch: number;
  /** Seconds spent building the views and in the forward passes. */
  readonly seconds: { readonly views: number; readonly forward: number };
}

/** A numerically stable softmax, in f64. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** The k highest scores, highest first (ties: lower index first). */
export function topK(scores: ArrayLike<number>, k: number, labels: readonly string[]): Prediction[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order.slice(0, Math.max(0, Math.min(k, scores.length))).map((index) => ({ index, label: labels[index] ?? `class ${index}`, probability: scores[index]! }));
}

/** Bytes of the largest per-view intermediate of a forward pass (a rough upper bound). */
export function bytesPerView(c: UniFormerV2Config): number {
  const g = geometry(c);
  const t = g.framesAfterStem;
  const largest = Math.max(
    c.frames * c.inputResolution * c.inputResolution * 3, // the input
    t * g.tokens * g.backboneHidden, // the backbone MLP's hidden layer
    t * c.heads * g.tokens * g.tokens, // attention scores, where they are formed
    t * g.tokens * c.width * 3, // the fused q/k/v projection
  );
  return largest * 4;
}

/** The largest divisor of `views` whose batch keeps every buffer under `limitBytes` (at least 1). */
export function autoBatch(views: number, perViewBytes: number, limitBytes: number): number {
  for (let b = views; b > 1; b--) if (views % b === 0 && b * perViewBytes * 1.25 <= limitBytes) return b;
  return 1;
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** Classify decoded frames: build the views, run the model on them, average the softmax scores. */
export async function classifyFrames(video: VideoFrames, config: UniFormerV2Config, params: UniFormerV2Params, options: ClassifyOptions = {}): Promise<ClassifyResult> {
  const log = options.log ?? (() => {});
  const spec = options.views ?? { crops: 3, clips: 4 };
  const backend = options.backend ?? cpuBackend;
  const labels = options.labels ?? defaultLabels(config.numClasses);
  if (labels.length !== config.numClasses) throw new Error(`${labels.length} label(s) for a model with ${config.numClasses} classes`);
  const T = config.frames;
  const size = config.inputResolution;

  let t0 = performance.now();
  const views = buildViews(video, T, size, spec);
  const viewSeconds = seconds(t0);
  log(`views: ${views.length} (${spec.crops} crop(s) × ${spec.clips} clip(s)) of ${T}×${size}×${size} from ${video.frameCount} frames of ${video.width}×${video.height} (${viewSeconds.toFixed(2)} s)`);

  let batch = options.batch ?? 1;
  // Sized by the backend's buffer limit where it has one; one view at a time where it has none.
  const limit = options.batch === undefined ? await backend.maxBufferBytes() : undefined;
  if (limit !== undefined) {
    batch = autoBatch(views.length, bytesPerView(config), limit);
    if (bytesPerView(config) > limit) {
      log(`warning: one view's largest intermediate (about ${(bytesPerView(config) / 2 ** 20).toFixed(0)} MiB) exceeds this device's buffer limit (${(limit / 2 ** 20).toFixed(0)} MiB); the forward pass may fail`);
    }
  }
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);

  // Any config (sizes `number`): the views are built to the config's sizes, and the model checks them.
  const forward = (p: UniFormerV2Params, v: Tensor<[number, number, number, number, 3]>) => uniformerv2(p, v, config).logits;
  const compiled = jit(forward, { backend });
  const frameValues = T * size * size * 3;
  const viewScores: Float64Array[] = [];
  t0 = performance.now();
  try {
    for (let start = 0, pass = 1, passes = Math.ceil(views.length / batch); start < views.length; start += batch, pass++) {
      const chunk = views.slice(start, start + batch);
      const input = new Float32Array(chunk.length * frameValues);
      chunk.forEach((v, i) => input.set(v.data, i * frameValues));
      const tensor = wg.tensor(input, [chunk.length, T, size, size, 3]);
      const t1 = performance.now();
      const logits = await compiled(params, tensor);
      const values = materialize(realize(logits));
      for (let i = 0; i < chunk.length; i++) viewScores.push(softmax(values.subarray(i * config.numClasses, (i + 1) * config.numClasses)));
      log(`forward ${pass}/${passes}: view(s) ${start + 1}–${start + chunk.length} of ${views.length} on ${backend.label}${pass === 1 ? ` (with ${backend.firstRun})` : ""} (${seconds(t1).toFixed(2)} s)`);
    }
  } finally {
    compiled.dispose();
  }
  const forwardSeconds = seconds(t0);

  const scores = new Float64Array(config.numClasses);
  for (const s of viewScores) s.forEach((p, i) => (scores[i]! += p / viewScores.length));
  return { scores, viewScores, top: topK(scores, options.top ?? 5, labels), views: views.length, batch, seconds: { views: viewSeconds, forward: forwardSeconds } };
}

