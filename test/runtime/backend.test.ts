/**
 * @file The backend seam (src/dsl/backend.ts): the CPU interpreter and WebGPU as two `Backend`s.
 *   - on random programs the two agree; the oracle is the CPU interpreter (`jit` without a
 *     backend): the CPU backend equals it exactly (the same interpreter at the same precision),
 *     WebGPU is within |gpu − cpu| ≤ 1e-4 + 1e-4·|cpu| per element;
 *   - `jit(f, { backend })` binds named dims as `jit` does (types and run time);
 *   - resident values round-trip: upload → run → keep → read, and feedback into an input;
 *   - profile returns timings (per kernel on WebGPU with timestamp queries, the whole run on the CPU);
 *   - dispose releases an executable and every program of a jitted function.
 * The WebGPU cases skip without an adapter (as test/gpu does).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import * as wg from "../../src/index.js";
import type { Backend } from "../../src/dsl/backend.js";
import { ShapeMismatch } from "../../src/dsl/errors.js";
import { fromFlat, materialize, type CpuArray } from "../../src/dsl/host/array.js";
import { data } from "../../src/dsl/realize.js";
import type { AnyTensor, Tensor } from "../../src/dsl/tensor.js";
import { jit, spec, trace } from "../../src/dsl/transforms.js";
import { cpuBackend, HostValue } from "../../src/runtime/cpu/backend.js";
import { webgpuBackend } from "../../src/runtime/webgpu/jit.js";
import { buildGraph, recipeArb, recipeInputs } from "../compiler/random-graphs.js";
import { describeGpu, fcParams, gpuContext, hasGpu, randomTensor } from "../gpu/harness.js";

const TOLERANCE = { atol: 1e-4, rtol: 1e-4 };
const RUNS = Number(process.env.WGT_GPU_RUNS ?? 8);

const unit = (seed: number, shape: readonly number[]) => randomTensor(seed, shape, "float32", { lo: -1, hi: 1 });
const host = (values: number[], shape: number[]): CpuArray => fromFlat(Float32Array.from(values), "float32", shape);

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const bound = TOLERANCE.atol + TOLERANCE.rtol * Math.abs(want[i]!);
    if (!(Math.abs(got[i]! - want[i]!) <= bound)) throw new Error(`${what}: element ${i} is ${got[i]}, the CPU interpreter says ${want[i]} (bound ${bound})`);
  }
}

/** The backends this machine has: the CPU interpreter always, WebGPU with an adapter. */
const backends: readonly Backend[] = hasGpu ? [cpuBackend, webgpuBackend] : [cpuBackend];

