/**
 * @file `wgtensor train --task synthetic-motion` (what `npm start` runs): train the tiny
 * UniFormerV2 on the motion task on WebGPU (the CPU interpreter without an adapter), then the
 * per-frame baseline; save the weights (safetensors, official key names) and a training
 * checkpoint; classify a few held-out clips with the saved weights. `--json` ends with one
 * JSON line of the results.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { AnyTensor } from "../dsl/tensor.js";
import type { Backend } from "../dsl/backend.js";
import { flatFromTree, treeFromFlat } from "../models/uniformerv2/params.js";
import { loadWeights, saveWeights } from "../models/uniformerv2/weights.js";
import { FINE_TUNE_MODES, isBuffer, type FineTuneMode } from "../models/uniformerv2/finetune.js";
import { paramSpecs } from "../models/uniformerv2/params.js";
import { DIRECTIONS } from "../train/data/synthetic-motion.js";
import { loadCheckpoint, saveCheckpoint } from "../train/checkpoint.js";
import { evaluateMotion, MOTION_CONFIG, MOTION_TASK, motionData, motionTrainer, trainMotion, type MotionData } from "../train/motion.js";
import type { OptimizerSpec, Trainer } from "../train/trainer.js";
import { ProgressBar } from "./progress.js";
import { backendOption, flag, int, num, oneOf, parse, str, UsageError, type Parsed } from "./options.js";

export const TRAIN_USAGE = `usage: wgtensor train [--task synthetic-motion] [options]
  --steps N              training steps of the temporal model (default 150)
  --baseline-steps N     steps of the per-frame baseline (default: --steps)
  --no-baseline          skip the baseline
  --batch B              clips a step (default 16)
  --seed S               data, initial weights, batch order and dropout keys (default 0)
  --backend B            auto (default: WebGPU when an adapter is available), webgpu or cpu
  --mode M               all (default) or frozen-backbone (train global blocks and head only)
  --weights FILE         start from these weights (.safetensors or .pth, official names)
  --optimizer O          adamw (default, weight decay 0.05) or sgd (momentum 0.9)
  --lr X                 peak learning rate of the warmup + cosine schedule (default 0.002)
  --train-clips N        training clips (default 512)
  --test-clips N         held-out clips (default 256)
  --out DIR              where weights and checkpoints go (default runs/synthetic-motion)
  --checkpoint-blocks    recompute each block in the backward pass (less GPU memory)
  --checkpoint-every N   also checkpoint every N steps (default: only at the end)
  --resume CKPT          continue a run from its checkpoint (its settings are reused)
  --classify N           held-out clips to classify with the saved weights (default 6)
  --json                 end with one JSON line: accuracy, baseline_accuracy, steps, seconds, …`;

export const TRAIN = {
  name: "train",
  usage: TRAIN_USAGE,
  options: {
    task: str(),
    steps: int(1),
    "baseline-steps": int(1),
    "no-baseline": flag(),
    batch: int(1),
    seed: int(0),
    backend: backendOption(),
    mode: oneOf(...FINE_TUNE_MODES),
    weights: str(),
    optimizer: oneOf("adamw", "sgd"),
    lr: num(),
    "train-clips": int(1),
    "test-clips": int(1),
    out: str(),
    "checkpoint-blocks": flag(),
    "checkpoint-every": int(0),
    resume: str(),
    classify: int(0),
    json: flag(),
  },
};

export type TrainOptions = Parsed<typeof TRAIN.options>;

/** The options of `wgtensor train`, checked before any GPU work. */
export function parseTrain(args: readonly string[]): TrainOptions {
  const o = parse(TRAIN, args);
  if (o.task !== undefined && o.task !== "synthetic-motion") throw new UsageError(TRAIN.name, `--task: unknown task "${o.task}" (available: synthetic-motion)`, TRAIN_USAGE);
  return o;
}

interface RunSettings {
  readonly task: "synthetic-motion";
  readonly steps: number;
  readonly batch: number;
  readonly seed: number;
  readonly mode: FineTuneMode;
  readonly optimizer: "adamw" | "sgd";
  readonly lr: number;
  readonly trainClips: number;
  readonly testClips: number;
  readonly weights?: string;
  readonly checkpointBlocks?: boolean;
}

const optimizerSpec = (name: RunSettings["optimizer"]): OptimizerSpec =>
  name === "sgd" ? { kind: "sgd", momentum: 0.9, weightDecay: 5e-4 } : { kind: "adamw", weightDecay: 0.05 };

async function initialParams(s: RunSettings): Promise<Map<string, AnyTensor> | undefined> {
  if (!s.weights) return undefined;
  return flatFromTree((await loadWeights(MOTION_CONFIG, s.weights)).params);
}

