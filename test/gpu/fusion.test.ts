/**
 * @file Fusion on the GPU: random fused expression graphs (elementwise, movement, reductions over
 * various axes, matmul and conv, shared subexpressions) against the CPU interpreter; the
 * one-kernel guarantees (softmax, layerNorm, matmul with bias + activation + residual); and
 * gradient graphs (valueAndGrad of a small MLP and a small conv net) run on the GPU.
 *
 * Tolerances: random graphs keep |values| ≲ 1, so atol 1e-4 + rtol 1e-4; softmax/layerNorm
 * atol 1e-5 + rtol 1e-5; gradients norm-wise, 1e-4 × max |g| per leaf (+ 1e-6).
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { compileGraph } from "../../src/compiler/compile.js";
import { PACK_MIN_K } from "../../src/compiler/schedule.js";
import { fitted, type DotTiling } from "../../src/compiler/wgsl/kernels/dot.js";
import { aliasingViolations } from "../../src/compiler/memory.js";
import * as core from "../../src/dsl/core.js";
import { gelu, softmax } from "../../src/dsl/nn/activations.js";
import { layerNorm } from "../../src/dsl/nn/layerNorm.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { spec, trace, valueAndGrad } from "../../src/dsl/transforms.js";
import { realize } from "../../src/dsl/realize.js";
import { materialize } from "../../src/dsl/host/array.js";
import { gpuJit } from "../../src/runtime/webgpu/jit.js";
import { WebGpuProgram } from "../../src/runtime/webgpu/program.js";
import { buildGraph, inputShape, recipeArb, recipeInputs } from "../compiler/random-graphs.js";
import { describeGpu, expectCpuGpuClose, fcParams, firstProgram, gpuContext, randomTensor, type Tolerance } from "./harness.js";

const RUNS = Number(process.env.WGT_GPU_RUNS ?? 8);
const GRAPH: Tolerance = { atol: 1e-4, rtol: 1e-4 };
const ROW: Tolerance = { atol: 1e-5, rtol: 1e-5 };
const GRAD: Tolerance = { atol: 1e-6, rtol: 1e-4, scale: "max" };

const unit = (seed: number, shape: readonly number[]) => randomTensor(seed, shape, "float32", { lo: -1, hi: 1 });

/** Kernels of a traced function, as the GPU compiler makes them (no device needed). */
function kernelsOf(f: (...xs: AnyTensor[]) => AnyTensor | AnyTensor[], shapes: readonly (readonly number[])[]) {
  const program = trace((...xs: AnyTensor[]) => f(...xs), shapes.map((s) => spec(s as number[])) as never);
  return compileGraph(program.outputs, { maxStorageBuffers: 8 }).kernels;
}

