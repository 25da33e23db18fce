/**
 * @file Traced programs on WebGPU: compile a program for the shared device, WebGPU as a
 * Backend (dsl/backend.ts), and `gpuJit`, `jit` with that backend (trace once per input
 * signature, replay the compiled program, results as tensors).
 */
import { compileGraph, type CompileOptions } from "../../compiler/compile.js";
import type { DotShape } from "../../compiler/wgsl/kernels/dot.js";
import type { Backend, TracedGraph } from "../../dsl/backend.js";
import { backendJit, type BackendJitted, type NamedDimOptions } from "../../dsl/transforms.js";
import { gpu, type GpuContext } from "./device.js";
import { WebGpuProgram } from "./program.js";
import type { TuningCache } from "#platform";
import { dotTilingFor, dotTilingProblem, shapeClass } from "./dot-tiling.js";
import { UnsupportedOnAdapterError } from "./errors.js";
import { cachedDotTilings } from "./tuning-cache.js";

export interface GpuCompileOptions extends Omit<CompileOptions, "maxStorageBuffers"> {
  readonly context?: GpuContext;
  /**
   * Where adapter-tuned matmul tilings come from (`wgtensor tune`): default the platform's
   * tuning cache (`platform.tuningCache()`), false for the table only. Not read when
   * `dotTiling` or `chooseDotTiling` is given.
   */
  readonly tuningCache?: TuningCache | false;
}

export async function compileProgram(program: TracedGraph, options: GpuCompileOptions = {}): Promise<WebGpuProgram> {
  const ctx = options.context ?? (await gpu());
  if (options.dotTiling) {
    // A forced tiling that cannot run here is an error, never wrong numbers.
    const problem = dotTilingProblem(ctx, options.dotTiling);
    if (problem) throw new UnsupportedOnAdapterError(`dotTiling ${JSON.stringify(options.dotTiling)} does not fit this adapter (${ctx.info.vendor || "?"} ${ctx.info.architecture || ""}): ${problem}`);
  }
  // Each matmul takes the tiling tuned for its shape class on this adapter, where there is one
  // (re-checked against the live device by `cachedDotTilings`), else the table's.
  const { tuningCache, ...compileOptions } = options;
  const tuned = options.dotTiling || options.chooseDotTiling || tuningCache === false ? undefined : await cachedDotTilings(ctx, tuningCache);
  const chooseDotTiling = tuned && Object.keys(tuned).length > 0 ? ({ m, n, k, batch }: DotShape) => tuned[shapeClass(m, n, k, batch)] : undefined;
  const graph = compileGraph(program.outputs, {
    // On CPU adapters fewer dispatches is not faster: the matmul template beats the fused
    // attention kernel ~5× (scores, then softmax as the next matmul's prologue), and a
    // layerNorm row kernel plus the subgroup matmul beats the layerNorm-prologue matmul ~3×
    // (B/16-sized block on lavapipe: 6.0 s in 6 kernels, 3.0 s in 9; `wgtensor profile block`).
    fusion: ctx.info.software ? "cpu-adapter" : "all",
    // One 8-lane SIMD row per row of a reduction on lavapipe: layerNorm [1576, 768] 29 → 13 ms,
    // softmax [24·197, 197] 46 → 20 ms against 64 threads (timestamp queries, quiet machine).
    rowThreads: ctx.info.software ? 8 : 64,
    // The matmul tiling measured best for this kind of adapter (see bench/ and dot.ts).
    dotTiling: dotTilingFor(ctx),
    ...(chooseDotTiling ? { chooseDotTiling } : {}),
    ...compileOptions,
    maxStorageBuffers: ctx.info.limits.maxStorageBuffersPerShaderStage ?? 8,
    maxWorkgroupBytes: ctx.info.limits.maxComputeWorkgroupStorageSize ?? 16384,
  });
  return WebGpuProgram.create(ctx, graph, program.inputs);
}

export type WebGpuBackend = Backend<WebGpuProgram>;

/**
 * WebGPU as a backend, compiling with `options` (the device, forced tilings, fusion switches);
 * an executable's `donate` is passed on to the compiler.
 */
export function createWebGpuBackend(options: GpuCompileOptions = {}): WebGpuBackend {
  return {
    name: "webgpu",
    label: "WebGPU",
    firstRun: "compilation",
    compile: (program, o = {}) => compileProgram(program, { ...(o.donate ? { donate: o.donate } : {}), ...options }),
    maxBufferBytes: async () => {
      const { limits } = (options.context ?? (await gpu())).info;
      const limitOf = (name: string, fallback: number) => (Number.isFinite(limits[name]) ? limits[name]! : fallback);
      return Math.min(limitOf("maxStorageBufferBindingSize", 128 << 20), limitOf("maxBufferSize", 256 << 20));
    },
  };
}

/** WebGPU on the shared device (`gpu()`), with the compiler's defaults for its adapter. */
export const webgpuBackend: WebGpuBackend = createWebGpuBackend();

export interface GpuJitOptions<A extends readonly unknown[] = readonly unknown[]> extends GpuCompileOptions, NamedDimOptions<A> {
  /**
   * Programs kept, one an input signature (default 16): a new signature beyond it disposes the
   * least recently used program (after the runs that use it).
   */
  readonly maxPrograms?: number;
}

/**
 * `gpuJit(f)`: takes concrete tensors where `f` was typed over names (each name binds to the
 * size it meets; a literal conflict is a compile error) and resolves to `f`'s result with the
 * names substituted, as `jit` does.
 */
export type GpuJitFunction<A extends readonly unknown[], R> = BackendJitted<"gpuJit", A, R, WebGpuProgram>;

/**
 * `jit(f, { backend: webgpuBackend })` with compile options: compiled to WGSL and run on WebGPU;
 * resolves to concrete tensors. One program an input signature, at most `maxPrograms` of them;
 * `dispose()` releases them all. A program disposed by the caller is compiled again on the next
 * call.
 */
export function gpuJit<A extends readonly unknown[], R>(f: (...args: A) => R, options: GpuJitOptions<A> = {}): GpuJitFunction<A, R> {
  const { maxPrograms, inputs, ...compileOptions } = options;
  return backendJit<"gpuJit", A, R, WebGpuProgram>("gpuJit", f, {
    backend: createWebGpuBackend(compileOptions),
    ...(maxPrograms !== undefined ? { maxPrograms } : {}),
    ...(inputs !== undefined ? { inputs } : {}),
  });
}