/** Train one model with a progress bar; returns its parameters and timings. */
async function runOne(
  label: string,
  s: RunSettings,
  data: MotionData,
  backend: Backend,
  log: (line: string) => void,
  write: (text: string) => void,
  extra: { perFrame: boolean; resume?: Awaited<ReturnType<typeof loadCheckpoint>>["state"]; checkpoint?: (t: Trainer) => Promise<void>; checkpointEvery?: number },
) {
  const init = await initialParams(s);
  const { trainer, initialParams: start } = motionTrainer({
    data,
    steps: s.steps,
    batch: s.batch,
    seed: s.seed,
    backend,
    perFrame: extra.perFrame,
    mode: s.mode,
    optimizer: optimizerSpec(s.optimizer),
    lr: s.lr,
    checkpointBlocks: s.checkpointBlocks ?? false,
    ...(init ? { init } : {}),
    ...(extra.resume ? { resume: extra.resume } : {}),
  });
  const bar = new ProgressBar(label, write, log);
  const recent: number[] = [];
  let firstStepDone = 0;
  let compileSeconds = 0;
  const startedAt = trainer.step;
  const t0 = performance.now();
  let lastLoss = NaN;
  await trainMotion(
    {
      data,
      steps: s.steps,
      batch: s.batch,
      seed: s.seed,
      backend,
      onStep: async (report, accuracy, t) => {
        if (firstStepDone === 0) {
          firstStepDone = performance.now();
          compileSeconds = (firstStepDone - t0) / 1000;
        }
        recent.push(accuracy);
        if (recent.length > 10) recent.shift();
        lastLoss = report.loss;
        const timed = t.step - startedAt - 1;
        const clipsPerSecond = timed > 0 ? (timed * s.batch) / ((performance.now() - firstStepDone) / 1000) : 0;
        bar.update({ step: t.step, total: s.steps, loss: report.loss, accuracy: recent.reduce((a, b) => a + b, 0) / recent.length, clipsPerSecond });
        if (extra.checkpoint && extra.checkpointEvery && t.step % extra.checkpointEvery === 0 && t.step < s.steps) await extra.checkpoint(t);
      },
    },
    trainer,
  );
  const trainedSteps = trainer.step - startedAt;
  const steadySeconds = firstStepDone ? (performance.now() - firstStepDone) / 1000 : 0;
  const params = new Map([...start, ...Object.entries(await trainer.parameters())]);
  const kernels = trainer.kernels;
  const deviceBytes = trainer.deviceBytes;
  await extra.checkpoint?.(trainer);
  trainer.dispose();
  return {
    params,
    trainedSteps,
    compileSeconds,
    stepsPerSecond: trainedSteps > 1 ? (trainedSteps - 1) / steadySeconds : NaN,
    lastLoss,
    kernels,
    deviceBytes,
    seconds: (performance.now() - t0) / 1000,
  };
}

