/**
 * Optimizers against plain-JS references of PyTorch's update rules, over several steps, with
 * one jit-compiled step reused for every iteration (step count and learning rate are inputs),
 * and on WebGPU against the CPU. Tolerance: 1e-5 relative (f32 steps against f64 references).
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { data, item } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { jit } from "../../src/dsl/transforms.js";
import { gpuJit } from "../../src/runtime/webgpu/jit.js";
import { mulberry32 } from "../../src/dsl/random/mulberry32.js";
import { adamwInit, adamwUpdate, clipGradNorm, sgdInit, sgdUpdate, warmupCosine, type AdamWState, type SgdState } from "../../src/train/optimizers.js";
import { describeGpu } from "../gpu/harness.js";

const next = mulberry32(5);
const values = (n: number) => Array.from({ length: n }, () => next() * 2 - 1);
const tensor = (v: number[]) => core.constant(Float32Array.from(v), [v.length], "float32");
type P = { a: AnyTensor; b: AnyTensor };
const p0 = { a: values(6), b: values(3) };
const grads = [0, 1, 2, 3, 4].map(() => ({ a: values(6), b: values(3) }));
const lrs = [0.1, 0.05, 0.02, 0.05, 0.1];

function close(got: ArrayLike<number>, want: readonly number[], what: string): void {
  want.forEach((w, i) => expect(Math.abs(got[i]! - w), `${what}[${i}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(w))));
}

describe("AdamW", () => {
  it("matches PyTorch's AdamW over 5 steps (one compiled step)", () => {
    const [b1, b2, eps, wd] = [0.9, 0.999, 1e-8, 0.05];
    const ref = { a: [...p0.a], b: [...p0.b] };
    const m = { a: p0.a.map(() => 0), b: p0.b.map(() => 0) };
    const v = { a: p0.a.map(() => 0), b: p0.b.map(() => 0) };
    const step = jit((p: P, g: P, s: AdamWState<P>, lr: AnyTensor) => adamwUpdate(p, g, s, lr, { weightDecay: wd }));
    let params: P = { a: tensor(p0.a), b: tensor(p0.b) };
    let state = adamwInit(params);
    grads.forEach((g, k) => {
      const t = k + 1;
      for (const key of ["a", "b"] as const) {
        ref[key] = ref[key].map((p, i) => {
          const gi = g[key][i]!;
          m[key][i] = b1 * m[key][i]! + (1 - b1) * gi;
          v[key][i] = b2 * v[key][i]! + (1 - b2) * gi * gi;
          const decayed = p * (1 - lrs[k]! * wd);
          return decayed - (lrs[k]! * (m[key][i]! / (1 - b1 ** t))) / (Math.sqrt(v[key][i]! / (1 - b2 ** t)) + eps);
        });
      }
      const out = step(params, { a: tensor(g.a), b: tensor(g.b) }, state, core.full([], lrs[k]!));
      params = out.params;
      state = out.state;
    });
    expect(step.traces).toBe(1);
    close(data(params.a), ref.a, "a");
    close(data(params.b), ref.b, "b");
    expect(item(state.step)).toBe(5);
  });
});

describe("SGD", () => {
  it.each([
    { momentum: 0, weightDecay: 0 },
    { momentum: 0.9, weightDecay: 0.01 },
    { momentum: 0.9, weightDecay: 0, nesterov: true },
    { momentum: 0.5, dampening: 0.2, weightDecay: 0.1 },
  ])("matches PyTorch's SGD over 5 steps (%o)", (o) => {
    const mu = o.momentum;
    const ref = { a: [...p0.a], b: [...p0.b] };
    const buf = { a: p0.a.map(() => 0), b: p0.b.map(() => 0) };
    const step = jit((p: P, g: P, s: SgdState<P>, lr: AnyTensor) => sgdUpdate(p, g, s, lr, o));
    let params: P = { a: tensor(p0.a), b: tensor(p0.b) };
    let state = sgdInit(params);
    grads.forEach((g, k) => {
      for (const key of ["a", "b"] as const) {
        ref[key] = ref[key].map((p, i) => {
          let gi = g[key][i]! + (o.weightDecay ?? 0) * p;
          if (mu !== 0) {
            buf[key][i] = k === 0 ? gi : mu * buf[key][i]! + (1 - (o.dampening ?? 0)) * gi;
            gi = o.nesterov ? gi + mu * buf[key][i]! : buf[key][i]!;
          }
          return p - lrs[k]! * gi;
        });
      }
      const out = step(params, { a: tensor(g.a), b: tensor(g.b) }, state, core.full([], lrs[k]!));
      params = out.params;
      state = out.state;
    });
    close(data(params.a), ref.a, "a");
    close(data(params.b), ref.b, "b");
  });
});

describe("clipping and schedule", () => {
  it("clipGradNorm scales all leaves by one factor to the max norm, and leaves small gradients alone", () => {
    const g = { a: tensor([3, 0, 0]), b: tensor([0, 4]) };
    const { grads: clipped, norm } = clipGradNorm(g, 1);
    expect(item(norm)).toBeCloseTo(5, 6);
    close(data(clipped.a), [0.6, 0, 0], "a");
    close(data(clipped.b), [0, 0.8], "b");
    close(data(clipGradNorm(g, 10).grads.b), [0, 4], "unclipped");
  });

  it("warmupCosine rises linearly, peaks at the base rate, and decays to the minimum", () => {
    const s = { base: 1e-3, warmup: 10, total: 110, min: 1e-5 };
    expect(warmupCosine(0, s)).toBeCloseTo(1e-4, 12);
    expect(warmupCosine(9, s)).toBeCloseTo(1e-3, 12);
    expect(warmupCosine(60, s)).toBeCloseTo(1e-5 + 0.5 * (1e-3 - 1e-5), 12);
    expect(warmupCosine(110, s)).toBeCloseTo(1e-5, 12);
    for (let t = 10; t < 110; t++) expect(warmupCosine(t + 1, s)).toBeLessThanOrEqual(warmupCosine(t, s));
  });
});

describeGpu("optimizers on WebGPU", () => {
  it("an AdamW step compiled to WGSL equals the CPU step", async () => {
    const f = (p: P, g: P, s: AdamWState<P>, lr: AnyTensor) => adamwUpdate(p, g, s, lr);
    const params = { a: tensor(p0.a), b: tensor(p0.b) };
    const g = { a: tensor(grads[0]!.a), b: tensor(grads[0]!.b) };
    const cpu = jit(f)(params, g, adamwInit(params), core.full([], 0.01));
    const gpu = await gpuJit(f)(params, g, adamwInit(params), core.full([], 0.01));
    close(data(gpu.params.a), Array.from(data(cpu.params.a)), "a");
    close(data(gpu.state.v.b), Array.from(data(cpu.state.v.b)), "v");
  });
});
