/**
 * @file GPU test harness: one shared device per test file, suites that skip (or, under CI, fail)
 * when there is no WebGPU adapter, and CPU-vs-GPU comparison of traced functions.
 *
 * The reference is the CPU interpreter (`jit`, f32 storage, f64 accumulation in reductions and
 * contractions); the subject is `gpuJit` (WGSL on the shared device). Errors are measured per
 * element against `atol + rtol · scale`, where the scale is |reference| or, for sums, the
 * magnitude of the sum (the same function on |inputs|).
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import type { DType } from "../../src/dsl/dtype.js";
import type { Node } from "../../src/dsl/node.js";
import type { OpName } from "../../src/dsl/ops/params.js";
import { data } from "../../src/dsl/realize.js";
import { Tensor, type AnyTensor } from "../../src/dsl/tensor.js";
import { jit } from "../../src/dsl/transforms.js";
import { flatten } from "../../src/dsl/tree.js";
import { gpu, NoAdapterError, type GpuContext } from "../../src/runtime/webgpu/device.js";
import { gpuJit } from "../../src/runtime/webgpu/jit.js";
import type { WebGpuProgram } from "../../src/runtime/webgpu/program.js";
import { mulberry32 } from "../../src/dsl/random/mulberry32.js";

// ---------------------------------------------------------------- fast-check defaults

/**
 * GPU properties run with a fixed seed by default: every new shape is a new pipeline, and
 * lavapipe's shader compile (seconds for a matmul) dominates the run time; a fixed seed keeps CI
 * reproducible and lets Mesa's on-disk shader cache serve repeated runs. FC_SEED=random explores
 * (fast-check prints the seed of a failure), FC_SEED=<n> replays one. No shrinking by default
 * (each shrink step compiles again): FC_SHRINK=1 turns it on.
 */
const seedEnv = process.env.FC_SEED;
const baseSeed = seedEnv === "random" ? undefined : Number(seedEnv ?? 20_261_125);

/**
 * Parameters to spread into every GPU `fc.assert` (not fc.configureGlobal, which would leak into
 * other test files sharing the worker). The seed is the base seed mixed with the current test's
 * name and a per-test counter, so different properties see different cases.
 */
export function fcParams(): { readonly seed?: number; readonly endOnFailure: boolean } {
  const endOnFailure = !process.env.FC_SHRINK;
  if (baseSeed === undefined) return { endOnFailure };
  const name = expect.getState().currentTestName ?? "";
  const n = (calls.get(name) ?? 0) + 1;
  calls.set(name, n);
  let h = baseSeed ^ n;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x9e3779b1) >>> 0;
  return { seed: h | 0, endOnFailure };
}
const calls = new Map<string, number>();

// ---------------------------------------------------------------- the device

type Acquired = { readonly ok: true; readonly ctx: GpuContext } | { readonly ok: false; readonly error: unknown };

let acquired: Promise<Acquired> | undefined;

/** The shared device, acquired once per test file (module instance); never rejects. */
export function acquireOnce(): Promise<Acquired> {
  acquired ??= gpu().then(
    (ctx): Acquired => ({ ok: true, ctx }),
    (error: unknown): Acquired => ({ ok: false, error }),
  );
  return acquired;
}

// Top-level await: suites are declared synchronously, so the outcome must be known at import.
const device = await acquireOnce();

/** The shared GPU context; only call inside a `describeGpu` body (there it exists). */
export function gpuContext(): GpuContext {
  if (!device.ok) throw new Error("gpuContext: no WebGPU device (use describeGpu)");
  return device.ctx;
}

export const hasGpu = device.ok;

/**
 * A suite that needs the GPU. Without an adapter it is skipped with a one-line reason, except
 * under CI (`process.env.CI` set), where the suite fails with the NoAdapterError's message.
 * Any other acquisition error always fails the suite.
 */
export function describeGpu(name: string, fn: () => void): void {
  if (device.ok) {
    describe(name, fn);
    return;
  }
  const { error } = device;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof NoAdapterError && !process.env.CI) {
    describe.skip(`${name} [skipped: no WebGPU adapter — ${message.split("\n")[0]}]`, fn);
    return;
  }
  describe(name, () => {
    it("acquires a WebGPU device", () => {
      throw error instanceof Error ? error : new Error(message);
    });
  });
}

