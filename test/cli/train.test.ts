/**
 * `wgtensor train` (the main job) on the CPU interpreter at toy size: the JSON line, the files
 * it writes (weights with official names and shapes, a checkpoint at the final step), resuming a
 * finished run (no more steps, the same held-out result), and clear errors for bad options.
 * The README's Training example runs as written (CPU backend) in the last test.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { loadCheckpoint } from "../../src/train/checkpoint.js";
import { loadSafetensors } from "../../src/runtime/io/safetensors.js";
import { paramSpecs } from "../../src/models/uniformerv2/params.js";
import { MOTION_CONFIG } from "../../src/train/motion.js";
import * as wg from "../../src/index.js";
import { tempDir } from "../models/helpers.js";

const tmp = tempDir("wgt-train-");
afterAll(() => tmp.cleanup());

const small = ["--backend", "cpu", "--steps", "2", "--baseline-steps", "1", "--batch", "4", "--train-clips", "8", "--test-clips", "4", "--classify", "2", "--json"];

async function run(args: readonly string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(["train", ...args], (l) => lines.push(l));
  return { code, lines };
}

describe("wgtensor train --task synthetic-motion", () => {
  const out = path.join(tmp.dir, "run");

  test("trains both models, saves weights and a checkpoint, classifies, ends with a JSON line", async () => {
    const { code, lines } = await run(["--task", "synthetic-motion", ...small, "--out", out]);
    expect(code).toBe(0);
    const result = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(result).toMatchObject({ task: "synthetic-motion", steps: 2, baseline_steps: 1, backend: "cpu", mode: "all" });
    for (const k of ["accuracy", "baseline_accuracy", "seconds", "steps_per_second"]) expect(typeof result[k]).toBe("number");
    expect(result.accuracy as number).toBeGreaterThanOrEqual(0);
    expect(result.accuracy as number).toBeLessThanOrEqual(1);
    expect(lines.some((l) => /^temporal .*\[#+\] 2\/2 .*loss \d/.test(l))).toBe(true);
    expect(lines.some((l) => /^  clip 1: moving \w+ +→ predicted \w+/.test(l))).toBe(true);

    // Weights: every official key with its official shape (conv weights in PyTorch layout).
    const weights = loadSafetensors(path.join(out, "uniformerv2-motion.safetensors"));
    for (const spec of paramSpecs(MOTION_CONFIG)) expect(weights.tensors.get(spec.key)?.shape, spec.key).toEqual(spec.officialShape);
    const ckpt = loadCheckpoint(path.join(out, "checkpoint.safetensors"));
    expect(ckpt.state.step).toBe(2);
    expect(Object.keys(ckpt.state.optimizer)).toContain("step");
  });

  test("--resume of a finished run takes no more steps and gives the same result", async () => {
    const first = JSON.parse((await run([...small, "--out", path.join(tmp.dir, "again")])).lines.at(-1)!) as Record<string, number>;
    const resumed = await run(["--resume", path.join(tmp.dir, "again", "checkpoint.safetensors"), "--backend", "cpu", "--baseline-steps", "1", "--classify", "0", "--json", "--out", path.join(tmp.dir, "again")]);
    expect(resumed.lines.some((l) => /resuming from .* at step 2 of 2/.test(l))).toBe(true);
    expect(JSON.parse(resumed.lines.at(-1)!).accuracy).toBe(first.accuracy);
  });

  test("bad options and files fail with a clear message", async () => {
    await expect(run(["--task", "imagenet"])).rejects.toThrow(/--task: unknown task "imagenet" \(available: synthetic-motion\)/);
    await expect(run(["--backend", "cpu", "--mode", "half"])).rejects.toThrow(/--mode must be all or frozen-backbone, got "half"/);
    await expect(run(["--backend", "cpu", "--optimizer", "lion"])).rejects.toThrow(/--optimizer must be adamw or sgd/);
    await expect(run(["--backend", "cpu", "--steps", "0"])).rejects.toThrow(/--steps needs an integer ≥ 1/);
    const weights = path.join(out, "uniformerv2-motion.safetensors");
    expect(existsSync(weights)).toBe(true);
    await expect(run(["--backend", "cpu", "--resume", weights])).rejects.toThrow(/not a wgtensor training checkpoint/);
    await expect(run(["--backend", "cpu", "--steps", "1", "--batch", "64", "--train-clips", "8", "--out", path.join(tmp.dir, "big")])).rejects.toThrow(/batch 64 is larger than the 8 training clips/);
    // A learning rate of a million blows the weights up: the run stops at the first non-finite loss.
    await expect(run(["--backend", "cpu", "--steps", "6", "--batch", "4", "--train-clips", "8", "--test-clips", "4", "--no-baseline", "--lr", "1000000", "--out", path.join(tmp.dir, "nan")])).rejects.toThrow(
      /the loss is (NaN|Infinity) at step \d \(learning rate [\d.e+]+\): training diverged/,
    );
  });

  test("the training step is a workload: compile train-step --emit-wgsl writes its kernels", async () => {
    const dir = path.join(tmp.dir, "wgsl");
    const lines: string[] = [];
    expect(await main(["compile", "train-step:2", "--emit-wgsl", dir], (l) => lines.push(l))).toBe(0);
    const written = Number(/(\d+) kernel\(s\) written/.exec(lines.join("\n"))?.[1]);
    expect(written).toBeGreaterThan(100);
    expect(readdirSync(dir).length).toBe(written);
  });

  test("README Training example: create, step, checkpoint, resume (CPU backend)", async () => {
    const { uniformerv2: uv2 } = wg;
    const config = wg.motion.MOTION_CONFIG;
    const fresh = uv2.initParams(config, wg.Key.fromSeed(0));
    const options: wg.TrainerOptions = {
      objective: uv2.classificationObjective(config, { labelSmoothing: 0.1 }),
      ...uv2.partitionParams(uv2.flatFromTree(fresh), "all"),
      optimizer: { kind: "adamw", weightDecay: 0.05 },
      schedule: { base: 2e-3, warmup: 20, total: 150 },
      maxGradNorm: 1,
      key: wg.Key.fromSeed(1),
      backend: wg.cpuBackend,
    };
    const trainer = wg.Trainer.create(options);
    const videos = wg.core.randomUniform(wg.core.constant(new Int32Array([0, 5]), [2], "int32"), [2, 8, 32, 32, 3]);
    const labels = wg.core.constant(new Int32Array([0, 3]), [2], "int32");
    const report = await trainer.trainStep({ videos, labels });
    expect(report.step).toBe(1);
    expect(Number.isFinite(report.loss)).toBe(true);
    const file = path.join(tmp.dir, "run.ckpt.safetensors");
    wg.saveCheckpoint(file, await trainer.state());
    const resumed = wg.Trainer.create(options, wg.loadCheckpoint(file).state);
    expect(resumed.step).toBe(1);
  });
});
