/**
 * @file Errors from the GPU path: a WGSL compile error surfaces as WgslCompileError naming the
 * kernel and quoting the offending line (and is not cached: the next attempt compiles again); a
 * pipeline that fails validation names the kernel; a compiled program given inputs of the wrong
 * shape, dtype or count says which input and what it expected.
 */
import { expect, it } from "vitest";
import { compileGraph, type CompiledGraph } from "../../src/compiler/compile.js";
import type { GeneratedKernel } from "../../src/compiler/wgsl/kernels/common.js";
import * as core from "../../src/dsl/core.js";
import type { Node } from "../../src/dsl/node.js";
import { data } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { spec, trace } from "../../src/dsl/transforms.js";
import { fromFlat } from "../../src/dsl/host/array.js";
import { WgslCompileError } from "../../src/runtime/webgpu/errors.js";
import { compileProgram, gpuJit } from "../../src/runtime/webgpu/jit.js";
import { WebGpuProgram } from "../../src/runtime/webgpu/program.js";
import { describeGpu, gpuContext } from "./harness.js";

const f32 = (shape: number[], fill = 1) => fromFlat(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill), "float32", shape);

/** A real compiled graph (two kernels) and its inputs. */
function sample(): { graph: CompiledGraph; inputs: readonly Node[] } {
  const program = trace((x: AnyTensor) => core.sum(core.exp(core.mul(x, 0.5)), -1, true), [spec([3, 5])] as never);
  const graph = compileGraph(program.outputs, { maxStorageBuffers: 8 });
  return { graph, inputs: program.inputs };
}

/** The graph with kernel `i`'s WGSL edited. */
function withWgsl(graph: CompiledGraph, i: number, edit: (wgsl: string) => string): CompiledGraph {
  const kernels = graph.kernels.map((k, j): GeneratedKernel => (j === i ? { ...k, wgsl: edit(k.wgsl) } : k));
  return { ...graph, kernels };
}

describeGpu("GPU errors", () => {
  it("a WGSL compile error is a WgslCompileError naming the kernel and quoting the offending line", async () => {
    const { graph, inputs } = sample();
    const last = graph.kernels.length - 1;
    const victim = graph.kernels[last]!;
    // Break the store: an undeclared identifier on a line of its own.
    const broken = withWgsl(graph, last, (w) => w.replace(/(fn main\([^\n]*\{\n)/, "$1  let wg_broken = undeclared_thing_42 + 1.0;\n"));
    expect(broken.kernels[last]!.wgsl).toContain("undeclared_thing_42");
    const error = await WebGpuProgram.create(gpuContext(), broken, inputs).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WgslCompileError);
    const e = error as WgslCompileError;
    expect(e.kernel).toBe(victim.name);
    expect(e.message).toContain(`kernel ${victim.name}`);
    expect(e.message).toContain("undeclared_thing_42");
    expect(e.messages.length).toBeGreaterThan(0);
    // The reported line is the edited one, and the message quotes it.
    const lines = broken.kernels[last]!.wgsl.split("\n");
    const first = e.messages[0]!;
    expect(lines[first.line - 1]).toContain("undeclared_thing_42");
    expect(e.message).toContain(`${victim.name}.wgsl:${first.line}:`);
    expect(e.message).toContain(lines[first.line - 1]!.trim());
    expect(e.source).toBe(broken.kernels[last]!.wgsl);
  });

  it("a failed compile is not cached: the same broken source fails again, the good graph still runs", async () => {
    const { graph, inputs } = sample();
    const broken = withWgsl(graph, 0, (w) => w.replace("@compute", "@compute @bogus_attribute"));
    await expect(WebGpuProgram.create(gpuContext(), broken, inputs)).rejects.toBeInstanceOf(WgslCompileError);
    await expect(WebGpuProgram.create(gpuContext(), broken, inputs)).rejects.toThrow(/kernel k0_/);
    const good = await WebGpuProgram.create(gpuContext(), graph, inputs);
    const [out] = await good.run([f32([3, 5], 2)]);
    for (const v of out!.data) expect(v).toBeCloseTo(5 * Math.E, 5);
    good.dispose();
  });

  it("a pipeline that fails validation (no `main` entry point) names the kernel", async () => {
    const { graph, inputs } = sample();
    const broken = withWgsl(graph, 0, (w) => w.replace("fn main(", "fn not_main("));
    const error = await WebGpuProgram.create(gpuContext(), broken, inputs).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Since pipelines are created with createComputePipelineAsync this is Dawn's GPUPipelineError
    // (a DOMException, not a GpuValidationError: reported); it names the kernel through the label.
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(graph.kernels[0]!.name);
    expect((error as Error).message).toMatch(/main/);
  });

  it("wrong input shape, dtype or count to a compiled program is a clear error", async () => {
    const program = trace((x: AnyTensor, i: AnyTensor) => core.add(x, core.cast(i, "float32")), [spec([2, 3]), spec([3], "int32")] as never);
    const compiled = await compileProgram(program);
    const ints = fromFlat(Int32Array.from([1, 2, 3]), "int32", [3]);
    const [ok] = await compiled.run([f32([2, 3], 0.5), ints]);
    expect(Array.from(ok!.data as Float32Array)).toEqual([1.5, 2.5, 3.5, 1.5, 2.5, 3.5]);
    await expect(compiled.run([f32([3, 2]), ints])).rejects.toThrow("program: input 0 must be float32 [2, 3], got float32 [3, 2]");
    await expect(compiled.run([f32([2, 3, 1]), ints])).rejects.toThrow(/input 0 must be float32 \[2, 3\], got float32 \[2, 3, 1\]/);
    await expect(compiled.run([f32([2, 3]), f32([3])])).rejects.toThrow("program: input 1 must be int32 [3], got float32 [3]");
    await expect(compiled.run([f32([2, 3])])).rejects.toThrow("program: expected 2 inputs, got 1");
    // The program is still usable after rejected runs.
    const [again] = await compiled.run([f32([2, 3], 1), ints]);
    expect(Array.from(again!.data as Float32Array)).toEqual([2, 3, 4, 2, 3, 4]);
    compiled.dispose();
  });

  it("gpuJit: a function that fails to trace rejects, and the signature is not poisoned", async () => {
    let calls = 0;
    const f = (x: AnyTensor) => {
      if (calls++ === 0) throw new Error("first trace fails");
      return core.mul(x, 2);
    };
    const g = gpuJit(f);
    const x = core.constant(Float32Array.from([1, 2]), [2], "float32");
    await expect(g(x)).rejects.toThrow("first trace fails");
    const y = await g(x);
    expect(Array.from(data(y))).toEqual([2, 4]);
  });
});