// ---------------------------------------------------------------- random inputs

/** mulberry32: a tiny deterministic PRNG (seeded by fast-check). */
export const rng = mulberry32;

export const prod = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export interface RandomOptions {
  readonly lo?: number;
  readonly hi?: number;
  /** Keep |x| ≥ this (for divisors). */
  readonly awayFromZero?: number;
}

/** Random host data of a dtype: floats uniform in [lo, hi), ints in [lo, hi], bools 50/50. */
export function randomValues(seed: number, n: number, dtype: DType, options: RandomOptions = {}): number[] {
  const next = rng(seed);
  const lo = options.lo ?? (dtype === "int32" ? -50 : -2);
  const hi = options.hi ?? (dtype === "int32" ? 50 : 2);
  const away = options.awayFromZero ?? 0;
  return Array.from({ length: n }, () => {
    if (dtype === "bool") return next() < 0.5 ? 1 : 0;
    if (dtype === "int32") {
      let v = Math.floor(lo + next() * (hi - lo + 1));
      if (away > 0 && Math.abs(v) < away) v = v < 0 ? -away : away;
      return v;
    }
    let v = Math.fround(lo + next() * (hi - lo));
    if (away > 0 && Math.abs(v) < away) v = Math.fround(v < 0 ? -away - (away + v) : away + v);
    return v;
  });
}

export function tensorFrom(values: readonly number[], shape: readonly number[], dtype: DType): AnyTensor {
  const storage = dtype === "float32" ? Float32Array.from(values) : dtype === "int32" ? Int32Array.from(values) : Uint8Array.from(values);
  return core.constant(storage, shape, dtype);
}

/** A random constant tensor (float32 in [-2, 2) unless told). */
export function randomTensor(seed: number, shape: readonly number[], dtype: DType = "float32", options: RandomOptions = {}): AnyTensor {
  return tensorFrom(randomValues(seed, prod(shape), dtype, options), shape, dtype);
}

// ---------------------------------------------------------------- CPU vs GPU

export interface Tolerance {
  readonly atol: number;
  readonly rtol: number;
  /**
   * What rtol is relative to: "value" (|reference|, the default) or "abs-inputs" (|f(|inputs|)|,
   * the magnitude of a sum for linear and bilinear ops: Σ|x|, Σ|a||b|), or "max" (the largest
   * |reference| of the output leaf: a norm-wise bound, for gradients with cancellation).
   */
  readonly scale?: "value" | "abs-inputs" | "max";
}

export interface Comparison {
  /** max over elements of error / allowed error: ≤ 1 passes. */
  readonly worst: number;
  readonly maxAbsError: number;
  /** Where `worst` is: output leaf, flat position, values. */
  readonly at: { readonly output: number; readonly index: number; readonly cpu: number; readonly gpu: number; readonly allowed: number } | undefined;
  readonly elements: number;
  /** The compiled GPU program (kernels, memory plan). */
  readonly program: WebGpuProgram;
  readonly cpu: readonly AnyTensor[];
  readonly gpu: readonly AnyTensor[];
}

/** Ops seen in graphs compiled and run on the GPU by this file (for coverage checks). */
export const opsRunOnGpu = new Set<OpName>();

function recordOps(program: WebGpuProgram): void {
  for (const n of program.graph.schedule.order) opsRunOnGpu.add(n.op);
  for (const n of program.graph.outputs) opsRunOnGpu.add(n.op);
}

function absInput(t: AnyTensor): AnyTensor {
  if (t.dtype !== "float32") return t;
  return core.constant(Float32Array.from(data(t), Math.abs), t.shape, "float32");
}

/**
 * Run `f` on the CPU interpreter and on the GPU with the same inputs (a list of argument pytrees)
 * and measure the worst error over every output leaf. Ints and bools must match exactly.
 */
