/**
 * The training-step memory report (no GPU): on the demo's tiny UniFormerV2 the breakdown adds
 * up, inputs are the parameters', optimizer's and batch's sizes, the pool is at least what is
 * live at once, and checkpointing the blocks lowers the pooled bytes; `wgtensor memory` prints it.
 */
import { describe, expect, it } from "vitest";
import { memoryCommand } from "../../src/cli/memory.js";
import { paramSpecs } from "../../src/models/uniformerv2/params.js";
import { MOTION_CONFIG } from "../../src/train/motion.js";
import { trainingStepMemory } from "../../src/train/memory.js";

const config = MOTION_CONFIG;
const batch = 4;

describe("trainingStepMemory (tiny UniFormerV2)", () => {
  const plain = trainingStepMemory(config, { batch });
  const remat = trainingStepMemory(config, { batch, checkpointBlocks: true });

  it("adds up, and the inputs are the parameters, AdamW's two slots and the batch", () => {
    for (const m of [plain, remat]) {
      const inputs = Object.values(m.inputs).reduce((a, b) => a + b, 0);
      expect(m.total).toBe(inputs + m.constants + m.pooled);
      expect(m.pooled).toBeGreaterThanOrEqual(m.pool.peakLive);
      expect(m.pool.peakLive).toBeGreaterThanOrEqual(Math.max(m.pool.carryOut, m.pool.workingPeak));
    }
    const isBuffer = (key: string) => key.endsWith("running_mean") || key.endsWith("running_var");
    const specs = paramSpecs(config);
    const floats = (keep: (key: string) => boolean) => specs.filter((s) => keep(s.key)).reduce((n, s) => n + 4 * Math.max(1, s.shape.reduce((a, b) => a * b, 1)), 0);
    expect(plain.inputs.trainable).toBe(floats((k) => !isBuffer(k)));
    expect(plain.inputs.buffers).toBe(floats(isBuffer));
    expect(plain.inputs.optimizer).toBe(2 * plain.inputs.trainable + 4); // m, v and the step count
    expect(plain.inputs.frozen).toBe(0);
    // videos [B, T, H, W, 3] f32, labels [B] i32, the learning rate and the int32 [2] key.
    expect(plain.inputs.batch).toBe(4 * (batch * config.frames * config.inputResolution ** 2 * 3 + batch + 1 + 2));
    // The new carry is written over the inputs (donated) or computed into the pool and copied.
    expect(plain.pool.carryOut + plain.carryInPlace.bytes).toBe(plain.inputs.trainable + plain.inputs.buffers + plain.inputs.optimizer);
    // Every AdamW update is elementwise: all of it in place, none of it pooled.
    expect(plain.carryInPlace.bytes).toBe(plain.inputs.trainable + plain.inputs.buffers + plain.inputs.optimizer);
  });

  it("checkpointing the blocks lowers the pooled bytes (the same inputs)", () => {
    expect(remat.inputs).toEqual(plain.inputs);
    expect(remat.pooled).toBeLessThan(plain.pooled);
    expect(remat.pool.workingPeak).toBeLessThan(plain.pool.workingPeak);
    expect(remat.kernels).toBeGreaterThan(plain.kernels); // the recomputed forward
  });

  it("a frozen backbone trains fewer parameters and reads the rest as frozen inputs", () => {
    const frozen = trainingStepMemory(config, { batch, mode: "frozen-backbone" });
    expect(frozen.parameters.frozen).toBeGreaterThan(0);
    expect(frozen.parameters.trainable + frozen.parameters.frozen).toBe(plain.parameters.trainable);
    expect(frozen.inputs.trainable + frozen.inputs.frozen).toBe(plain.inputs.trainable);
    expect(frozen.pooled).toBeLessThan(plain.pooled);
  });
});

describe("wgtensor memory", () => {
  it("prints the breakdown in MiB, and JSON with --json", async () => {
    const lines: string[] = [];
    expect(await memoryCommand(["--preset", "tiny", "--batch", "2", "--checkpoint-blocks"], (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toContain("tiny, batch 2");
    expect(lines[0]).toContain("blocks checkpointed");
    for (const label of ["trainable", "optimizer state", "batch", "pooled", "total"]) expect(lines.some((l) => l.trimStart().startsWith(label) && l.includes("MiB"))).toBe(true);
    const json: string[] = [];
    await memoryCommand(["--preset", "tiny", "--batch", "2", "--json"], (l) => json.push(l));
    const parsed = JSON.parse(json[0]!) as { mib: { total: number }; checkpointBlocks: boolean };
    expect(parsed.checkpointBlocks).toBe(false);
    expect(parsed.mib.total).toBeGreaterThan(0);
  });

  it("rejects unknown options and bad values", async () => {
    await expect(memoryCommand(["--bogus"], () => {})).rejects.toThrow(/unknown option/);
    await expect(memoryCommand(["--preset", "tiny", "--mode", "half"], () => {})).rejects.toThrow(/--mode/);
    await expect(memoryCommand(["--preset", "nope"], () => {})).rejects.toThrow(/preset/);
  });
});
