/**
 * @file `wgtensor classify`: a video's top-k classes from a released UniFormerV2 checkpoint.
 *
 *   wgtensor classify --preset b16-k400 --weights CKPT --video FILE
 *                     [--views 3x4|1x1] [--backend auto|webgpu|cpu] [--top 5] [--labels FILE]
 *
 * The official test protocol (UniFormerV2's K400 run.sh: TEST.NUM_SPATIAL_CROPS 3,
 * TEST.NUM_ENSEMBLE_VIEWS 4, TEST.ADD_SOFTMAX True): every view (crop × clip, built by
 * `models/uniformerv2/video.ts`) goes through the model, each view's logits through a softmax,
 * and the softmax scores are averaged over the views. (slowfast's TestMeter sums them,
 * ensemble_method "sum"; the mean ranks the classes identically and reads as a probability.)
 * Views are batched along N, as many per forward pass as the device's buffer limits allow.
 */
import { existsSync } from "node:fs";
import * as core from "../dsl/core.js";
import { realize } from "../dsl/realize.js";
import type { AnyTensor } from "../dsl/tensor.js";
import { materialize } from "../runtime/cpu/array.js";
import { gpu } from "../runtime/webgpu/device.js";
import { gpuJit } from "../runtime/webgpu/jit.js";
import { geometry, loadWeights, preset, PRESETS, uniformerv2, WeightError, type UniFormerV2Config, type UniFormerV2Params } from "../models/uniformerv2/index.js";
import { defaultLabels, readLabels } from "../models/uniformerv2/labels.js";
import { buildViews, readVideo, type FfmpegOptions, type VideoFrames, type ViewSpec } from "../models/uniformerv2/video.js";

export const CLASSIFY_USAGE = `usage: wgtensor classify --preset PRESET --weights CKPT --video FILE [options]
  --preset PRESET   ${Object.keys(PRESETS).join(", ")}
  --weights CKPT    the preset's released checkpoint: .pyth/.pth (zip + pickle; nothing is
                    executed) or .safetensors, official key names
  --video FILE      any file ffmpeg reads (ffmpeg and ffprobe must be on PATH; Debian: apt-get
                    install ffmpeg)
  --views CxK       C spatial crops (3: left/centre/right, 1: centre) × K temporal clips;
                    default 3x4 (the official K400 test protocol); 1x1 is 12× faster
  --backend B       auto (default: WebGPU when an adapter is available), webgpu or cpu
  --top K           how many classes to print (default 5)
  --labels FILE     class names, one per line (default: Kinetics-400 for 400-class models)
  --batch N         views per forward pass (default: as many as the device's buffer limits allow
                    on WebGPU, 1 on the CPU)
  --ffmpeg PATH     the ffmpeg program (ffprobe is looked up next to it)`;

export interface Prediction {
  readonly index: number;
  readonly label: string;
  readonly probability: number;
}

export interface ClassifyOptions {
  /** Default: 3 crops × 4 clips. */
  readonly views?: ViewSpec;
  /** Default: cpu. */
  readonly backend?: "cpu" | "webgpu";
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

/** "3x4" → 3 crops × 4 clips. */
export function parseViews(text: string): ViewSpec {
  const m = /^(\d+)x(\d+)$/.exec(text.trim());
  const crops = Number(m?.[1]);
  const clips = Number(m?.[2]);
  if (!m || (crops !== 1 && crops !== 3) || !Number.isInteger(clips) || clips < 1) {
    throw new Error(`--views must be CROPSxCLIPS with 1 or 3 crops and at least one clip (e.g. 3x4 or 1x1), got "${text}"`);
  }
  return { crops, clips };
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
  const backend = options.backend ?? "cpu";
  const labels = options.labels ?? defaultLabels(config.numClasses);
  if (labels.length !== config.numClasses) throw new Error(`${labels.length} label(s) for a model with ${config.numClasses} classes`);
  const T = config.frames;
  const size = config.inputResolution;

  let t0 = performance.now();
  const views = buildViews(video, T, size, spec);
  const viewSeconds = seconds(t0);
  log(`views: ${views.length} (${spec.crops} crop(s) × ${spec.clips} clip(s)) of ${T}×${size}×${size} from ${video.frameCount} frames of ${video.width}×${video.height} (${viewSeconds.toFixed(2)} s)`);

  let batch = options.batch ?? 1;
  if (options.batch === undefined && backend === "webgpu") {
    const { limits } = (await gpu()).info;
    const limitOf = (name: string, fallback: number) => (Number.isFinite(limits[name]) ? limits[name]! : fallback);
    const limit = Math.min(limitOf("maxStorageBufferBindingSize", 128 << 20), limitOf("maxBufferSize", 256 << 20));
    batch = autoBatch(views.length, bytesPerView(config), limit);
    if (bytesPerView(config) > limit) {
      log(`warning: one view's largest intermediate (about ${(bytesPerView(config) / 2 ** 20).toFixed(0)} MiB) exceeds this device's buffer limit (${(limit / 2 ** 20).toFixed(0)} MiB); the forward pass may fail`);
    }
  }
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);