export async function compareCpuGpu<A extends readonly unknown[], R>(
  f: (...args: A) => R,
  inputs: A,
  tolerance: Tolerance,
): Promise<Comparison> {
  // `f` is generic here; `untyped` keeps the callers' checks and skips the named-dim binding types.
  const untyped: (...args: readonly unknown[]) => R = (...args) => f(...(args as unknown as A));
  const cpuOut = flatten(jit(untyped)(...inputs)).leaves;
  const gj = gpuJit(untyped);
  const gpuOut = flatten(await gj(...inputs)).leaves;
  const program = await [...gj.programs.values()][0]!;
  recordOps(program);
  let scaleOut: AnyTensor[] | undefined;
  if (tolerance.scale === "abs-inputs") {
    const { leaves, def } = flatten(inputs);
    scaleOut = flatten(jit(untyped)(...(def.rebuild(leaves.map(absInput)) as A))).leaves;
  }
  if (cpuOut.length !== gpuOut.length) throw new Error(`compareCpuGpu: ${cpuOut.length} CPU outputs, ${gpuOut.length} GPU outputs`);
  let worst = 0;
  let maxAbsError = 0;
  let elements = 0;
  let at: Comparison["at"];
  cpuOut.forEach((c, o) => {
    const g = gpuOut[o]!;
    if (c.dtype !== g.dtype || !core.sameShape(c.shape, g.shape)) {
      throw new Error(`compareCpuGpu: output ${o} is ${c.dtype} [${c.shape}] on the CPU, ${g.dtype} [${g.shape}] on the GPU`);
    }
    const a = data(c);
    const b = data(g);
    const s = scaleOut ? data(scaleOut[o]!) : a;
    let leafMax = 0;
    if (tolerance.scale === "max") for (const v of a) if (Number.isFinite(v)) leafMax = Math.max(leafMax, Math.abs(v));
    const exact = c.dtype !== "float32";
    for (let i = 0; i < a.length; i++) {
      elements++;
      const x = a[i]!;
      const y = b[i]!;
      let ratio: number;
      const allowed = exact ? 0 : tolerance.atol + tolerance.rtol * (tolerance.scale === "max" ? leafMax : Math.abs(s[i]!));
      const err = Math.abs(x - y);
      if (x === y || (Number.isNaN(x) && Number.isNaN(y))) ratio = 0;
      else if (!Number.isFinite(x) || !Number.isFinite(y)) ratio = Infinity;
      else ratio = allowed === 0 ? Infinity : err / allowed;
      if (Number.isFinite(err)) maxAbsError = Math.max(maxAbsError, err);
      if (ratio > worst || (at === undefined && ratio >= worst)) {
        worst = Math.max(worst, ratio);
        at = { output: o, index: i, cpu: x, gpu: y, allowed };
      }
    }
  });
  return { worst, maxAbsError, at, elements, program, cpu: cpuOut, gpu: gpuOut };
}

/** A readable failure line for a comparison. */
export function describeComparison(c: Comparison, what = ""): string {
  const a = c.at;
  const where = a ? `output ${a.output} element ${a.index}: cpu ${a.cpu}, gpu ${a.gpu}, allowed ${a.allowed.toExponential(2)}` : "";
  return `${what} worst ${c.worst.toFixed(3)}× tolerance, max |err| ${c.maxAbsError.toExponential(3)} (${where}); kernels: ${c.program.graph.kernels.map((k) => k.name).join(" ")}`;
}

/** compareCpuGpu that throws (with the worst element and the kernels) unless within tolerance. */
export async function expectCpuGpuClose<A extends readonly unknown[], R>(
  f: (...args: A) => R,
  inputs: A,
  tolerance: Tolerance,
  what = "",
): Promise<Comparison> {
  const c = await compareCpuGpu(f, inputs, tolerance);
  if (!(c.worst <= 1)) {
    const wgsl = c.program.graph.kernels.map((k) => k.wgsl).join("\n");
    throw new Error(`${describeComparison(c, what)}\n${process.env.WGT_TEST_WGSL ? wgsl : "(set WGT_TEST_WGSL=1 for the WGSL)"}`);
  }
  return c;
}

/** The first compiled program of a gpuJit function (after one call). */
export async function firstProgram(fn: { readonly programs: ReadonlyMap<string, Promise<WebGpuProgram>> }): Promise<WebGpuProgram> {
  const p = [...fn.programs.values()][0];
  if (!p) throw new Error("firstProgram: the function has not been called");
  return p;
}

export const asTensor = (n: Node): AnyTensor => new Tensor(n);
