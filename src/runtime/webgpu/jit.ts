/**
 * @file Traced programs on WebGPU: compile a Program for the shared device, and `gpuJit`, the
 * asynchronous counterpart of `jit` (trace once per input signature, replay the compiled
 * program, results as tensors).
 */
import { compileGraph, type CompileOptions } from "../../compiler/compile.js";
import { realize } from "../../dsl/realize.js";
import { traceArgs, type Program } from "../../dsl/transforms.js";
import { flatten } from "../../dsl/tree.js";
import type { CpuArray } from "../cpu/array.js";
import { gpu, type GpuContext } from "./device.js";
import { WebGpuProgram } from "./program.js";
import { dotTilingFor, dotTilingProblem } from "../../compiler/wgsl/kernels/dot.js";
import { UnsupportedOnAdapterError } from "./errors.js";

export interface GpuCompileOptions extends Omit<CompileOptions, "maxStorageBuffers"> {
  readonly context?: GpuContext;
}

export async function compileProgram(program: Program, options: GpuCompileOptions = {}): Promise<WebGpuProgram> {
  const ctx = options.context ?? (await gpu());
  if (options.dotTiling) {
    // A forced tiling that cannot run here is an error, never wrong numbers.
    const problem = dotTilingProblem(ctx, options.dotTiling);
    if (problem) throw new UnsupportedOnAdapterError(`dotTiling ${JSON.stringify(options.dotTiling)} does not fit this adapter (${ctx.info.vendor || "?"} ${ctx.info.architecture || ""}): ${problem}`);
  }
  const graph = compileGraph(program.outputs, {
    // On CPU adapters fewer dispatches is not faster: the matmul template beats the fused
    // attention kernel ~5× (scores, then softmax as the next matmul's prologue), and a
    // layerNorm row kernel plus the subgroup matmul beats the layerNorm-prologue matmul ~3×
    // (B/16-sized block on lavapipe: 6.0 s in 6 kernels, 3.0 s in 9; `wgtensor profile block`).
    noAttention: ctx.info.software,
    noPrologue: ctx.info.software,
    // One 8-lane SIMD row per row of a reduction on lavapipe: layerNorm [1576, 768] 29 → 13 ms,
    // softmax [24·197, 197] 46 → 20 ms against 64 threads (timestamp queries, quiet machine).
    rowThreads: ctx.info.software ? 8 : 64,
    // The matmul tiling measured best for this kind of adapter (see bench/ and dot.ts).
    dotTiling: dotTilingFor(ctx),
    ...options,
    maxStorageBuffers: ctx.info.limits.maxStorageBuffersPerShaderStage ?? 8,
    maxWorkgroupBytes: ctx.info.limits.maxComputeWorkgroupStorageSize ?? 16384,
  });
  return WebGpuProgram.create(ctx, graph, program.inputs);
}

/** Like `jit`, but compiled to WGSL and run on WebGPU; resolves to concrete tensors. */
export function gpuJit<A extends readonly unknown[], R>(f: (...args: A) => R, options: GpuCompileOptions = {}): ((...args: A) => Promise<R>) & { readonly programs: ReadonlyMap<string, Promise<WebGpuProgram>> } {
  const programs = new Map<string, Promise<{ program: WebGpuProgram; rebuild: (values: readonly CpuArray[]) => R }>>();
  const call = async (...args: A): Promise<R> => {
    const { leaves, def } = flatten(args);
    let entry = programs.get(def.key);
    if (!entry) {
      entry = (async () => {
        const traced = traceArgs(f, leaves, def);
        return { program: await compileProgram(traced, options), rebuild: (values: readonly CpuArray[]) => traced.unflatten(values) };
      })();
      entry.catch(() => programs.delete(def.key));
      programs.set(def.key, entry);
    }
    const { program, rebuild } = await entry;
    return rebuild(await program.run(leaves.map(realize)));
  };
  const view = new Map<string, Promise<WebGpuProgram>>();
  return Object.defineProperty(call, "programs", {
    get: () => {
      view.clear();
      for (const [k, v] of programs) view.set(k, v.then((e) => e.program));
      return view;
    },
  }) as typeof call & { readonly programs: ReadonlyMap<string, Promise<WebGpuProgram>> };
}
