/**
 * Gradient checkpointing (`checkpoint`): gradients equal those without it, bit for bit, on the
 * CPU interpreter (an MLP-like chain, closures, several outputs, nesting, second order, the
 * tiny UniFormerV2 in training mode with dropout, drop-path and batch-statistics BatchNorm);
 * without differentiation it is the identity; the compiler neither merges the recomputation
 * with the forward (CSE) nor drops the barrier, and the memory plan of a deep chain of blocks
 * is strictly smaller. On WebGPU (when there is an adapter) the recomputed gradient matches
 * the CPU interpreter (atol 1e-5 + rtol 1e-4: f32 sums of ≤ 64 terms, GPU against f64 CPU).
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import * as nn from "../../src/dsl/nn/index.js";
import { compileGraph } from "../../src/compiler/compile.js";
import { data } from "../../src/dsl/realize.js";
import { Tensor, type AnyTensor } from "../../src/dsl/tensor.js";
import { backward } from "../../src/dsl/autodiff.js";
import { checkpoint, grad, spec, trace, valueAndGrad, valueAndGradWithAux } from "../../src/dsl/transforms.js";
import { flatten } from "../../src/dsl/tree.js";
import { topoSort } from "../../src/dsl/node.js";
import { Key } from "../../src/dsl/random/threefry.js";
import { flatFromTree, treeFromFlat, uniformerv2 } from "../../src/models/uniformerv2/index.js";
import { randomParams, randomVideo, tinyConfig } from "../models/helpers.js";
import { describeGpu, expectCpuGpuClose } from "../gpu/harness.js";

/** Deterministic values in [-0.5, 0.5). */
function rnd(seed: number, shape: readonly number[]): AnyTensor {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const d = Float32Array.from({ length: n }, () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5);
  return core.constant(d, shape, "float32");
}

type P = { w1: AnyTensor; b1: AnyTensor; w2: AnyTensor };
const mlpBlock = (x: AnyTensor, p: P) => core.add(x, core.matmul(nn.gelu(core.add(core.matmul(nn.layerNorm(x, { weight: core.full([x.shape[1]!], 1), bias: core.full([x.shape[1]!], 0) }), p.w1), p.b1)), p.w2));
const blocks = (n: number, d: number, seed = 1): P[] => Array.from({ length: n }, (_, i) => ({ w1: rnd(seed + 3 * i, [d, 2 * d]), b1: rnd(seed + 3 * i + 1, [2 * d]), w2: rnd(seed + 3 * i + 2, [2 * d, d]) }));

/** Loss of a chain of blocks; `mode` picks how each block is checkpointed. */
function chain(ps: readonly P[], x: AnyTensor, mode: "none" | "closure" | "args"): AnyTensor {
  let h = x;
  for (const p of ps) {
    if (mode === "none") h = mlpBlock(h, p);
    else if (mode === "closure") h = checkpoint((y: AnyTensor) => mlpBlock(y, p))(h);
    else h = checkpoint(mlpBlock)(h, p);
  }
  return core.sum(core.square(h));
}

const bits = (t: AnyTensor) => Array.from(data(t));
function expectSameTrees(a: unknown, b: unknown): void {
  const [x, y] = [flatten(a).leaves, flatten(b).leaves];
  expect(x.length).toBe(y.length);
  x.forEach((t, i) => expect(bits(t), `leaf ${i}`).toEqual(bits(y[i]!)));
}

describe("checkpoint: gradients equal those without it (CPU interpreter, bit for bit)", () => {
  const ps = blocks(3, 6);
  const x = rnd(99, [5, 6]);

  it("a chain of MLP blocks, parameters closed over or passed as arguments", () => {
    const reference = valueAndGrad((p: P[], y: AnyTensor) => chain(p, y, "none"))(ps, x);
    for (const mode of ["closure", "args"] as const) expectSameTrees(valueAndGrad((p: P[], y: AnyTensor) => chain(p, y, mode))(ps, x), reference);
    // With respect to the input, through every recomputed block.
    expectSameTrees(grad((y: AnyTensor) => chain(ps, y, "closure"))(x), grad((y: AnyTensor) => chain(ps, y, "none"))(x));
  });

  it("several outputs, one of them unused, and a value used both inside and after the block", () => {
    const f = (y: AnyTensor, p: P) => {
      const hidden = core.tanh(core.matmul(y, p.w1));
      return { out: core.matmul(hidden, p.w2), hidden, unused: core.exp(hidden) };
    };
    const loss = (remat: boolean) => (p: P) => {
      const r = (remat ? checkpoint(f) : f)(x, p);
      return core.add(core.sum(core.square(r.out)), core.sum(core.mul(r.hidden, 0.5)));
    };
    expectSameTrees(valueAndGrad(loss(true))(ps[0]!), valueAndGrad(loss(false))(ps[0]!));
  });

  it("the loss itself inside the checkpoint, nested checkpoints, and a second derivative", () => {
    const whole = (p: P[]) => checkpoint((q: P[]) => chain(q, x, "closure"))(p);
    expectSameTrees(valueAndGrad(whole)(ps), valueAndGrad((p: P[]) => chain(p, x, "none"))(ps));
    const g = (remat: boolean) => (y: AnyTensor) => core.sum(grad((z: AnyTensor) => chain(ps.slice(0, 2), z, remat ? "closure" : "none"))(y));
    expectSameTrees(grad(g(true))(x), grad(g(false))(x));
  });

  it("a gradient with respect to a value computed inside the block is still exact", () => {
    // Asking for a body value's cotangent: that body is differentiated node by node.
    const f = (y: AnyTensor) => core.tanh(core.mul(y, 3));
    const [out, plain] = [checkpoint(f)(x), f(x)];
    const inner = (t: AnyTensor) => new Tensor(t.node.inputs[0]!);
    expect(bits(backward(core.sum(out), [inner(out)])[0]!)).toEqual(bits(backward(core.sum(plain), [inner(plain)])[0]!));
  });
});

