/**
 * @file The main job's experiment: train a tiny UniFormerV2 on the synthetic motion task (a
 * square moving right, left, down or up; no single frame tells which), and the same backbone
 * with its temporal modules removed (the per-frame baseline, which cannot do better than
 * chance). Everything here is deterministic for a seed: the data, the initial weights, the
 * order of batches (step s reads batch s mod n of epoch ⌊s / n⌋) and the dropout keys, so a
 * run resumed from a checkpoint continues exactly as an uninterrupted one.
 */
import * as core from "../dsl/core.js";
import * as nn from "../dsl/nn/index.js";
import { realize } from "../dsl/realize.js";
import { jit } from "../dsl/transforms.js";
import type { AnyTensor } from "../dsl/tensor.js";
import { fromFlat, materialize, type CpuArray } from "../dsl/host/array.js";
import { Key } from "../dsl/random/threefry.js";
import type { Backend } from "../dsl/backend.js";
import { validateConfig, type UniFormerV2Config } from "../models/uniformerv2/config.js";
import { initParams } from "../models/uniformerv2/init.js";
import { flatFromTree, treeFromFlat } from "../models/uniformerv2/params.js";
import { uniformerv2 } from "../models/uniformerv2/model.js";
import { classificationObjective, partitionParams, perFrameLogits, perFrameParams, type FineTuneMode } from "../models/uniformerv2/finetune.js";
import { loader, makeDataset, type Batch, type Clip, type MotionTaskOptions } from "./data/synthetic-motion.js";
import { Trainer, TrainerError, type OptimizerSpec, type StepReport, type TrainerState } from "./trainer.js";

/** 8 frames of 32×32: a square of 8 px moving 2 px a frame. */
export const MOTION_TASK: MotionTaskOptions = { frames: 8, size: 32 };

/**
 * The demo model: UniFormerV2's structure at toy scale — 2 local blocks of width 32 with one
 * LT-MHRA each, a global block (with DPE) after each, sequential fusion, 4 classes.
 */
export const MOTION_CONFIG: UniFormerV2Config = validateConfig({
  inputResolution: 32,
  patchSize: 8,
  width: 32,
  layers: 2,
  heads: 2,
  frames: 8,
  temporalDownsample: false,
  kernelSize: 3,
  noLmhra: false,
  doubleLmhra: false,
  dwReduction: 2,
  returnList: [0, 1],
  globalDim: 32,
  globalHeads: 2,
  mlpFactor: 2,
  mlpDropout: [0, 0],
  clsDropout: 0,
  dropPathRate: 0,
  backboneDropPathRate: 0,
  numClasses: 4,
  frozen: false,
  fusion: "sequential",
});

export interface MotionData {
  readonly train: readonly Clip[];
  readonly test: readonly Clip[];
}

export function motionData(seed: number, trainClips = 512, testClips = 256): MotionData {
  return { train: makeDataset(trainClips, MOTION_TASK, 2 * seed + 1), test: makeDataset(testClips, MOTION_TASK, 2 * seed + 2) };
}

export interface MotionTrainOptions {
  readonly config?: UniFormerV2Config;
  readonly data: MotionData;
  readonly steps: number;
  readonly batch: number;
  readonly seed: number;
  /** Where the step compiles and runs (`webgpuBackend`, `cpuBackend`). */
  readonly backend: Backend;
  /** Train the per-frame baseline instead of the full model. */
  readonly perFrame?: boolean;
  readonly mode?: FineTuneMode;
  /** Initial parameters by official key (else fresh ones from the seed). */
  readonly init?: ReadonlyMap<string, AnyTensor>;
  readonly optimizer?: OptimizerSpec;
  readonly lr?: number;
  readonly warmup?: number;
  readonly resume?: TrainerState;
  /** Recompute each block in the backward pass (less memory, more time). */
  readonly checkpointBlocks?: boolean;
  /** Stops training between steps once aborted (a step on the GPU cannot be cut short). */
  readonly signal?: AbortSignal;
  /** Called after every step with the report and the batch's accuracy. */
  readonly onStep?: (report: StepReport, batchAccuracy: number, trainer: Trainer) => void | Promise<void>;
}

export const DEFAULT_OPTIMIZER: OptimizerSpec = { kind: "adamw", weightDecay: 0.05 };

export function batchArrays(b: Batch, task: MotionTaskOptions = MOTION_TASK): { videos: CpuArray; labels: CpuArray } {
  return {
    videos: fromFlat(b.videos, "float32", [b.size, task.frames, task.size, task.size, 3]),
    labels: fromFlat(b.labels, "int32", [b.size]),
  };
}

export function argmaxRows(logits: ArrayLike<number>, classes: number): number[] {
  const out: number[] = [];
  for (let r = 0; r * classes < logits.length; r++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (logits[r * classes + k]! > logits[r * classes + best]!) best = k;
    out.push(best);
  }
  return out;
}

