/**
 * Memory that ends with the program: dispose releases what a program holds (a 16 MB
 * closed-over constant included), the pipeline cache is bounded, and gpuJit's programs can be
 * released and are bounded per function.
 *
 * Host memory is JS heap + external + array buffers after a full collection (`--expose-gc` set
 * at run time when vitest was not started with it). Before these fixes a 16 MB constant grew it
 * by 32 MB a compile/run/dispose cycle (a device.lost listener per program kept each program).
 */
import v8 from "node:v8";
import vm from "node:vm";
import { afterEach, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { data } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { spec, trace } from "../../src/dsl/transforms.js";
import { fromFlat, materialize } from "../../src/dsl/host/array.js";
import { compileProgram, gpuJit } from "../../src/runtime/webgpu/jit.js";
import { pipelineCacheSize, setPipelineCacheLimit } from "../../src/runtime/webgpu/program.js";
import { describeGpu, gpuContext } from "./harness.js";

v8.setFlagsFromString("--expose-gc");
const gc = ((globalThis as { gc?: () => void }).gc ?? vm.runInNewContext("gc")) as () => void;

const MB = 1024 * 1024;

/** Host memory after a full collection: JS heap, external and array buffers. */
function hostBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

const ones = (n: number) => fromFlat(new Float32Array(n).fill(1), "float32", [n]);
const vector = (values: readonly number[]) => core.constant(Float32Array.from(values), [values.length], "float32");

describeGpu("memory that ends with the program", () => {
  const defaultLimit = setPipelineCacheLimit(256);
  afterEach(() => void setPipelineCacheLimit(defaultLimit));

  it("compile/run/dispose cycles with a 16 MB constant keep host memory flat", async () => {
    const cycles = Number(process.env.MEM_CYCLES ?? 100);
    const rows = 4096, cols = 1024; // a 16 MB f32 constant, closed over
    const cycle = async (k: number) => {
      const c = core.constant(new Float32Array(rows * cols).fill(k % 7), [rows, cols], "float32");
      const program = await compileProgram(trace((x: AnyTensor) => core.sum(core.mul(c, x), 0), [spec([cols])]));
      const [out] = await program.run([ones(cols)]);
      expect(materialize(out!)[0]).toBe(rows * (k % 7));
      program.dispose();
    };
    for (let k = 0; k < 3; k++) await cycle(k); // warm: the pipeline, Dawn's pools
    const before = hostBytes();
    for (let k = 0; k < cycles; k++) await cycle(k);
    const growth = (hostBytes() - before) / MB;
    console.log(`memory: ${cycles} cycles with a 16 MB constant: host ${growth.toFixed(1)} MB (${(growth / cycles).toFixed(3)} MB a cycle)`);
    expect(growth).toBeLessThan(8);
  }, 120_000);

  it("dispose is idempotent, and a disposed program cannot run", async () => {
    const program = await compileProgram(trace((x: AnyTensor) => core.mul(x, 2), [spec([4])]));
    expect(Array.from(materialize((await program.run([ones(4)]))[0]!))).toEqual([2, 2, 2, 2]);
    expect(program.deviceBytes).toBeGreaterThan(0);
    program.dispose();
    program.dispose();
    expect(program.disposed).toBe(true);
    expect(program.deviceBytes).toBe(0);
    await expect(program.run([ones(4)])).rejects.toThrow("used after dispose");
    expect(() => program.residentInput(0)).toThrow("used after dispose");
    expect(() => program.graph).toThrow("used after dispose");
  });

  it("the pipeline cache stays bounded over many distinct shapes, and live programs keep theirs", async () => {
    const { device } = gpuContext();
    setPipelineCacheLimit(8);
    const live = await compileProgram(trace((x: AnyTensor) => core.exp(core.mul(x, 3)), [spec([3001])]));
    for (let n = 3002; n < 3042; n++) {
      const program = await compileProgram(trace((x: AnyTensor) => core.exp(core.mul(x, 3)), [spec([n])]));
      await program.run([ones(n)]);
      program.dispose();
      expect(pipelineCacheSize(device)).toBeLessThanOrEqual(8);
    }
    // Its pipeline left the cache long ago; the program still holds it.
    const [out] = await live.run([ones(3001)]);
    expect(materialize(out!)[5]).toBeCloseTo(Math.exp(3), 4);
    live.dispose();
  }, 120_000);

  it("gpuJit: dispose() releases every program; a later call compiles again", async () => {
    const g = gpuJit((x: AnyTensor) => core.add(x, 1));
    await g(vector([1]));
    await g(vector([1, 2]));
    await g(vector([1, 2, 3]));
    const programs = await Promise.all(g.programs.values());
    expect(programs).toHaveLength(3);
    g.dispose();
    expect(g.programs.size).toBe(0);
    await Promise.resolve();
    expect(programs.every((p) => p.disposed)).toBe(true);
    expect(Array.from(data(await g(vector([1, 2]))))).toEqual([2, 3]);
    expect(g.programs.size).toBe(1);
    g.dispose();
  });

  it("gpuJit: maxPrograms keeps the most recently used signatures and disposes the others", async () => {
    const g = gpuJit((x: AnyTensor) => core.mul(x, 2), { maxPrograms: 2 });
    await g(vector([1]));
    const b = await g(vector([1, 2])).then(() => [...g.programs.values()][1]!);
    await g(vector([5])); // the one-element signature is now the most recently used
    await g(vector([1, 2, 3])); // evicts the two-element one
    expect(g.programs.size).toBe(2);
    await Promise.resolve();
    expect((await b).disposed).toBe(true);
    const kept = await Promise.all(g.programs.values());
    expect(kept.map((p) => p.inputs[0]!.shape[0])).toEqual([1, 3]);
    expect(kept.every((p) => !p.disposed)).toBe(true);
    // Concurrent calls over more signatures than kept: each runs before its program goes.
    const sizes = [1, 2, 3, 4, 5];
    const results = await Promise.all(sizes.map((n) => g(vector(Array.from({ length: n }, (_, i) => i)))));
    results.forEach((r, k) => expect(Array.from(data(r))).toEqual(Array.from({ length: sizes[k]! }, (_, i) => 2 * i)));
    expect(g.programs.size).toBe(2);
    g.dispose();
  });

  it("gpuJit: a program the caller disposed is compiled again on the next call", async () => {
    const g = gpuJit((x: AnyTensor) => core.sub(x, 1));
    await g(vector([1, 2]));
    const first = await [...g.programs.values()][0]!;
    first.dispose();
    expect(Array.from(data(await g(vector([3, 4]))))).toEqual([2, 3]);
    const second = await [...g.programs.values()][0]!;
    expect(second).not.toBe(first);
    expect(second.disposed).toBe(false);
    g.dispose();
  });
});