  const forward = (p: UniFormerV2Params, v: AnyTensor) => uniformerv2(p, v, config).logits;
  const gpuForward = backend === "webgpu" ? gpuJit(forward) : undefined;
  const frameValues = T * size * size * 3;
  const viewScores: Float64Array[] = [];
  t0 = performance.now();
  for (let start = 0, pass = 1, passes = Math.ceil(views.length / batch); start < views.length; start += batch, pass++) {
    const chunk = views.slice(start, start + batch);
    const input = new Float32Array(chunk.length * frameValues);
    chunk.forEach((v, i) => input.set(v.data, i * frameValues));
    const tensor = core.constant(input, [chunk.length, T, size, size, 3], "float32");
    const t1 = performance.now();
    const logits = gpuForward ? await gpuForward(params, tensor) : forward(params, tensor);
    const values = materialize(realize(logits));
    for (let i = 0; i < chunk.length; i++) viewScores.push(softmax(values.subarray(i * config.numClasses, (i + 1) * config.numClasses)));
    log(`forward ${pass}/${passes}: view(s) ${start + 1}–${start + chunk.length} of ${views.length} on ${backend === "webgpu" ? "WebGPU" : "the CPU interpreter"}${pass === 1 && gpuForward ? " (with compilation)" : ""} (${seconds(t1).toFixed(2)} s)`);
  }
  const forwardSeconds = seconds(t0);

  const scores = new Float64Array(config.numClasses);
  for (const s of viewScores) s.forEach((p, i) => (scores[i]! += p / viewScores.length));
  return { scores, viewScores, top: topK(scores, options.top ?? 5, labels), views: views.length, batch, seconds: { views: viewSeconds, forward: forwardSeconds } };
}

export interface ClassifyArgs extends FfmpegOptions {
  readonly preset: string;
  readonly weights: string;
  readonly video: string;
  readonly views: ViewSpec;
  readonly backend: "cpu" | "webgpu";
  readonly top: number;
  readonly labelsFile?: string;
  readonly batch?: number;
  readonly log: (line: string) => void;
}

