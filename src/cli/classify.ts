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
import { loadWeights, preset, PRESETS, WeightError, type UniFormerV2Params } from "../models/uniformerv2/index.js";
import { classifyFrames, type ClassifyResult } from "../models/uniformerv2/classify.js";
import { readVideo, type FfmpegOptions } from "../models/uniformerv2/ffmpeg.js";
import { defaultLabels, readLabels } from "../models/uniformerv2/labels.js";
import type { ViewSpec } from "../models/uniformerv2/video.js";
import type { Backend } from "../dsl/backend.js";
import { chooseBackend } from "./args.js";
import { backendOption, int, parse, required, str, UsageError, wantsHelp } from "./options.js";

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

const seconds = (t0: number) => (performance.now() - t0) / 1000;

export interface ClassifyArgs extends FfmpegOptions {
  readonly preset: string;
  readonly weights: string;
  readonly video: string;
  readonly views: ViewSpec;
  readonly backend: Backend;
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

export const CLASSIFY = {
  name: "classify",
  usage: CLASSIFY_USAGE,
  options: {
    preset: required(),
    weights: required(),
    video: required(),
    views: str(),
    backend: backendOption(),
    top: int(1),
    labels: str(),
    batch: int(1),
    ffmpeg: str(),
  },
};

/**
 * The `classify` command: parse `args`, pick the backend (`tryGpu` resolves to undefined, having
 * said why, when there is no adapter), classify. Resolves to the exit status.
 */
export async function classifyCommand(args: readonly string[], log: (line: string) => void, tryGpu: (log: (line: string) => void) => Promise<unknown>): Promise<number> {
  if (wantsHelp(args)) {
    log(CLASSIFY_USAGE);
    return 0;
  }
  const o = parse(CLASSIFY, args);
  preset(o.preset); // an unknown preset fails before anything is loaded
  let views: ViewSpec;
  try {
    views = parseViews(o.views ?? "3x4");
  } catch (error) {
    throw new UsageError(CLASSIFY.name, (error as Error).message, CLASSIFY_USAGE);
  }
  const backend = await chooseBackend(
    o.backend,
    async () => (await tryGpu(log)) !== undefined,
    () => log("classify: falling back to the CPU interpreter (slow: minutes per view for B/16; try --views 1x1)"),
  );
  if (!backend) return 1;
  await classify({
    preset: o.preset,
    weights: o.weights,
    video: o.video,
    views,
    backend,
    top: o.top ?? 5,
    log,
    ...(o.labels ? { labelsFile: o.labels } : {}),
    ...(o.batch ? { batch: o.batch } : {}),
    ...(o.ffmpeg ? { ffmpeg: o.ffmpeg } : {}),
  });
  return 0;
}
