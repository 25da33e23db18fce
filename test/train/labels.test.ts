/**
 * Labels are host data when a training step is fed: one past the classes (or not int32) is
 * refused before the step runs, naming the label, instead of a finite, wrong loss.
 */
import { describe, expect, it } from "vitest";
import { cpuBackend } from "../../src/runtime/cpu/backend.js";
import { fromFlat } from "../../src/dsl/host/array.js";
import { batchArrays, motionData, motionTrainer } from "../../src/train/motion.js";
import { loader } from "../../src/train/data/synthetic-motion.js";

describe("a training step checks its labels", () => {
  it("refuses a label past the classes and a float label, and runs with good ones", async () => {
    const data = motionData(0, 4, 2);
    const { trainer } = motionTrainer({ data, steps: 1, batch: 4, seed: 0, backend: cpuBackend });
    const batch = batchArrays(loader(data.train, { frames: 8, size: 32 }, { batchSize: 4, shuffle: false, augment: false, seed: 0 }).epoch(0)[0]!);
    await expect(trainer.trainStep({ ...batch, labels: fromFlat(new Int32Array([0, 1, 4, 2]), "int32", [4]) })).rejects.toThrow(/label 2 of the batch is 4, not a class index in \[0, 4\)/);
    await expect(trainer.trainStep({ ...batch, labels: fromFlat(new Float32Array([0, 1, 2, 3]), "float32", [4]) })).rejects.toThrow(/labels must be int32 class indices, got float32/);
    expect(trainer.step).toBe(0);
    const report = await trainer.trainStep(batch);
    expect(Number.isFinite(report.loss)).toBe(true);
    trainer.dispose();
  }, 120_000);
});
