/**
 * Training checkpoints (CPU interpreter, tiny UniFormerV2 with nonzero dropout / drop-path rates
 * and a warmup + cosine schedule, so both the RNG key and the step number change what a step
 * does):
 *   - resume equals uninterrupted: 4 straight steps against 2 steps → saveCheckpoint →
 *     loadCheckpoint → Trainer.create(options, state) → 2 steps on the same batches. Parameters,
 *     buffers, optimizer slots, losses and learning rates are bitwise equal (the interpreter is
 *     deterministic; the checkpoint keeps f32/i32 bits). For AdamW and SGD with momentum.
 *     Non-vacuity: resuming with the step or the key reset does *not* reproduce the run.
 *   - the caller's metadata round-trips; the reserved fields (format, step, key) do not leak.
 *   - errors: an inference weights file (CheckpointError naming the format), a truncated or
 *     garbage file (the reader's error, naming the path), a bad step or key in the header, a
 *     tensor outside the three sections.
 *   - saving over an existing checkpoint leaves a loadable file with the new content and no
 *     temporary files beside it.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cpuBackend } from "../../src/runtime/cpu/backend.js";
import * as core from "../../src/dsl/core.js";
import { classificationObjective, partitionParams } from "../../src/models/uniformerv2/finetune.js";
import { flatFromTree, saveWeights } from "../../src/models/uniformerv2/index.js";
import { materialize, type CpuArray } from "../../src/dsl/host/array.js";
import { writeSafetensors } from "../../src/runtime/io/safetensors.js";
import { Key } from "../../src/dsl/random/threefry.js";
import { CHECKPOINT_FORMAT, CheckpointError, loadCheckpoint, saveCheckpoint } from "../../src/train/checkpoint.js";
import { Trainer, type OptimizerSpec, type StepReport, type TrainerOptions, type TrainerState } from "../../src/train/trainer.js";
import { randomParams, randomVideo, tempDir, tinyConfig } from "../models/helpers.js";

const tmp = tempDir("wgt-ckpt-");
afterAll(tmp.cleanup);
const file = (name: string) => path.join(tmp.dir, name);

const config = tinyConfig({ frames: 2, mlpDropout: [0.3, 0.3], clsDropout: 0.3, dropPathRate: 0.3, backboneDropPathRate: 0.3 });
const flat = flatFromTree(randomParams(config, 1));
const groups = partitionParams(flat, "all");
const batches = [0, 1, 2, 3].map((i) => ({
  videos: randomVideo(config, 2, 10 + i),
  labels: core.constant(new Int32Array([i % 3, (i + 1) % 3]), [2], "int32"),
}));

const optionsFor = (optimizer: OptimizerSpec, key = Key.fromSeed(5)): TrainerOptions => ({
  objective: classificationObjective(config),
  trainable: groups.trainable,
  buffers: groups.buffers,
  optimizer,
  schedule: { base: 2e-2, warmup: 2, total: 5 },
  maxGradNorm: 1,
  key,
  backend: cpuBackend,
});

const bits = (v: CpuArray): number[] => Array.from(materialize(v));

function expectSameState(got: TrainerState, want: TrainerState): void {
  expect(got.step).toBe(want.step);
  expect([got.key.k0, got.key.k1]).toEqual([want.key.k0, want.key.k1]);
  for (const section of ["trainable", "buffers", "optimizer"] as const) {
    expect(Object.keys(got[section]).sort(), section).toEqual(Object.keys(want[section]).sort());
    for (const [k, v] of Object.entries(want[section])) {
      expect(got[section][k]!.dtype, `${section} ${k}`).toBe(v.dtype);
      expect(got[section][k]!.view.shape, `${section} ${k}`).toEqual(v.view.shape);
      expect(bits(got[section][k]!), `${section} ${k}`).toEqual(bits(v));
    }
  }
}

/** Count of trainable tensors that differ between two states. */
const differing = (a: TrainerState, b: TrainerState) =>
  Object.keys(a.trainable).filter((k) => bits(a.trainable[k]!).some((x, i) => x !== bits(b.trainable[k]!)[i])).length;

