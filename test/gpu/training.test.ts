/**
 * Training steps on WebGPU against the CPU interpreter: a tiny UniFormerV2 (T = 2, 16², patch 8,
 * width 8, 2 layers with LT-MHRA so BatchNorm buffers update, 3 classes, batch 2) with nonzero
 * dropout / drop-path rates, so GPU and CPU must draw the very same masks (a different mask
 * moves the loss by ~1e-1, far outside the tolerances). Three steps on three batches.
 *
 *   SGD (momentum 0.9, lr 0.05, clipping at 1): loss and gradient norm per step within 1e-5
 *   relative, logits within 1e-4; every parameter, buffer and momentum slot after 3 steps within
 *   1e-5 absolute. f32 on both sides, but the GPU sums in f32 where the interpreter accumulates
 *   in f64: per-op relative differences ~1e-6, and SGD moves a parameter by lr·b, so the
 *   differences stay at rounding level (observed on lavapipe: 2.4e-7 worst, on a running var).
 *
 *   AdamW (lr 1e-3, weight decay 0.05) on the frozen-backbone split (the frozen parameters are
 *   program inputs written once and kept resident: steps 2 and 3 read them from the device):
 *   loss and gradient norm per step within 3e-5 relative;
 *   parameters in units of lr. AdamW normalises each element's step (≈ lr · m̂ / √v̂), so an
 *   element whose gradient is at rounding level may step differently on the two sides: the
 *   hard bound is 2·lr per step, |Δp| ≤ 6·lr after 3 steps, for every element. Such elements
 *   are the attention key biases (in_proj_bias[D, 2D)): softmax is invariant to adding q·b_k to
 *   every score, so their true gradient is 0 and both sides normalise rounding noise. Every
 *   other element must agree within 0.01·lr (a systematic error — a wrong decay group moves
 *   1-D parameters by lr·λ·p ≈ 0.025·lr here, a wrong bias correction or mis-ordered slot by
 *   ≳ 0.1·lr). Observed on lavapipe: key biases up to 0.12·lr, everything else < 0.001·lr;
 *   losses within ~1e-6 relative, hence 3e-5 there.
 *
 *   Resume on the GPU: state() after 2 steps → a new Trainer from that state → 1 step equals the
 *   third step of the uninterrupted GPU run within 1e-6 (same program, same inputs; observed
 *   bitwise equal).
 *
 * Suite time (lavapipe, 2 cores): one config and one batch shape, so the SGD runs share one
 * WGSL program (~790 kernels) and the per-device pipeline cache (the resumed Trainer compiles
 * the graph again on the host but every pipeline is a cache hit: ~20-30 s); AdamW on the
 * frozen backbone is the second program (~390 kernels, ~15 s). The SGD compile takes ~3 min
 * with a cold Mesa shader cache, ~30 s warm: ~1.5 min for the file warm, ~4.5 min cold.
 */
