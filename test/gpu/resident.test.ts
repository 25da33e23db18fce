/**
 * Device-resident values: a gradient step whose parameters stay on the GPU between runs
 * (copied buffer to buffer, never through the host) follows the CPU interpreter's trajectory.
 * Tolerance: 1e-5 relative per step (f32 on both sides; sums reassociate).
 */
import { expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { data, realize } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { jit, spec, trace, valueAndGrad } from "../../src/dsl/transforms.js";
import { materialize, type CpuArray } from "../../src/dsl/host/array.js";
import { compileProgram } from "../../src/runtime/webgpu/jit.js";
import { DeviceValue } from "../../src/runtime/webgpu/program.js";
import { describeGpu, randomTensor } from "./harness.js";

const loss = (w: AnyTensor, x: AnyTensor) => core.mean(core.square(core.sub(core.tanh(core.matmul(x, w)), 0.5)));
const step = (w: AnyTensor, x: AnyTensor) => {
  const [value, g] = valueAndGrad(loss)(w, x);
  return [core.sub(w, core.mul(g, 0.5)), value] as const;
};

describeGpu("device-resident values", () => {
  it("five steps with the parameters kept on the GPU match the CPU", async () => {
    const w0 = randomTensor(1, [6, 3]);
    const x = randomTensor(2, [8, 6]);
    const program = await compileProgram(trace((w, xs) => step(w, xs), [spec([6, 3]), spec([8, 6])]));
    const cpuStep = jit(step);
    let wCpu = w0;
    let wGpu: CpuArray | DeviceValue = realize(w0);
    for (let k = 0; k < 5; k++) {
      const [nextCpu, lossCpu] = cpuStep(wCpu, x);
      const [nextGpu, lossGpu] = await program.runResident([wGpu, realize(x)], [true, false]);
      expect(nextGpu).toBeInstanceOf(DeviceValue);
      const l = materialize(lossGpu as CpuArray)[0]!;
      expect(Math.abs(l - data(lossCpu)[0]!)).toBeLessThanOrEqual(1e-5 * Math.abs(l) + 1e-7);
      if (wGpu instanceof DeviceValue) wGpu.destroy();
      wGpu = nextGpu!;
      wCpu = nextCpu;
    }
    const final = materialize(await program.read(wGpu as DeviceValue));
    data(wCpu).forEach((v, i) => expect(Math.abs(final[i]! - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
    (wGpu as DeviceValue).destroy();
  });

  it("feedback: the new parameters are copied over the program's own input, no buffers per step", async () => {
    const w0 = randomTensor(5, [6, 3]);
    const x = randomTensor(6, [8, 6]);
    const program = await compileProgram(trace((w, xs) => step(w, xs), [spec([6, 3]), spec([8, 6])]));
    const cpuStep = jit(step);
    let wCpu = w0;
    for (let k = 0; k < 4; k++) {
      const w = k === 0 ? realize(w0) : program.residentInput(0);
      const [fed, lossGpu] = await program.runResident([w, realize(x)], [], [0, undefined]);
      expect(fed).toBeUndefined();
      const [nextCpu, lossCpu] = cpuStep(wCpu, x);
      expect(Math.abs(materialize(lossGpu as CpuArray)[0]! - data(lossCpu)[0]!)).toBeLessThanOrEqual(1e-5);
      wCpu = nextCpu;
    }
    const final = materialize(await program.read(program.residentInput(0)));
    data(wCpu).forEach((v, i) => expect(Math.abs(final[i]! - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
    // Output 1 (the loss, a scalar) cannot feed input 0 ([6, 3]): refused before anything runs.
    await expect(program.runResident([program.residentInput(0), realize(x)], [], [undefined, 0])).rejects.toThrow(/output 1 \(float32 \[\]\) cannot feed input 0 \(float32 \[6, 3\]\)/);
    // The resident input's owner is the program: destroying the view does not free it.
    program.residentInput(0).destroy();
    expect(materialize(await program.read(program.residentInput(0)))).toEqual(final);
  });

  it("donation: the update is written straight over the parameter (read through the output binding)", async () => {
    const w0 = randomTensor(7, [6, 3]);
    const x = randomTensor(8, [8, 6]);
    const traced = trace((w, xs) => step(w, xs), [spec([6, 3]), spec([8, 6])]);
    const program = await compileProgram(traced, { donate: new Map([[0, traced.inputs[0]!]]) });
    expect(program.graph.aliases.get(program.graph.outputs[0]!)).toBe(traced.inputs[0]);
    const writer = program.graph.kernels.find((k) => k.plan.root === program.graph.outputs[0])!;
    expect(writer.bindings).not.toContain(traced.inputs[0]);
    const cpuStep = jit(step);
    let wCpu = w0;
    for (let k = 0; k < 4; k++) {
      const w = k === 0 ? realize(w0) : program.residentInput(0);
      const [, lossGpu] = await program.runResident([w, realize(x)], [], [0, undefined]);
      const [nextCpu, lossCpu] = cpuStep(wCpu, x);
      expect(Math.abs(materialize(lossGpu as CpuArray)[0]! - data(lossCpu)[0]!)).toBeLessThanOrEqual(1e-5);
      wCpu = nextCpu;
    }
    const final = materialize(await program.read(program.residentInput(0)));
    data(wCpu).forEach((v, i) => expect(Math.abs(final[i]! - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
  });

  it("a device value of the wrong shape, or a destroyed one, is refused clearly", async () => {
    const program = await compileProgram(trace((w, xs) => step(w, xs), [spec([6, 3]), spec([8, 6])]));
    const x = realize(randomTensor(3, [8, 6]));
    const [w] = await program.runResident([realize(randomTensor(4, [6, 3])), x], [true, false]);
    const wrong = new DeviceValue((w as DeviceValue).buffer, [3, 6], "float32");
    await expect(program.runResident([wrong, x], [])).rejects.toThrow(/input 0 must be float32 \[6, 3\], got float32 \[3, 6\]/);
    (w as DeviceValue).destroy();
    await expect(program.runResident([w!, x], [])).rejects.toThrow(/input 0 is a destroyed device value/);
  });
});
