/**
 * A CLIP ViT block (layerNorm → multi-head self-attention → residual → layerNorm → MLP with
 * QuickGELU → residual): the dispatch budget (at most 6; the bar) and the numbers
 * against the CPU interpreter. Tolerance: atol 1e-5 + rtol 1e-5 (f32 sums over C = 64 and
 * 4C = 256 terms, compared with f64-accumulated CPU results; observed ~2e-6).
 */
import { describe, expect, it } from "vitest";
import { workload, type FunctionWorkload } from "../../src/cli/workloads.js";
import { compileGraph } from "../../src/compiler/compile.js";
import { trace } from "../../src/dsl/transforms.js";
import { describeGpu, expectCpuGpuClose, randomTensor } from "./harness.js";

const block = workload("block:2,13,64,4") as FunctionWorkload;

describe("transformer block: dispatch count (compile only)", () => {
  const program = trace((...xs) => block.fn(...xs), block.specs);
  it("fused attention: LN+QKV, attention, out-proj+residual, LN+fc1+GELU, fc2+residual = 5", () => {
    const kinds = compileGraph(program.outputs, { maxStorageBuffers: 8 }).kernels.map((k) => k.plan.kind);
    expect(kinds).toEqual(["dot", "attention", "dot", "dot", "dot"]);
  });
  it("split attention: scores, then softmax·V as a matmul with a softmax prologue = 6", () => {
    const kinds = compileGraph(program.outputs, { maxStorageBuffers: 8, noAttention: true }).kernels.map((k) => k.plan.kind);
    expect(kinds).toEqual(["dot", "dot", "dot", "dot", "dot", "dot"]);
  });
  it("the CPU-adapter defaults (no attention kernel, no prologues) = 9", () => {
    const kinds = compileGraph(program.outputs, { maxStorageBuffers: 8, noAttention: true, noPrologue: true }).kernels.map((k) => k.plan.kind);
    expect(kinds).toEqual(["row", "dot", "dot", "row", "dot", "dot", "row", "dot", "dot"]);
  });
});

describeGpu("transformer block on WebGPU", () => {
  it("matches the CPU interpreter", async () => {
    const x = randomTensor(11, [2, 13, 64]);
    await expectCpuGpuClose((t) => block.fn(t), [x], { atol: 1e-5, rtol: 1e-5 }, "block");
  });
});