describeGpu("fusion on the GPU", () => {
  it("random fused expression graphs (each with a matmul or conv) match the CPU interpreter", async () => {
    const limit = gpuContext().info.limits.maxStorageBuffersPerShaderStage ?? 8;
    await fc.assert(
      fc.asyncProperty(recipeArb({ minSteps: 3, maxSteps: 9, maxContractions: 1, requireContraction: true }), async (r) => {
        const f = buildGraph(r);
        const c = await expectCpuGpuClose(f, recipeInputs(r, unit), GRAPH, `graph ${JSON.stringify(r)}`);
        const { graph } = c.program;
        expect(aliasingViolations(graph.values, graph.memory)).toEqual([]);
        for (const k of graph.kernels) expect(k.bindings.length).toBeLessThanOrEqual(limit);
      }),
      { ...fcParams(), numRuns: Math.max(3, RUNS - 4) },
    );
  });

  it("random graphs without contractions (cheap kernels, more of them)", async () => {
    await fc.assert(
      fc.asyncProperty(recipeArb({ minSteps: 6, maxSteps: 14, families: ["unary", "binary", "reduce", "movement", "softmax", "norm", "mask"], ns: [2, 5, 7] }), async (r) => {
        await expectCpuGpuClose(buildGraph(r), recipeInputs(r, unit), GRAPH, `graph ${JSON.stringify(r)}`);
      }),
      { ...fcParams(), numRuns: RUNS },
    );
  });

  it("a shared subexpression is computed once per kernel and the graph still matches", async () => {
    const f = (x: AnyTensor) => {
      const s = core.tanh(core.mul(x, 1.5));
      const t = core.add(core.sin(s), core.cos(s));
      return [core.mul(t, s), core.sum(core.mul(t, t), -1)];
    };
    const c = await expectCpuGpuClose(f, [unit(3, [4, 9])], GRAPH, "shared");
    // tanh(s) is evaluated once in each kernel that needs it, however many nodes read it.
    for (const k of c.program.graph.kernels) expect(k.wgsl.match(/= wg_tanh\(/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it("a kernel wider than the storage-buffer limit is split, and the split program matches", async () => {
    // Twelve inputs summed elementwise: one kernel would bind 13 buffers; allow 4.
    const shape = [3, 7];
    const f = (...xs: AnyTensor[]) => xs.reduce((acc, x, i) => core.add(acc, core.mul(x, i + 1)));
    const program = trace(f, Array.from({ length: 12 }, () => spec(shape)) as never);
    const graph = compileGraph(program.outputs, { maxStorageBuffers: 4 });
    expect(graph.kernels.length).toBeGreaterThan(1);
    for (const k of graph.kernels) expect(k.bindings.length).toBeLessThanOrEqual(4);
    expect(aliasingViolations(graph.values, graph.memory)).toEqual([]);
    const compiled = await WebGpuProgram.create(gpuContext(), graph, program.inputs);
    const xs = Array.from({ length: 12 }, (_, i) => unit(40 + i, shape));
    const [gpuOut] = await compiled.run(xs.map((x) => realize(x)));
    const [cpuOut] = program.run(xs.map((x) => realize(x)));
    const [a, b] = [materialize(cpuOut!), materialize(gpuOut!)];
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(a[i]!)));
    compiled.dispose();
  });

  // ---- one-kernel guarantees

  it("softmax compiles to exactly one kernel and matches", async () => {
    for (const [shape, axis] of [[[6, 37], -1], [[3, 5, 8], 1], [[2, 3, 4], 0]] as const) {
      const f = (x: AnyTensor) => softmax(x, axis);
      expect(kernelsOf(f, [shape]).map((k) => k.plan.kind), `softmax [${shape}] axis ${axis}`).toEqual(["row"]);
      const gj = gpuJit(f);
      const c = await expectCpuGpuClose(f, [randomTensor(7, shape, "float32", { lo: -8, hi: 8 })], ROW, "softmax");
      expect(c.program.graph.kernels).toHaveLength(1);
      await gj(randomTensor(8, shape));
      expect((await firstProgram(gj)).graph.kernels.length).toBe(1);
    }
  });

  it("layerNorm (with weight and bias) compiles to exactly one kernel and matches", async () => {
    const shape = [5, 24];
    const f = (x: AnyTensor, w: AnyTensor, b: AnyTensor) => layerNorm(x, { weight: w, bias: b });
    expect(kernelsOf(f, [shape, [24], [24]]).map((k) => k.plan.kind)).toEqual(["row"]);
    const c = await expectCpuGpuClose(f, [randomTensor(1, shape, "float32", { lo: -3, hi: 5 }), unit(2, [24]), unit(3, [24])], ROW, "layerNorm");
    expect(c.program.graph.kernels).toHaveLength(1);
    // Without parameters, over a 3-D input.
    const g = (x: AnyTensor) => layerNorm(x);
    expect(kernelsOf(g, [[2, 3, 16]])).toHaveLength(1);
    await expectCpuGpuClose(g, [unit(4, [2, 3, 16])], ROW, "layerNorm 3-D");
  });

  it("matmul + bias + gelu + residual compiles to one kernel and matches (relu too)", async () => {
    const [m, k] = [12, 16];
    const mk = (act: (t: AnyTensor) => AnyTensor) => (x: AnyTensor, w: AnyTensor, b: AnyTensor) => core.add(act(core.add(core.matmul(x, w), b)), x);
    for (const [name, act, run] of [
      ["gelu", (t: AnyTensor) => gelu(t), true],
      ["relu", (t: AnyTensor) => core.relu(t), true],
      ["gelu-tanh", (t: AnyTensor) => gelu(t, { approximate: "tanh" }), false], // compile-only: a matmul kernel costs seconds of shader compile
    ] as const) {
      const f = mk(act);
      const kernels = kernelsOf(f, [[m, k], [k, k], [k]]);
      expect(kernels.map((kk) => kk.plan.kind), `${name}: ${kernels.map((kk) => kk.name)}`).toEqual(["dot"]);
      if (!run) continue;
      const c = await expectCpuGpuClose(f, [unit(1, [m, k]), unit(2, [k, k]), unit(3, [k])], { atol: 1e-5, rtol: 1e-5 }, name);
      expect(c.program.graph.kernels).toHaveLength(1);
    }
  });

  it("a linear layer with a long reduction packs its transposed weight on CPU adapters, and matches", async () => {
    const [m, k, n] = [5, PACK_MIN_K + 6, 7];
    const f = (x: AnyTensor, w: AnyTensor, b: AnyTensor) => core.add(core.matmul(x, core.transpose(w)), b);
    const program = trace(f, [spec([m, k]), spec([n, k]), spec([n])]);
    const kinds = (fusion: "all" | "cpu-adapter") => compileGraph(program.outputs, { maxStorageBuffers: 8, fusion }).kernels.map((kk) => kk.plan.kind);
    expect(kinds("all")).toEqual(["dot"]);
    expect(kinds("cpu-adapter")).toEqual(["elementwise", "dot"]);
    // A short reduction, or B read row-major, stays one kernel.
    const short = trace(f, [spec([m, 64]), spec([n, 64]), spec([n])]);
    expect(compileGraph(short.outputs, { maxStorageBuffers: 8, fusion: "cpu-adapter" }).kernels).toHaveLength(1);
    const plain = trace((x: AnyTensor, w: AnyTensor) => core.matmul(x, w), [spec([m, k]), spec([k, n])]);
    expect(compileGraph(plain.outputs, { maxStorageBuffers: 8, fusion: "cpu-adapter" }).kernels).toHaveLength(1);
    await expectCpuGpuClose(f, [unit(1, [m, k]), unit(2, [n, k]), unit(3, [n])], GRAPH, "packed linear");
  });

  it("a matmul with 197 columns fits its column tiles (tn 5 for 8 lanes: 200 columns, not 256), and matches", async () => {
    const lavapipe: DotTiling = { tm: 16, tn: 8, wx: 8, wy: 1, variant: "subgroup", lanes: 8 };
    expect(fitted(lavapipe, 197).tn).toBe(5);
    for (const n of [64, 768, 2304, 3072]) expect(fitted(lavapipe, n)).toBe(lavapipe);
    expect(fitted({ ...lavapipe, variant: "workgroup" }, 197).tn).toBe(8);
    const f = (q: AnyTensor, k: AnyTensor) => core.matmul(q, core.transpose(k));
    await expectCpuGpuClose(f, [unit(1, [3, 197, 16]), unit(2, [3, 197, 16])], GRAPH, "scores 197×197");
  });

  it("softmax and layerNorm feeding a batched matmul (a normalisation prologue) compile and match", async () => {
    const f = (x: AnyTensor, y: AnyTensor) => [core.matmul(softmax(x), y), core.matmul(layerNorm(x), y)];
    await expectCpuGpuClose(f, [unit(1, [2, 3, 5]), unit(2, [2, 5, 16])], { atol: 1e-5, rtol: 1e-5 }, "prologue batched");
  });

  // ---- gradient graphs

  it("valueAndGrad of a small MLP runs on the GPU and matches the CPU", async () => {
    const [batch, din, hidden, dout] = [16, 16, 16, 4];
    interface Mlp {
      w1: AnyTensor;
      b1: AnyTensor;
      w2: AnyTensor;
      b2: AnyTensor;
    }
    const loss = (p: Mlp, x: AnyTensor, y: AnyTensor) => {
      const h = gelu(core.add(core.matmul(x, p.w1), p.b1));
      const out = core.add(core.matmul(h, p.w2), p.b2);
      return core.mean(core.square(core.sub(out, y)));
    };
    const step = (p: Mlp, x: AnyTensor, y: AnyTensor) => valueAndGrad(loss)(p, x, y);
    const params: Mlp = {
      w1: randomTensor(1, [din, hidden], "float32", { lo: -0.5, hi: 0.5 }),
      b1: unit(2, [hidden]),
      w2: randomTensor(3, [hidden, dout], "float32", { lo: -0.5, hi: 0.5 }),
      b2: unit(4, [dout]),
    };
    const c = await expectCpuGpuClose(step, [params, unit(5, [batch, din]), unit(6, [batch, dout])], GRAD, "mlp grad");
    expect(c.cpu).toHaveLength(5);
    expect(aliasingViolations(c.program.graph.values, c.program.graph.memory)).toEqual([]);
  });

  it("valueAndGrad of a small conv net runs on the GPU and matches the CPU", async () => {
    interface Net {
      k1: AnyTensor;
      k2: AnyTensor;
      w: AnyTensor;
    }
    // x [N, H, W, 1] → conv 2×2 (2 ch) → tanh → depthwise 2×2 stride 1 → mean over space → linear → softmax CE.
    const loss = (p: Net, x: AnyTensor, labels: AnyTensor) => {
      const h1 = core.tanh(core.conv(x, p.k1, { padding: 0 }));
      const h2 = core.relu(core.conv(h1, p.k2, { groups: 2 }));
      const pooled = core.mean(h2, [1, 2]);
      const logits = core.matmul(pooled, p.w);
      const z = core.sub(logits, core.max(logits, -1, true));
      const logp = core.sub(z, core.log(core.sum(core.exp(z), -1, true)));
      return core.neg(core.mean(core.sum(core.mul(logp, labels), -1)));
    };
    const step = (p: Net, x: AnyTensor, labels: AnyTensor) => valueAndGrad(loss)(p, x, labels);
    const params: Net = { k1: unit(1, [2, 2, 2, 1]), k2: unit(2, [2, 2, 2, 1]), w: unit(3, [2, 3]) };
    const labels = core.constant(Float32Array.from([1, 0, 0, 0, 0, 1]), [2, 3], "float32");
    const c = await expectCpuGpuClose(step, [params, unit(4, [2, 5, 5, 1]), labels], GRAD, "conv net grad");
    expect(c.program.graph.kernels.some((k) => k.plan.kind === "conv")).toBe(true);
  });
});