describe.each(backends.map((b) => [b.name, b] as const))("the %s backend", (_, backend) => {
  it("jit(f, { backend }) equals jit(f) and binds named dims as jit does", async () => {
    const w = wg.normal(wg.Key.fromSeed(1), [3, 4]);
    const project = (x: Tensor<["B", 3]>, weight: Tensor<[3, 4]>) => wg.matmul(x, weight);
    const compiled = jit(project, { backend });
    const x = wg.normal(wg.Key.fromSeed(2), [5, 3]);
    // Typed as jit's result: "B" bound to 5.
    const y: Tensor<[5, 4]> = await compiled(x, w);
    expect(y.shape).toEqual([5, 4]);
    expectClose(data(y), data(jit(project)(x, w)), "matmul");
    // @ts-expect-error jit: argument 2 dim 0 is 4, the function takes 3
    await expect(compiled(x, wg.zeros([4, 4]))).rejects.toThrow();

    // Declared names are checked at run time, naming the dim.
    const add = (a: Tensor<["B", 3]>, b: Tensor<["B", 3]>) => wg.add(a, b);
    const both = jit(add, { backend, inputs: [spec(["B", 3]), spec(["B", 3])] });
    // @ts-expect-error jit: B is 2 at argument 1 dim 0 but 7 at argument 2 dim 0
    const mismatched = both(wg.zeros([2, 3]), wg.zeros([7, 3]));
    await expect(mismatched).rejects.toThrow(ShapeMismatch);
    const frames = jit((v: Tensor<["B", "T", 3]>) => wg.reshape(v, ["B", -1]), { backend, inputs: [spec(["B", "T", 3])] });
    const flat: Tensor<[2, number]> = await frames(wg.zeros([2, 4, 3]));
    expect(flat.shape).toEqual([2, 12]);

    // One trace a signature.
    expect(compiled.traces).toBe(1);
    await compiled(wg.zeros([2, 3]), w);
    await compiled(wg.ones([2, 3]), w);
    expect(compiled.traces).toBe(2);
    compiled.dispose();
    both.dispose();
    frames.dispose();
  });

  it("resident values round-trip: upload, keep, read back, feed an output into an input", async () => {
    const program = trace((acc: AnyTensor, step: AnyTensor) => [core.add(acc, step), core.mul(step, 2)], [spec([2, 3]), spec([2, 3])]);
    const exe = await backend.compile(program);
    try {
      const a = host([1, 2, 3, 4, 5, 6], [2, 3]);
      const b = host([0.5, 0.5, 0.5, 1, 1, 1], [2, 3]);
      // Upload, run with the uploaded value as input 0, keep output 0 resident and read it back.
      const resident = exe.upload(a);
      expect(Array.from(materialize(await exe.read(resident)))).toEqual([1, 2, 3, 4, 5, 6]);
      const [kept, doubled] = await exe.runResident([resident, b], [true, false]);
      if (!kept || "view" in kept) throw new Error("output 0 should be resident");
      if (!doubled || !("view" in doubled)) throw new Error("output 1 should be a host array");
      expect(kept.shape).toEqual([2, 3]);
      expect(Array.from(materialize(await exe.read(kept)))).toEqual([1.5, 2.5, 3.5, 5, 6, 7]);
      expect(Array.from(materialize(doubled))).toEqual([1, 1, 1, 2, 2, 2]);
      kept.destroy();
      expect(kept.destroyed).toBe(true);
      resident.destroy();

      // A carry: output 0 written over input 0 after each run, passed back as residentInput(0).
      let acc: CpuArray | ReturnType<typeof exe.residentInput> = a;
      for (let i = 0; i < 3; i++) {
        const [fed] = await exe.runResident([acc, b], [], [0]);
        expect(fed).toBeUndefined();
        acc = exe.residentInput(0);
      }
      expect(Array.from(materialize(await exe.read(exe.residentInput(0))))).toEqual([2.5, 3.5, 4.5, 7, 8, 9]);
      await expect(exe.runResident([a, b], [], [5])).rejects.toThrow(/names input 5/);
    } finally {
      exe.dispose();
    }
  });

  it("profile returns timings of a run", async () => {
    const program = trace((x: AnyTensor, w: AnyTensor) => core.tanh(core.matmul(x, w)), [spec([8, 16]), spec([16, 8])]);
    const exe = await backend.compile(program);
    const inputs = program.inputs.map((node, i) => host(Array.from({ length: node.shape[0]! * node.shape[1]! }, (_, k) => Math.sin(k + i)), [...node.shape]));
    try {
      await exe.run(inputs);
      const profiled = exe.profile(inputs, 3);
      if (backend === webgpuBackend && !gpuContext().device.features.has("timestamp-query")) {
        await expect(profiled).rejects.toThrow(/timestamp-query/);
        return;
      }
      const timings = await profiled;
      expect(timings.length).toBe(exe.kernels ?? 1);
      for (const t of timings) {
        expect(t.milliseconds).toBeGreaterThanOrEqual(0);
        expect(t.name.length).toBeGreaterThan(0);
      }
    } finally {
      exe.dispose();
    }
  });

  it("dispose releases an executable and a jitted function's programs", async () => {
    const exe = await backend.compile(trace((x: AnyTensor) => core.exp(x), [spec([4])]));
    expect(exe.disposed).toBe(false);
    exe.dispose();
    exe.dispose(); // idempotent
    expect(exe.disposed).toBe(true);
    await expect(exe.run([host([1, 2, 3, 4], [4])])).rejects.toThrow(/dispose/);

    const f = jit((x: AnyTensor) => core.add(x, 1), { backend });
    await f(core.constant(new Float32Array([1]), [1], "float32"));
    await f(core.constant(new Float32Array([1, 2]), [2], "float32"));
    const programs = await Promise.all(f.programs.values());
    expect(programs).toHaveLength(2);
    f.dispose();
    expect(f.programs.size).toBe(0);
    await Promise.resolve();
    expect(programs.every((p) => p.disposed)).toBe(true);
    // A later call compiles again.
    expect(Array.from(data(await f(core.constant(new Float32Array([1, 2]), [2], "float32"))))).toEqual([2, 3]);
    expect(f.traces).toBe(3);
    f.dispose();
  });
});