import { afterAll, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { data } from "../../src/dsl/realize.js";
import { classificationObjective, partitionParams } from "../../src/models/uniformerv2/finetune.js";
import { flatFromTree } from "../../src/models/uniformerv2/index.js";
import { materialize, type CpuArray } from "../../src/dsl/host/array.js";
import { Key } from "../../src/dsl/random/threefry.js";
import { Trainer, type OptimizerSpec, type StepReport, type TrainerOptions, type TrainerState } from "../../src/train/trainer.js";
import { randomParams, randomVideo, tinyConfig } from "../models/helpers.js";
import { describeGpu } from "./harness.js";
import { cpuBackend } from "../../src/runtime/cpu/backend.js";
import { webgpuBackend } from "../../src/runtime/webgpu/jit.js";

const TIMEOUT = 300_000;
const config = tinyConfig({ frames: 2, mlpDropout: [0.3, 0.3], clsDropout: 0.3, dropPathRate: 0.3, backboneDropPathRate: 0.3 });
const flatParams = flatFromTree(randomParams(config, 1));
const groups = partitionParams(flatParams, "all");
/** AdamW trains the head on a frozen backbone: the frozen inputs stay resident on the device. */
const headGroups = partitionParams(flatParams, "frozen-backbone");
const batches = [0, 1, 2].map((i) => ({
  videos: randomVideo(config, 2, 20 + i),
  labels: core.constant(new Int32Array([i % 3, (i + 2) % 3]), [2], "int32"),
}));

const sgd: OptimizerSpec = { kind: "sgd", momentum: 0.9 };
const adamw: OptimizerSpec = { kind: "adamw", weightDecay: 0.05 };
const lrOf = (o: OptimizerSpec) => (o.kind === "sgd" ? 0.05 : 1e-3);

const BACKENDS = { cpu: cpuBackend, webgpu: webgpuBackend };

const options = (optimizer: OptimizerSpec, backend: "cpu" | "webgpu"): TrainerOptions => ({
  objective: classificationObjective(config),
  ...(optimizer.kind === "sgd" ? { trainable: groups.trainable, buffers: groups.buffers } : headGroups),
  optimizer,
  schedule: lrOf(optimizer),
  maxGradNorm: 1,
  key: Key.fromSeed(17),
  backend: BACKENDS[backend],
});

const trainers: Trainer[] = [];
afterAll(() => trainers.forEach((t) => t.dispose()));

interface Run {
  readonly reports: StepReport[];
  /** state() after each step (index 0: after step 1). */
  readonly states: TrainerState[];
}

async function run(optimizer: OptimizerSpec, backend: "cpu" | "webgpu"): Promise<Run> {
  const trainer = Trainer.create(options(optimizer, backend));
  trainers.push(trainer);
  const reports: StepReport[] = [];
  const states: TrainerState[] = [];
  for (const b of batches) {
    reports.push(await trainer.trainStep(b));
    states.push(await trainer.state());
  }
  return { reports, states };
}

/** Each run once per file, shared by the tests that need it. */
const memo = new Map<string, Promise<Run>>();
const runOnce = (optimizer: OptimizerSpec, backend: "cpu" | "webgpu") => {
  const key = `${optimizer.kind}/${backend}`;
  if (!memo.has(key)) memo.set(key, run(optimizer, backend));
  return memo.get(key)!;
};

const flat = (v: CpuArray) => materialize(v);
type Section = "trainable" | "buffers" | "optimizer";
const SECTIONS: readonly Section[] = ["trainable", "buffers", "optimizer"];

/** Every |gpu − cpu| over a section, with the worst place. */
function differences(gpu: TrainerState, cpu: TrainerState, section: Section): { diffs: number[]; worst: number; where: string } {
  expect(Object.keys(gpu[section]).sort(), section).toEqual(Object.keys(cpu[section]).sort());
  const diffs: number[] = [];
  let worst = 0;
  let where = "";
  for (const [k, c] of Object.entries(cpu[section])) {
    const a = flat(gpu[section][k]!);
    const b = flat(c);
    expect(a.length, k).toBe(b.length);
    b.forEach((y, i) => {
      const d = Math.abs(a[i]! - y);
      const e = Number.isNaN(d) ? Infinity : d;
      diffs.push(e);
      if (e > worst || where === "") [worst, where] = [e, `${section} ${k}[${i}]: gpu ${a[i]}, cpu ${y}`];
    });
  }
  return { diffs, worst, where };
}

function expectReportsClose(gpu: readonly StepReport[], cpu: readonly StepReport[], rtol: number): void {
  cpu.forEach((c, s) => {
    const g = gpu[s]!;
    expect(g.step).toBe(c.step);
    expect(g.lr).toBe(c.lr);
    expect(Math.abs(g.loss - c.loss), `step ${s + 1} loss: gpu ${g.loss}, cpu ${c.loss}`).toBeLessThanOrEqual(rtol * Math.abs(c.loss));
    expect(Math.abs(g.gradNorm - c.gradNorm), `step ${s + 1} grad norm: gpu ${g.gradNorm}, cpu ${c.gradNorm}`).toBeLessThanOrEqual(rtol * c.gradNorm);
    const gl = flat(g.outputs.logits!);
    flat(c.outputs.logits!).forEach((y, i) => expect(Math.abs(gl[i]! - y), `step ${s + 1} logits[${i}]`).toBeLessThanOrEqual(1e-4));
  });
}

describeGpu("training steps on WebGPU", () => {
  it(
    "SGD with momentum: 3 steps equal the CPU interpreter's (losses, parameters, buffers, slots)",
    async () => {
      const cpu = await runOnce(sgd, "cpu");
      const gpu = await runOnce(sgd, "webgpu");
      expectReportsClose(gpu.reports, cpu.reports, 1e-5);
      for (const section of SECTIONS) {
        const { worst, where } = differences(gpu.states[2]!, cpu.states[2]!, section);
        expect(worst, where).toBeLessThanOrEqual(1e-5);
      }
      // The runs moved: the comparison is not of two untouched copies.
      const moved = Object.entries(groups.trainable).filter(([k, t]) => {
        const before = data(t);
        return flat(gpu.states[2]!.trainable[k]!).some((v, i) => Math.abs(v - before[i]!) > 1e-3);
      });
      expect(moved.length).toBeGreaterThan(Object.keys(groups.trainable).length / 2);
    },
    TIMEOUT,
  );

  it(
    "AdamW on a frozen backbone: 3 steps equal the CPU interpreter's (losses; parameters in units of lr)",
    async () => {
      const cpu = await runOnce(adamw, "cpu");
      const gpu = await runOnce(adamw, "webgpu");
      expect(Object.keys(gpu.states[2]!.trainable).sort()).toEqual(Object.keys(headGroups.trainable).sort());
      expectReportsClose(gpu.reports, cpu.reports, 3e-5);
      const lr = lrOf(adamw);
      const { worst, where } = differences(gpu.states[2]!, cpu.states[2]!, "trainable");
      expect(worst, where).toBeLessThanOrEqual(6 * lr);
      // Everything but the attention key biases (zero true gradient) within 0.01·lr.
      let tight = 0;
      let tightWhere = "";
      let checked = 0;
      for (const [k, c] of Object.entries(cpu.states[2]!.trainable)) {
        const g = flat(gpu.states[2]!.trainable[k]!);
        const d = k.endsWith("attn.in_proj_bias") ? c.view.shape[0]! / 3 : 0;
        flat(c).forEach((y, i) => {
          if (d > 0 && i >= d && i < 2 * d) return;
          checked++;
          const e = Math.abs(g[i]! - y);
          if (!(e <= tight)) [tight, tightWhere] = [Number.isNaN(e) ? Infinity : e, `${k}[${i}]: gpu ${g[i]}, cpu ${y}`];
        });
      }
      expect(checked).toBeGreaterThan(1500);
      expect(tight / lr, tightWhere).toBeLessThanOrEqual(0.01);
      for (const section of ["buffers"] as const) {
        const b = differences(gpu.states[2]!, cpu.states[2]!, section);
        expect(b.worst, b.where).toBeLessThanOrEqual(1e-4);
      }
      expect(Array.from(flat(gpu.states[2]!.optimizer.step!))).toEqual([3]);
    },
    TIMEOUT,
  );

  it(
    "a run resumed from state() after 2 steps equals the uninterrupted GPU run",
    async () => {
      const straight = await runOnce(sgd, "webgpu");
      const resumed = Trainer.create(options(sgd, "webgpu"), straight.states[1]!);
      trainers.push(resumed);
      expect(resumed.step).toBe(2);
      const r = await resumed.trainStep(batches[2]!);
      const s = straight.reports[2]!;
      expect([r.step, r.lr]).toEqual([s.step, s.lr]);
      expect(Math.abs(r.loss - s.loss)).toBeLessThanOrEqual(1e-6 * Math.abs(s.loss));
      const state = await resumed.state();
      for (const section of SECTIONS) {
        const { worst, where } = differences(state, straight.states[2]!, section);
        expect(worst, where).toBeLessThanOrEqual(1e-6);
      }
    },
    TIMEOUT,
  );
});