describe("training checkpoints", () => {
  it.each([
    ["AdamW", { kind: "adamw", weightDecay: 0.05 }],
    ["SGD with momentum", { kind: "sgd", momentum: 0.9, weightDecay: 1e-3 }],
  ] as const)("a resumed run equals an uninterrupted one (%s)", async (_, optimizer) => {
    const straight = Trainer.create(optionsFor(optimizer));
    const straightReports: StepReport[] = [];
    for (const b of batches) straightReports.push(await straight.trainStep(b));
    const want = await straight.state();
    // Warmup then cosine: 0.01, 0.02, 0.02, 0.015 (the lr depends on the step).
    [0.01, 0.02, 0.02, 0.015].forEach((lr, i) => expect(straightReports[i]!.lr).toBeCloseTo(lr, 12));

    const first = Trainer.create(optionsFor(optimizer));
    for (const b of batches.slice(0, 2)) await first.trainStep(b);
    const p = file(`resume-${optimizer.kind}.safetensors`);
    saveCheckpoint(p, await first.state(), { config: JSON.stringify(config), optimizer: optimizer.kind });
    const loaded = loadCheckpoint(p);
    expect(loaded.metadata).toEqual({ config: JSON.stringify(config), optimizer: optimizer.kind });
    expectSameState(loaded.state, await first.state());
    // The key comes from the checkpoint, not from the options of the resumed run.
    const resumed = Trainer.create(optionsFor(optimizer, Key.fromSeed(999)), loaded.state);
    expect(resumed.step).toBe(2);
    for (const [i, b] of batches.slice(2).entries()) {
      const r = await resumed.trainStep(b);
      const s = straightReports[i + 2]!;
      expect([r.step, r.loss, r.gradNorm, r.lr]).toEqual([s.step, s.loss, s.gradNorm, s.lr]);
    }
    expectSameState(await resumed.state(), want);

    // Non-vacuity: the step and the key matter (lr and dropout masks), so resuming without
    // either would have been caught.
    for (const broken of [{ ...loaded.state, step: 0 }, { ...loaded.state, key: Key.fromSeed(6) }]) {
      const wrong = Trainer.create(optionsFor(optimizer), broken);
      for (const b of batches.slice(2)) await wrong.trainStep(b);
      expect(differing(await wrong.state(), want)).toBeGreaterThan(10);
    }
  });

  it("saving over an existing checkpoint leaves a loadable file with the new state", async () => {
    const trainer = Trainer.create(optionsFor({ kind: "adamw" }));
    const p = file("overwrite.safetensors");
    await trainer.trainStep(batches[0]!);
    saveCheckpoint(p, await trainer.state(), { note: "first" });
    await trainer.trainStep(batches[1]!);
    const second = await trainer.state();
    saveCheckpoint(p, second, { note: "second" });
    const loaded = loadCheckpoint(p);
    expect(loaded.metadata).toEqual({ note: "second" });
    expectSameState(loaded.state, second);
    expect(readdirSync(tmp.dir).filter((n) => n.includes("overwrite"))).toEqual(["overwrite.safetensors"]);
  });

  describe("errors", () => {
    it("an inference weights file is not a checkpoint", () => {
      const p = file("weights.safetensors");
      saveWeights(config, randomParams(config, 2), p);
      const load = () => loadCheckpoint(p);
      expect(load).toThrow(CheckpointError);
      expect(load).toThrow(`${p}: not a wgtensor training checkpoint (format "pt", want "${CHECKPOINT_FORMAT}")`);
      const bare = file("bare.safetensors");
      writeSafetensors(bare, { x: { dtype: "float32", shape: [2], data: new Float32Array(2) } });
      expect(() => loadCheckpoint(bare)).toThrow(/format "absent"/);
    });

    it("a truncated or garbage file fails naming the path", async () => {
      const trainer = Trainer.create(optionsFor({ kind: "sgd", momentum: 0.9 }));
      const good = file("good.safetensors");
      saveCheckpoint(good, await trainer.state());
      const bytes = readFileSync(good);
      const cases: Array<[string, Uint8Array]> = [
        ["truncated-data.safetensors", bytes.subarray(0, bytes.length - 16)],
        ["truncated-header.safetensors", bytes.subarray(0, 40)],
        ["tiny.safetensors", bytes.subarray(0, 5)],
        ["garbage.safetensors", Uint8Array.from({ length: 256 }, (_, i) => (i * 97 + 13) & 255)],
        ["not-json.safetensors", Uint8Array.from([8, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from("{not json")].slice(0, 16))],
      ];
      for (const [name, content] of cases) {
        const p = file(name);
        writeFileSync(p, content);
        let message = "";
        try {
          loadCheckpoint(p);
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message, name).toContain(p);
      }
      expect(loadCheckpoint(good).state.step).toBe(0);
    });

    it("a bad step, key or tensor name in a checkpoint is refused", () => {
      const t = { "trainable/w": { dtype: "float32" as const, shape: [1], data: new Float32Array([1]) } };
      const write = (name: string, metadata: Record<string, string>, tensors: Parameters<typeof writeSafetensors>[1] = t) => {
        const p = file(name);
        writeSafetensors(p, tensors, { format: CHECKPOINT_FORMAT, step: "3", key: "0,7", ...metadata });
        return p;
      };
      expect(loadCheckpoint(write("ok.safetensors", {})).state.step).toBe(3);
      for (const step of ["-1", "1.5", "abc"]) {
        const p = write(`step${step}.safetensors`, { step });
        expect(() => loadCheckpoint(p)).toThrow(CheckpointError);
        expect(() => loadCheckpoint(p)).toThrow(`${p}: bad step "${step}" in the header`);
      }
      for (const key of ["1", "1,2,3", "-1,0", "0,4294967296", "a,b"]) {
        const p = write(`key${key}.safetensors`, { key });
        expect(() => loadCheckpoint(p)).toThrow(`${p}: bad RNG key "${key}" in the header`);
      }
      const p = write("section.safetensors", {}, { ...t, "weights/w": t["trainable/w"] });
      expect(() => loadCheckpoint(p)).toThrow(/unexpected tensor "weights\/w"/);
    });

    it("the key's two words survive the round trip (including the top bit)", () => {
      const state: TrainerState = { step: 7, key: new Key(0xfedcba98, 0x80000001), trainable: {}, buffers: {}, optimizer: {} };
      const p = file("key.safetensors");
      saveCheckpoint(p, state);
      const loaded = loadCheckpoint(p).state;
      expect([loaded.step, loaded.key.k0, loaded.key.k1]).toEqual([7, 0xfedcba98, 0x80000001]);
    });
  });
});