describe("the CPU backend", () => {
  it("has no kernels or device memory, and times the whole run", async () => {
    const exe = await cpuBackend.compile(trace((x: AnyTensor) => core.sum(x), [spec([3])]));
    expect(exe.kernels).toBeUndefined();
    expect(exe.deviceBytes).toBeUndefined();
    expect(await cpuBackend.maxBufferBytes()).toBeUndefined();
    const [timing, ...rest] = await exe.profile([host([1, 2, 3], [3])]);
    expect(rest).toEqual([]);
    expect(timing?.kind).toBe("program");
  });
});

describeGpu("CPU and WebGPU backends", () => {
  it(`agree on random programs (|gpu − cpu| ≤ ${TOLERANCE.atol} + ${TOLERANCE.rtol}·|cpu|; the CPU backend equals jit exactly)`, async () => {
    await fc.assert(
      fc.asyncProperty(recipeArb({ minSteps: 3, maxSteps: 8, maxContractions: 1, ns: [3, 4, 5] }), async (r) => {
        const f = buildGraph(r);
        const inputs = recipeInputs(r, unit);
        const oracle = jit(f)(...inputs).map((t) => Array.from(data(t)));
        const onCpu = jit(f, { backend: cpuBackend });
        const onGpu = jit(f, { backend: webgpuBackend });
        try {
          const cpu = (await onCpu(...inputs)).map((t) => Array.from(data(t)));
          const gpu = (await onGpu(...inputs)).map((t) => Array.from(data(t)));
          expect(cpu).toEqual(oracle);
          expect(gpu.length).toBe(oracle.length);
          gpu.forEach((values, i) => expectClose(values, oracle[i]!, `output ${i} of ${JSON.stringify(r)}`));
        } finally {
          onCpu.dispose();
          onGpu.dispose();
        }
      }),
      { ...fcParams(), numRuns: Math.max(3, RUNS - 4) },
    );
  });

  it("an executable refuses another backend's resident value", async () => {
    const program = trace((x: AnyTensor) => core.neg(x), [spec([2])]);
    const gpuExe = await webgpuBackend.compile(program);
    const cpuExe = await cpuBackend.compile(program);
    try {
      const foreign = cpuExe.upload(host([1, 2], [2]));
      expect(foreign).toBeInstanceOf(HostValue);
      await expect(gpuExe.runResident([foreign], [])).rejects.toThrow(/another backend/);
      await expect(cpuExe.read(gpuExe.upload(host([1, 2], [2])))).rejects.toThrow(/another backend/);
    } finally {
      gpuExe.dispose();
      cpuExe.dispose();
    }
  });

  it("WebGPU sizes batches by its buffer limit", async () => {
    const limit = await webgpuBackend.maxBufferBytes();
    expect(limit).toBeGreaterThan(0);
  });
});
