/**
 * The Trainer on the CPU interpreter, with a tiny UniFormerV2 (T = 2, 16², patch 8, width 8,
 * 2 layers, LT-MHRA on so BatchNorm buffers exist, 3 classes, batch 2):
 *   - the loss falls on one fixed batch (4 random clips, 20 AdamW steps at lr 1e-2, no dropout,
 *     no label smoothing): it starts above 0.5 (≈ 1.2), has fallen by step 10, and ends below
 *     0.25× the first (observed 0.09×);
 *   - two Trainer steps equal hand-written steps (valueAndGrad of the objective, clipGradNorm,
 *     adamwUpdate per decay group, run with `jit` with the same lr and key; dropout on, clipping
 *     active): parameters and buffers within 1e-6·max(1, |x|), m and v within 1e-5 of their
 *     tensor's largest magnitude, loss and gradient norm within 1e-6 relative (both sides are the
 *     f32 interpreter; the graphs differ only in how they are assembled: observed ≤ 1.5e-8);
 *     the default decay groups (≥ 2-D) against `decays: () => true`: 2-D parameters equal
 *     bit for bit after one step, every 1-D parameter differs by lr·λ·p (within 1e-6);
 *   - SGD: `momentum.<name>` slots and `started`; after step 1 the buffer is the gradient and
 *     p₁ = p₀ − η·b₁, after step 2 b₂ = μb₁ + g₂ and p₂ = p₁ − η·b₂ (1e-5·max(1, |x|), f32);
 *   - frozen parameters: not in the carry, read by the step (step 1's loss and the updated
 *     trainables equal those of a run training everything, exactly: AdamW's first step is
 *     per element and there is no clipping); buffers equal the model's own running-statistics
 *     update for the step's key (exactly) and change every step;
 *   - errors: a batch of another shape (TrainerError naming both signatures), a resume from
 *     another optimizer's state (TrainerError naming the missing slot);
 *   - dropout determinism: same key → bitwise-equal parameters, another key → different.
 */
import { describe, expect, it } from "vitest";
import { cpuBackend } from "../../src/runtime/cpu/backend.js";
import * as core from "../../src/dsl/core.js";
import { data } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { jit, valueAndGrad, valueAndGradWithAux } from "../../src/dsl/transforms.js";
import { classificationObjective, partitionParams } from "../../src/models/uniformerv2/finetune.js";
import { flatFromTree, treeFromFlat, uniformerv2, type UniFormerV2Config } from "../../src/models/uniformerv2/index.js";
import { materialize, type CpuArray } from "../../src/dsl/host/array.js";
import { Key } from "../../src/dsl/random/threefry.js";
import { makeDataset } from "../../src/train/data/synthetic-motion.js";
import { adamwUpdate, clipGradNorm } from "../../src/train/optimizers.js";
import { Trainer, TrainerError, type Named, type TrainerOptions } from "../../src/train/trainer.js";
import { randomParams, randomVideo, tinyConfig } from "../models/helpers.js";

const config = tinyConfig({ frames: 2 });
const dropConfig = tinyConfig({ frames: 2, mlpDropout: [0.3, 0.3], clsDropout: 0.3, dropPathRate: 0.3, backboneDropPathRate: 0.3 });
const B = 2;

function batchOf(c: UniFormerV2Config, n: number, seed: number): { videos: AnyTensor; labels: AnyTensor } {
  const clips = makeDataset(n, { frames: c.frames, size: c.inputResolution }, seed);
  const clipSize = c.frames * c.inputResolution * c.inputResolution * 3;
  const videos = new Float32Array(n * clipSize);
  clips.forEach((clip, i) => videos.set(clip.video, i * clipSize));
  return {
    videos: core.constant(videos, [n, c.frames, c.inputResolution, c.inputResolution, 3], "float32"),
    labels: core.constant(Int32Array.from(clips, (clip) => clip.label % c.numClasses), [n], "int32"),
  };
}

/** A random (non-identity) model split into trainable parameters and BatchNorm buffers. */
function groups(c: UniFormerV2Config, seed: number, mode: "all" | "frozen-backbone" = "all") {
  return partitionParams(flatFromTree(randomParams(c, seed)), mode);
}

const vals = (v: CpuArray | AnyTensor): Float32Array => Float32Array.from("view" in v ? materialize(v) : data(v));

/**
 * max over elements of |a − b| / max(1, |b|), or with `normwise` |a − b| / max|b| (for slots
 * whose values are all small: m ~ g, v ~ g²).
 */