/** Load the preset's checkpoint, decode the video and classify it; prints the top classes. */
export async function classify(a: ClassifyArgs): Promise<ClassifyResult> {
  const config = preset(a.preset);
  const labels = a.labelsFile ? readLabels(a.labelsFile, config.numClasses) : defaultLabels(config.numClasses);
  if (!existsSync(a.weights)) throw new WeightError(`${a.weights}: no such file`);
  const ff: FfmpegOptions = { ...(a.ffmpeg ? { ffmpeg: a.ffmpeg } : {}), ...(a.ffprobe ? { ffprobe: a.ffprobe } : {}) };

  let t0 = performance.now();
  const { info, video, decode } = await readVideo(a.video, config.frames, a.views.clips, ff);
  a.log(
    `decode: ${a.video}: ${info.width}×${info.height}${info.codec ? ` ${info.codec}` : ""}, ${info.frameCount} frames (${info.frameCountSource === "header" ? "from the header" : "counted"})` +
      `${info.duration ? `, ${info.duration.toFixed(2)} s` : ""}${info.fps ? ` at ${info.fps.toFixed(2)} fps` : ""}; kept ${decode.frames.size} sampled frame(s) (${seconds(t0).toFixed(2)} s)`,
  );
  if (decode.clamped.length > 0) a.log(`decode: warning: the stream ended after ${decode.decoded} frames; frame(s) ${decode.clamped.join(", ")} are the last one`);

  t0 = performance.now();
  let params: UniFormerV2Params;
  try {
    const loaded = await loadWeights(config, a.weights);
    params = loaded.params;
    const { unexpected, ignored } = loaded.report;
    a.log(`weights: ${a.weights}: ${ignored.length} counter buffer(s) ignored${unexpected.length ? `, ${unexpected.length} unexpected key(s): ${unexpected.slice(0, 5).join(", ")}${unexpected.length > 5 ? ", …" : ""}` : ""} (${seconds(t0).toFixed(2)} s)`);
    if (unexpected.length > 0) a.log(`weights: warning: the checkpoint has parameters preset "${a.preset}" does not use; is it another variant's?`);
  } catch (error) {
    if (!(error instanceof WeightError)) throw error;
    throw new WeightError(`the checkpoint does not match preset "${a.preset}": ${error.message}\n(presets: ${Object.keys(PRESETS).join(", ")}; pick the one the checkpoint was trained as)`);
  }

  const result = await classifyFrames(video, config, params, { views: a.views, backend: a.backend, top: a.top, labels, ...(a.batch ? { batch: a.batch } : {}), log: a.log });
  a.log(`forward: ${result.views} view(s), ${result.batch} per pass, ${result.seconds.forward.toFixed(2)} s in all`);
  a.log(`top ${result.top.length} of ${config.numClasses} (softmax averaged over ${result.views} view(s)):`);
  const width = String(result.top.length).length;
  result.top.forEach((p, i) => a.log(`  ${String(i + 1).padStart(width)}. ${(100 * p.probability).toFixed(2).padStart(6)}%  ${p.label}  (class ${p.index})`));
  return result;
}

function value(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith("--")) throw new Error(`classify: ${name} needs a value\n\n${CLASSIFY_USAGE}`);
  return v;
}

function count(args: readonly string[], name: string, fallback: number | undefined): number | undefined {
  const v = value(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`classify: ${name} needs a positive integer, got "${v}"`);
  return n;
}

/**
 * The `classify` command: parse `args`, pick the backend (`tryGpu` resolves to undefined, having
 * said why, when there is no adapter), classify. Resolves to the exit status.
 */
export async function classifyCommand(args: readonly string[], log: (line: string) => void, tryGpu: (log: (line: string) => void) => Promise<unknown>): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    log(CLASSIFY_USAGE);
    return 0;
  }
  const known = new Set(["--preset", "--weights", "--video", "--views", "--backend", "--top", "--labels", "--batch", "--ffmpeg"]);
  for (let i = 0; i < args.length; i += 2) {
    if (!known.has(args[i]!)) throw new Error(`classify: unknown option "${args[i]}"\n\n${CLASSIFY_USAGE}`);
  }
  const need = (name: string) => {
    const v = value(args, name);
    if (!v) throw new Error(`classify: ${name} is required\n\n${CLASSIFY_USAGE}`);
    return v;
  };
  const presetName = need("--preset");
  preset(presetName); // an unknown preset fails before anything is loaded
  const weights = need("--weights");
  const videoPath = need("--video");
  const views = parseViews(value(args, "--views") ?? "3x4");
  const top = count(args, "--top", 5)!;
  const batch = count(args, "--batch", undefined);
  const choice = value(args, "--backend") ?? "auto";
  if (!["auto", "webgpu", "cpu"].includes(choice)) throw new Error(`--backend must be auto, webgpu or cpu, got "${choice}"`);
  let backend: "cpu" | "webgpu" = "cpu";
  if (choice !== "cpu") {
    if (await tryGpu(log)) backend = "webgpu";
    else if (choice === "webgpu") return 1;
    else log("classify: falling back to the CPU interpreter (slow: minutes per view for B/16; try --views 1x1)");
  }
  const labelsFile = value(args, "--labels");
  const ffmpeg = value(args, "--ffmpeg");
  await classify({
    preset: presetName,
    weights,
    video: videoPath,
    views,
    backend,
    top,
    log,
    ...(labelsFile ? { labelsFile } : {}),
    ...(batch ? { batch } : {}),
    ...(ffmpeg ? { ffmpeg } : {}),
  });
  return 0;
}