export async function trainCommand(
  o: TrainOptions,
  backend: Backend,
  log: (line: string) => void,
  write: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  const started = performance.now();
  const out = o.out ?? path.join("runs", "synthetic-motion");
  const resumePath = o.resume;
  const resumed = resumePath ? loadCheckpoint(resumePath) : undefined;
  let settings: RunSettings;
  if (resumed) {
    try {
      settings = JSON.parse(resumed.metadata.run ?? "") as RunSettings;
    } catch {
      throw new Error(`${resumePath}: the checkpoint does not record its run settings ("run" in the header); was it written by wgtensor train?`);
    }
  } else {
    const optimizer = o.optimizer ?? "adamw";
    settings = {
      task: "synthetic-motion",
      steps: o.steps ?? 150,
      batch: o.batch ?? 16,
      seed: o.seed ?? 0,
      mode: o.mode ?? "all",
      optimizer,
      lr: o.lr ?? (optimizer === "sgd" ? 0.05 : 2e-3),
      trainClips: o["train-clips"] ?? 512,
      testClips: o["test-clips"] ?? 256,
      ...(o.weights ? { weights: o.weights } : {}),
      ...(o["checkpoint-blocks"] ? { checkpointBlocks: true } : {}),
    };
  }
  const baselineSteps = o["baseline-steps"] ?? settings.steps;
  const classifyCount = o.classify ?? 6;
  const checkpointEvery = o["checkpoint-every"] ?? 0;
  mkdirSync(out, { recursive: true });
  const weightsPath = path.join(out, "uniformerv2-motion.safetensors");
  const checkpointPath = path.join(out, "checkpoint.safetensors");

  const data = motionData(settings.seed, settings.trainClips, settings.testClips);
  const parameters = paramSpecs(MOTION_CONFIG).filter((p) => !isBuffer(p.key)).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  const c = MOTION_CONFIG;
  log(`task: synthetic motion — a square moves ${DIRECTIONS.join(", ")} across ${MOTION_TASK.frames} frames of ${MOTION_TASK.size}×${MOTION_TASK.size}; no single frame tells which`);
  log(`data: ${data.train.length} training clips (shuffled, flipped with their labels, brightness-jittered), ${data.test.length} held-out clips`);
  log(`model: UniFormerV2 width ${c.width}, ${c.layers} local blocks with LT-MHRA, ${c.returnList.length} global blocks with DPE, ${parameters.toLocaleString("en-US")} parameters; mode ${settings.mode}`);
  log(`training: ${settings.optimizer === "adamw" ? "AdamW" : "SGD with momentum"}, lr ${settings.lr} warmup + cosine, clip ‖g‖ ≤ 1, label smoothing 0.1, batch ${settings.batch}, on ${backend.label} (one program a step)`);
  if (resumed) log(`resuming from ${resumePath} at step ${resumed.state.step} of ${settings.steps}`);

  const checkpoint = async (t: Trainer) => saveCheckpoint(checkpointPath, await t.state(), { run: JSON.stringify(settings), model: "uniformerv2-motion" });

  const full = await runOne("temporal ", settings, data, backend, log, write, {
    perFrame: false,
    ...(resumed ? { resume: resumed.state } : {}),
    checkpoint,
    checkpointEvery,
  });
  const fullEval = await evaluateMotion(full.params, data.test, { backend });
  saveWeights(MOTION_CONFIG, treeFromFlat(full.params), weightsPath, { task: "synthetic-motion", classes: DIRECTIONS.join(",") });
  log(
    `temporal model: held-out accuracy ${(100 * fullEval.accuracy).toFixed(1)}% after ${settings.steps} steps ` +
      `(${full.stepsPerSecond.toFixed(2)} steps/s, ${(full.stepsPerSecond * settings.batch).toFixed(1)} clips/s; first step with compilation ${full.compileSeconds.toFixed(1)} s` +
      `${full.kernels ? `; ${full.kernels} kernels a step, ${(full.deviceBytes! / 2 ** 20).toFixed(1)} MiB on the GPU` : ""})`,
  );
  log(`saved weights (official key names) to ${weightsPath} and the training checkpoint to ${checkpointPath}`);

  let baseline: { accuracy: number; steps: number } | undefined;
  if (!o["no-baseline"]) {
    const b = await runOne("per-frame", { ...settings, steps: baselineSteps }, data, backend, log, write, { perFrame: true });
    const bEval = await evaluateMotion(b.params, data.test, { backend, perFrame: true });
    baseline = { accuracy: bEval.accuracy, steps: baselineSteps };
    log(
      `per-frame baseline (LT-MHRA, DPE and global blocks removed): held-out accuracy ${(100 * bEval.accuracy).toFixed(1)}% after ${baselineSteps} steps ` +
        `(chance ${(100 / DIRECTIONS.length).toFixed(0)}%; ${b.stepsPerSecond.toFixed(2)} steps/s${b.kernels ? `, ${b.kernels} kernels a step` : ""})`,
    );
  }

  if (classifyCount > 0) {
    const loaded = flatFromTree((await loadWeights(MOTION_CONFIG, weightsPath)).params);
    const clips = data.test.slice(0, classifyCount);
    const result = await evaluateMotion(loaded, clips, { backend, chunk: clips.length });
    log(`classifying ${clips.length} held-out clips with ${weightsPath}:`);
    clips.forEach((clip, i) => {
      const p = result.predictions[i]!;
      const confidence = result.probabilities[i * DIRECTIONS.length + p]!;
      log(`  clip ${i}: moving ${DIRECTIONS[clip.label]!.padEnd(5)} → predicted ${DIRECTIONS[p]!.padEnd(5)} (${(100 * confidence).toFixed(1)}%)${p === clip.label ? "" : "  ✗"}`);
    });
  }
  const seconds = (performance.now() - started) / 1000;
  log(`done in ${seconds.toFixed(1)} s`);
  if (o.json) {
    log(
      JSON.stringify({
        task: "synthetic-motion",
        accuracy: fullEval.accuracy,
        baseline_accuracy: baseline?.accuracy ?? null,
        steps: settings.steps,
        baseline_steps: baseline?.steps ?? null,
        seconds: Number(seconds.toFixed(2)),
        steps_per_second: Number(full.stepsPerSecond.toFixed(3)),
        compile_seconds: Number(full.compileSeconds.toFixed(2)),
        backend: backend.name,
        mode: settings.mode,
        weights: weightsPath,
        checkpoint: checkpointPath,
      }),
    );
  }
  return 0;
}