function relErr(a: CpuArray | AnyTensor, b: CpuArray | AnyTensor, normwise = false): number {
  const x = vals(a);
  const y = vals(b);
  if (x.length !== y.length) return Infinity;
  const floor = normwise ? Math.max(1e-30, y.reduce((m, v) => Math.max(m, Math.abs(v)), 0)) : 1;
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const e = Math.abs(x[i]! - y[i]!) / Math.max(floor, Math.abs(y[i]!));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

function expectClose(got: Named<CpuArray | AnyTensor>, want: Named<CpuArray | AnyTensor>, tol: number, what: string, normwise = false): void {
  expect(Object.keys(got).sort(), what).toEqual(Object.keys(want).sort());
  for (const [k, v] of Object.entries(want)) expect(relErr(got[k]!, v, normwise), `${what} ${k}`).toBeLessThanOrEqual(tol);
}

function expectBitwise(got: Named<CpuArray | AnyTensor>, want: Named<CpuArray | AnyTensor>, what: string): void {
  expect(Object.keys(got).sort(), what).toEqual(Object.keys(want).sort());
  for (const [k, v] of Object.entries(want)) expect(Array.from(vals(got[k]!)), `${what} ${k}`).toEqual(Array.from(vals(v)));
}

const keyTensor = (k: Key): AnyTensor => core.constant(new Int32Array([k.k0 | 0, k.k1 | 0]), [2], "int32");
const pick = <T>(tree: Named<T>, names: readonly string[]): Record<string, T> => Object.fromEntries(names.map((n) => [n, tree[n]!]));

describe("Trainer (CPU)", () => {
  it("the loss falls on a fixed batch (20 AdamW steps)", async () => {
    const g = groups(config, 1);
    const batch = { videos: randomVideo(config, 4, 2), labels: core.constant(new Int32Array([0, 1, 2, 1]), [4], "int32") };
    const trainer = Trainer.create({
      objective: classificationObjective(config, { labelSmoothing: 0 }),
      trainable: g.trainable,
      buffers: g.buffers,
      optimizer: { kind: "adamw" },
      schedule: 1e-2,
      maxGradNorm: 5,
      key: Key.fromSeed(1),
      backend: cpuBackend,
    });
    const losses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await trainer.trainStep(batch);
      expect(r.step).toBe(i + 1);
      expect(r.lr).toBeCloseTo(1e-2, 9);
      expect(Number.isFinite(r.gradNorm) && r.gradNorm > 0).toBe(true);
      expect(r.outputs.logits!.view.shape).toEqual([4, 3]);
      losses.push(r.loss);
    }
    expect(trainer.step).toBe(20);
    expect(losses[0]!).toBeGreaterThan(0.5);
    expect(losses[9]!).toBeLessThan(losses[0]!);
    expect(losses.at(-1)!).toBeLessThan(0.25 * losses[0]!);
  });

  describe("one step equals a hand-written step", () => {
    const lr = 2e-2;
    const wd = 0.2;
    const maxGradNorm = 0.5; // below the initial norm, so clipping acts
    const objective = classificationObjective(dropConfig);
    const g = groups(dropConfig, 3);
    const names = Object.keys(g.trainable);
    const batch = batchOf(dropConfig, B, 4);
    const key = Key.fromSeed(9);

    /** valueAndGrad + clipGradNorm + adamwUpdate (two groups), written out. */
    const hand = (decays: (name: string, shape: readonly number[]) => boolean) => {
      const decayed = names.filter((n) => decays(n, g.trainable[n]!.shape));
      const rest = names.filter((n) => !decays(n, g.trainable[n]!.shape));
      return jit((p: Named, buffers: Named, m: Named, v: Named, step: AnyTensor, b: Named, lrT: AnyTensor, k: AnyTensor) => {
        const [[loss, r], grads] = valueAndGradWithAux((q: Named) => {
          const out = objective({ ...buffers, ...q }, b, k);
          return [out.loss, out] as const;
        })(p);
        const clipped = clipGradNorm(grads, maxGradNorm);
        const upd = (group: string[], weightDecay: number) =>
          adamwUpdate(pick(p, group), pick(clipped.grads, group), { m: pick(m, group), v: pick(v, group), step }, lrT, { weightDecay });
        const a = upd(decayed, wd);
        const c = upd(rest, 0);
        return {
          params: { ...a.params, ...c.params },
          m: { ...a.state.m, ...c.state.m },
          v: { ...a.state.v, ...c.state.v },
          step: a.state.step,
          loss,
          norm: clipped.norm,
          buffers: { ...buffers, ...r.buffers },
        };
      });
    };

    const options = (decays?: TrainerOptions["decays"]): TrainerOptions => ({
      objective,
      trainable: g.trainable,
      buffers: g.buffers,
      optimizer: { kind: "adamw", weightDecay: wd },
      schedule: lr,
      maxGradNorm,
      ...(decays ? { decays } : {}),
      key,
      backend: cpuBackend,
    });

    it.each([
      ["default decay groups (≥ 2-D)", undefined],
      ["decays: () => true", () => true],
    ] as const)("two AdamW steps, %s", async (_, decays) => {
      const trainer = Trainer.create(options(decays));
      const step = hand(decays ?? ((_n, shape) => shape.length >= 2));
      let p: Named = g.trainable;
      let buffers: Named = g.buffers;
      let m: Named = Object.fromEntries(names.map((n) => [n, core.zerosLike(g.trainable[n]!)]));
      let v: Named = m;
      let t: AnyTensor = core.full([], 0);
      for (let s = 0; s < 2; s++) {
        const want = step(p, buffers, m, v, t, batch, core.full([], lr), keyTensor(key.foldIn(s)));
        const got = await trainer.trainStep(batch);
        expect(Math.abs(got.loss - data(want.loss)[0]!)).toBeLessThanOrEqual(1e-6 * Math.abs(got.loss));
        expect(Math.abs(got.gradNorm - data(want.norm)[0]!)).toBeLessThanOrEqual(1e-6 * got.gradNorm);
        expect(got.gradNorm, "clipping must act for this test to mean something").toBeGreaterThan(maxGradNorm);
        const state = await trainer.state();
        expectClose(state.trainable, want.params, 1e-6, `step ${s + 1} params`);
        expectClose(state.buffers, want.buffers, 1e-6, `step ${s + 1} buffers`);
        expectClose(pick(state.optimizer, names.map((n) => `m.${n}`)), Object.fromEntries(names.map((n) => [`m.${n}`, want.m[n]!])), 1e-5, "m", true);
        expectClose(pick(state.optimizer, names.map((n) => `v.${n}`)), Object.fromEntries(names.map((n) => [`v.${n}`, want.v[n]!])), 1e-5, "v", true);
        expect(Array.from(materialize(state.optimizer.step!))).toEqual([s + 1]);
        ({ params: p, buffers, m, v, step: t } = want);
      }
    });

    it("only parameters with two or more dims decay by default", async () => {
      const byDefault = Trainer.create(options());
      const all = Trainer.create(options(() => true));
      await byDefault.trainStep(batch);
      await all.trainStep(batch);
      const [a, b] = [(await byDefault.state()).trainable, (await all.state()).trainable];
      let oneD = 0;
      for (const n of names) {
        const p0 = vals(g.trainable[n]!);
        if (g.trainable[n]!.shape.length >= 2) {
          expect(Array.from(vals(a[n]!)), n).toEqual(Array.from(vals(b[n]!)));
        } else {
          oneD++;
          // Decoupled decay: p(1 − ηλ) − η·u; the undecayed update lacks exactly −ηλp.
          const x = vals(a[n]!);
          const y = vals(b[n]!);
          p0.forEach((p, i) => expect(Math.abs(x[i]! - y[i]! - lr * wd * p), `${n}[${i}]`).toBeLessThanOrEqual(1e-6));
          expect(p0.some((p) => Math.abs(lr * wd * p) > 1e-4), n).toBe(true);
        }
      }
      expect(oneD).toBeGreaterThan(10);
    });
  });

  it("SGD with momentum: slots exist and follow b₁ = g₁, b₂ = μb₁ + g₂, p ← p − ηb", async () => {
    const objective = classificationObjective(config);
    const g = groups(config, 5);
    const batch = batchOf(config, B, 6);
    const key = Key.fromSeed(2);
    const [lrStep1, lrStep2] = [0.025, 0.05];
    const mu = 0.9;
    const trainer = Trainer.create({
      objective,
      trainable: g.trainable,
      buffers: g.buffers,
      optimizer: { kind: "sgd", momentum: mu },
      schedule: { base: 0.05, warmup: 2, total: 4 }, // lr 0.025, then 0.05
      key,
      backend: cpuBackend,
    });
    const s0 = await trainer.state();
    expect(Object.keys(s0.optimizer).sort()).toEqual([...Object.keys(g.trainable).map((n) => `momentum.${n}`), "started"].sort());
    expect(Array.from(materialize(s0.optimizer.started!))).toEqual([0]);
    // The gradient of step 1, computed directly (same params, buffers, key).
    const gradAt = (p: Named, buffers: Named, s: number) =>
      valueAndGrad((q: Named) => objective({ ...buffers, ...q }, batch, keyTensor(key.foldIn(s))).loss)(p)[1];
    const g1 = gradAt(g.trainable, g.buffers, 0);
    const r1 = await trainer.trainStep(batch);
    expect(r1.lr).toBeCloseTo(lrStep1, 9);
    const s1 = await trainer.state();
    expect(Array.from(materialize(s1.optimizer.started!))).toEqual([1]);
    for (const [n, p0] of Object.entries(g.trainable)) {
      expect(relErr(s1.optimizer[`momentum.${n}`]!, g1[n]!), `b₁ = g₁ ${n}`).toBeLessThanOrEqual(1e-5);
      const want = core.sub(p0, core.mul(g1[n]!, lrStep1));
      expect(relErr(s1.trainable[n]!, want), `p₁ ${n}`).toBeLessThanOrEqual(1e-6);
    }
    const p1 = Object.fromEntries(Object.entries(s1.trainable).map(([n, v]) => [n, core.constant(materialize(v), v.view.shape, "float32")]));
    const b1 = Object.fromEntries(Object.entries(s1.buffers).map(([n, v]) => [n, core.constant(materialize(v), v.view.shape, "float32")]));
    const g2 = gradAt(p1, b1, 1);
    const r2 = await trainer.trainStep(batch);
    expect(r2.lr).toBeCloseTo(lrStep2, 9);
    const s2 = await trainer.state();
    let moved = 0;
    for (const n of Object.keys(g.trainable)) {
      const buf = core.add(core.mul(core.constant(materialize(s1.optimizer[`momentum.${n}`]!), g.trainable[n]!.shape, "float32"), mu), g2[n]!);
      expect(relErr(s2.optimizer[`momentum.${n}`]!, buf), `b₂ ${n}`).toBeLessThanOrEqual(1e-5);
      expect(relErr(s2.trainable[n]!, core.sub(p1[n]!, core.mul(buf, lrStep2))), `p₂ ${n}`).toBeLessThanOrEqual(1e-5);
      if (relErr(s2.trainable[n]!, s1.trainable[n]!) > 1e-4) moved++;
    }
    expect(moved).toBeGreaterThan(Object.keys(g.trainable).length / 2);
  });

  it("frozen parameters stay out of the carry but are read; buffers follow the model's BatchNorm update", async () => {
    const objective = classificationObjective(config);
    const flat = flatFromTree(randomParams(config, 7));
    const frozen = partitionParams(flat, "frozen-backbone");
    const all = partitionParams(flat, "all");
    const batch = batchOf(config, B, 8);
    const key = Key.fromSeed(4);
    const common = { objective, optimizer: { kind: "adamw" as const }, schedule: 1e-2, key, backend: cpuBackend };
    const a = Trainer.create({ ...common, trainable: frozen.trainable, buffers: frozen.buffers, frozen: frozen.frozen });
    const b = Trainer.create({ ...common, trainable: all.trainable, buffers: all.buffers });
    expect(Object.keys(frozen.frozen).length).toBeGreaterThan(10);

    const ra = await a.trainStep(batch);
    const rb = await b.trainStep(batch);
    // Step 1's loss is computed before any update: equal iff the frozen values were read.
    expect(ra.loss).toBe(rb.loss);
    const [sa, sb] = [await a.state(), await b.state()];
    expect(Object.keys(sa.trainable).sort()).toEqual(Object.keys(frozen.trainable).sort());
    for (const n of Object.keys(frozen.frozen)) {
      expect(sa.trainable[n], n).toBeUndefined();
      expect(sa.optimizer[`m.${n}`], n).toBeUndefined();
    }
    // AdamW's first step is per element (no clipping): the trainables agree with the full run.
    expectBitwise(sa.trainable, pick(sb.trainable, Object.keys(frozen.trainable)), "trainable after step 1");
    // The full run moved the backbone; the frozen values reported by `parameters` did not.
    const pa = await a.parameters();
    for (const [n, t] of Object.entries(frozen.frozen)) expect(Array.from(vals(pa[n]!)), n).toEqual(Array.from(vals(t)));
    expect(Object.keys(frozen.frozen).filter((n) => relErr(sb.trainable[n]!, frozen.frozen[n]!) > 1e-4).length).toBeGreaterThan(10);

    // Buffers: the model's own running-statistics update under step 1's key, bit for bit.
    const direct = uniformerv2(treeFromFlat(flat), batch.videos, config, {
      training: { key: keyTensor(key.foldIn(0)) },
    });
    const bn = Object.fromEntries(direct.bnState!);
    expect(Object.keys(bn).sort()).toEqual(Object.keys(frozen.buffers).sort());
    expectBitwise(sa.buffers, bn, "buffers after step 1");
    // … and they change again on the next step.
    await a.trainStep(batch);
    const sa2 = await a.state();
    for (const n of Object.keys(frozen.buffers)) {
      expect(relErr(sa.buffers[n]!, frozen.buffers[n]!), `${n} step 1`).toBeGreaterThan(1e-6);
      expect(relErr(sa2.buffers[n]!, sa.buffers[n]!), `${n} step 2`).toBeGreaterThan(1e-6);
    }
  });

  describe("errors", () => {
    const g = groups(config, 11);
    const options: TrainerOptions = {
      objective: classificationObjective(config),
      trainable: g.trainable,
      buffers: g.buffers,
      optimizer: { kind: "adamw" },
      schedule: 1e-3,
      key: Key.fromSeed(1),
      backend: cpuBackend,
    };

    it("a batch of another shape names both signatures", async () => {
      const trainer = Trainer.create(options);
      await trainer.trainStep(batchOf(config, 2, 1));
      const wrong = trainer.trainStep(batchOf(config, 3, 1));
      await expect(wrong).rejects.toThrow(TrainerError);
      await expect(trainer.trainStep(batchOf(config, 3, 1))).rejects.toThrow(
        /compiled for videos:float32\[2,2,16,16,3\];labels:int32\[2\], got videos:float32\[3,2,16,16,3\];labels:int32\[3\]/,
      );
      // The trainer is still usable with the original shape.
      expect((await trainer.trainStep(batchOf(config, 2, 2))).step).toBe(2);
    });

    it("resuming from another optimizer's state names the missing slot", async () => {
      const sgd = Trainer.create({ ...options, optimizer: { kind: "sgd", momentum: 0.9 } });
      await sgd.trainStep(batchOf(config, 2, 1));
      const state = await sgd.state();
      const first = Object.keys(g.trainable)[0]!.replace(/\./g, "\\.");
      expect(() => Trainer.create(options, state)).toThrow(TrainerError);
      expect(() => Trainer.create(options, state)).toThrow(new RegExp(`optimizer slot "m\\.${first}" is missing`));
      // The other way round: AdamW state into SGD misses the momentum buffers.
      const adam = Trainer.create(options);
      await adam.trainStep(batchOf(config, 2, 1));
      const adamState = await adam.state();
      expect(() => Trainer.create({ ...options, optimizer: { kind: "sgd", momentum: 0.9 } }, adamState)).toThrow(
        new RegExp(`optimizer slot "momentum\\.${first}" is missing`),
      );
      // A state from the same optimizer resumes.
      expect(Trainer.create(options, adamState).step).toBe(1);
    });
  });

  it("dropout masks follow the key: same key → identical parameters, another key → different", async () => {
    const g = groups(dropConfig, 13);
    const batch = batchOf(dropConfig, B, 14);
    const run = async (seed: number) => {
      const trainer = Trainer.create({
        objective: classificationObjective(dropConfig),
        trainable: g.trainable,
        buffers: g.buffers,
        optimizer: { kind: "adamw" },
        schedule: 1e-2,
        key: Key.fromSeed(seed),
        backend: cpuBackend,
      });
      const losses = [(await trainer.trainStep(batch)).loss, (await trainer.trainStep(batch)).loss];
      return { losses, state: await trainer.state() };
    };
    const [a, b, c] = [await run(21), await run(21), await run(22)];
    expect(a.losses).toEqual(b.losses);
    expectBitwise(a.state.trainable, b.state.trainable, "same key");
    expectBitwise(a.state.buffers, b.state.buffers, "same key buffers");
    expect(c.losses[0]).not.toBe(a.losses[0]);
    const differ = Object.keys(g.trainable).filter((n) => relErr(c.state.trainable[n]!, a.state.trainable[n]!) > 0);
    expect(differ.length).toBeGreaterThan(Object.keys(g.trainable).length / 2);
  });
});