describe("checkpoint: the tiny UniFormerV2 in training mode", () => {
  const config = tinyConfig({ width: 8, frames: 4, mlpDropout: [0.3, 0.3], clsDropout: 0.2, dropPathRate: 0.2, backboneDropPathRate: 0.2 });
  const flat = flatFromTree(randomParams(config, 5));
  const video = randomVideo(config, 2, 6);
  const labels = core.constant(new Int32Array([1, 2]), [2], "int32");

  const step = (checkpointBlocks: boolean) =>
    valueAndGradWithAux((p: Record<string, AnyTensor>) => {
      const out = uniformerv2(treeFromFlat(new Map(Object.entries(p))), video, config, { training: { key: Key.fromSeed(7), checkpointBlocks } });
      const loss = nn.crossEntropy(out.logits, labels, { labelSmoothing: 0.1 });
      return [loss, { logits: out.logits, bn: Object.fromEntries(out.bnState!) }] as const;
    })(Object.fromEntries(flat));

  it("the same loss, logits, BatchNorm statistics (recorded once) and gradients, with dropout on", () => {
    const [[loss, aux], grads] = step(true);
    const [[loss0, aux0], grads0] = step(false);
    expect(bits(loss)).toEqual(bits(loss0));
    expect(Object.keys(aux.bn)).toEqual(Object.keys(aux0.bn));
    expectSameTrees(aux, aux0);
    expectSameTrees(grads, grads0);
    // Every local and global block was recomputed: one barrier per block argument read.
    const barriers = (g: unknown) => topoSort(flatten(g).leaves.map((t) => t.node)).filter((node) => node.op === "barrier").length;
    expect(barriers(grads)).toBeGreaterThanOrEqual(config.layers + config.returnList.length);
    expect(barriers(grads0)).toBe(0);
  });
});

describe("checkpoint: in the compiler", () => {
  const d = 32;
  const n = 64;
  const specs = [Array.from({ length: 6 }, () => ({ w1: spec([d, 2 * d]), b1: spec([2 * d]), w2: spec([2 * d, d]) })), spec([n, d])] as const;
  const compiled = (mode: "none" | "closure") => {
    const program = trace((p: P[], x: AnyTensor) => valueAndGrad((q: P[]) => chain(q, x, mode))(p), specs);
    return compileGraph(program.outputs, { maxStorageBuffers: 8 });
  };

  it("keeps the barrier and the recomputation (no CSE with the forward), and plans less memory", () => {
    const plain = compiled("none");
    const remat = compiled("closure");
    expect(plain.schedule.order.some((node) => node.op === "barrier")).toBe(false);
    expect(remat.schedule.order.filter((node) => node.op === "barrier").length).toBe(6);
    // Each block's forward runs twice: once forward, once recomputed for its backward.
    expect(remat.kernels.length).toBeGreaterThan(plain.kernels.length);
    expect(remat.memory.pooledBytes).toBeLessThan(plain.memory.pooledBytes);
    // Both orders still respect the barrier: a recomputed kernel reads values computed earlier.
    const position = new Map(remat.kernels.map((k, i) => [k.plan.root, i]));
    remat.kernels.forEach((k, i) => k.bindings.slice(1).forEach((b) => expect(position.get(b) ?? -1).toBeLessThan(i)));
  });

  it("is the identity when nothing is differentiated", () => {
    const x = rnd(3, [n, d]);
    const ps = blocks(2, d, 7);
    const f = (y: AnyTensor) => mlpBlock(mlpBlock(y, ps[0]!), ps[1]!);
    expect(bits(checkpoint(f)(x))).toEqual(bits(f(x)));
    const forward = (remat: boolean) => compileGraph(trace((y: AnyTensor) => (remat ? checkpoint(f) : f)(y), [spec([n, d])]).outputs, { maxStorageBuffers: 8 });
    const [a, b] = [forward(true), forward(false)];
    const code = (g: typeof a) => g.kernels.map((k) => k.wgsl.replace(/^\/\/.*\n/gm, ""));
    expect(code(a)).toEqual(code(b));
    expect(a.memory.pooledBytes).toBe(b.memory.pooledBytes);
  });
});

describeGpu("checkpoint on WebGPU", () => {
  it("a checkpointed chain's gradient matches the CPU interpreter", async () => {
    const ps = blocks(2, 8, 11);
    const x = rnd(5, [12, 8]);
    const f = (p: P[], y: AnyTensor) => valueAndGrad((q: P[]) => chain(q, y, "closure"))(p);
    const c = await expectCpuGpuClose(f, [ps, x] as const, { atol: 1e-5, rtol: 1e-4 }, "checkpointed chain");
    expect(c.program.graph.schedule.order.some((node) => node.op === "barrier")).toBe(true);
  });
});