/** The trainer of a run (fresh or resumed); `initialParams` are what frozen parts read. */
export function motionTrainer(o: MotionTrainOptions): { trainer: Trainer; initialParams: Map<string, AnyTensor> } {
  const config = o.config ?? MOTION_CONFIG;
  let flat = new Map(o.init ?? flatFromTree(initParams(config, Key.fromSeed(o.seed))));
  if (o.perFrame) flat = perFrameParams(flat);
  const groups = partitionParams(flat, o.mode ?? "all");
  const trainer = Trainer.create(
    {
      objective: classificationObjective(config, { perFrame: o.perFrame ?? false, labelSmoothing: 0.1, checkpointBlocks: o.checkpointBlocks ?? false }),
      ...groups,
      optimizer: o.optimizer ?? DEFAULT_OPTIMIZER,
      schedule: { base: o.lr ?? 2e-3, warmup: o.warmup ?? Math.min(20, Math.floor(o.steps / 5)), total: o.steps },
      maxGradNorm: 1,
      key: Key.fromSeed(1000 + o.seed),
      backend: o.backend,
    },
    o.resume,
  );
  return { trainer, initialParams: flat };
}

/** Train until `steps` (continuing a resumed trainer from its step), or until `signal` aborts. */
export async function trainMotion(o: MotionTrainOptions, trainer: Trainer): Promise<void> {
  const task = MOTION_TASK;
  const batches = loader(o.data.train, task, { batchSize: o.batch, shuffle: true, augment: true, seed: o.seed });
  const perEpoch = Math.floor(o.data.train.length / o.batch);
  if (perEpoch < 1) throw new Error(`batch ${o.batch} is larger than the ${o.data.train.length} training clips`);
  let epoch = -1;
  let epochBatches: Batch[] = [];
  const classes = (o.config ?? MOTION_CONFIG).numClasses;
  while (trainer.step < o.steps && !o.signal?.aborted) {
    const e = Math.floor(trainer.step / perEpoch);
    if (e !== epoch) {
      epoch = e;
      epochBatches = batches.epoch(e);
    }
    const b = epochBatches[trainer.step % perEpoch]!;
    const report = await trainer.trainStep(batchArrays(b, task));
    if (!Number.isFinite(report.loss)) {
      throw new TrainerError(`the loss is ${report.loss} at step ${report.step} (learning rate ${report.lr.toPrecision(3)}): training diverged; lower the learning rate`);
    }
    const predicted = argmaxRows(materialize(report.outputs.logits!), classes);
    const accuracy = predicted.filter((p, i) => p === b.labels[i]).length / b.size;
    await o.onStep?.(report, accuracy, trainer);
  }
}

export interface Evaluation {
  readonly accuracy: number;
  readonly predictions: number[];
  /** Softmax probabilities, [clips × classes] row-major. */
  readonly probabilities: Float32Array;
}

/**
 * Eval-mode accuracy (BatchNorm running statistics, no dropout) on `clips`, in chunks of
 * `chunk` clips, on `o.backend`.
 */
export async function evaluateMotion(
  params: ReadonlyMap<string, AnyTensor>,
  clips: readonly Clip[],
  o: { readonly config?: UniFormerV2Config; readonly perFrame?: boolean; readonly backend: Backend; readonly chunk?: number },
): Promise<Evaluation> {
  const config = o.config ?? MOTION_CONFIG;
  const task = { frames: config.frames, size: config.inputResolution };
  const classes = config.numClasses;
  const forward = (p: Record<string, AnyTensor>, videos: AnyTensor) => {
    const tree = treeFromFlat(new Map(Object.entries(p)));
    const logits = o.perFrame ? perFrameLogits(tree, videos, config) : uniformerv2(tree, videos, config).logits;
    return nn.softmax(logits, -1);
  };
  // One compiled program for every chunk (cached per input signature).
  const run = jit(forward, { backend: o.backend });
  const record = Object.fromEntries(params);
  const chunk = Math.min(o.chunk ?? 64, clips.length);
  const clipSize = task.frames * task.size * task.size * 3;
  const probabilities = new Float32Array(clips.length * classes);
  try {
    for (let s = 0; s < clips.length; s += chunk) {
      // A short last chunk is padded with copies of the first clip (one program for every chunk).
      const videos = new Float32Array(chunk * clipSize);
      for (let i = 0; i < chunk; i++) videos.set(clips[Math.min(s + i, clips.length - 1)]!.video, i * clipSize);
      const probs = materialize(realize(await run(record, core.constant(videos, [chunk, task.frames, task.size, task.size, 3], "float32"))));
      const count = Math.min(chunk, clips.length - s);
      probabilities.set(probs.subarray(0, count * classes), s * classes);
    }
  } finally {
    run.dispose();
  }
  const predictions = argmaxRows(probabilities, classes);
  return { accuracy: predictions.filter((p, i) => p === clips[i]!.label).length / clips.length, predictions, probabilities };
}
