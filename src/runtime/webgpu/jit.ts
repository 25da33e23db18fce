/**
 * @file Traced programs on WebGPU: compile a Program for the shared device, and `gpuJit`, the
 * asynchronous counterpart of `jit` (trace once per input signature, replay the compiled
 * program, results as tensors).
 */
import { compileGraph, type CompileOptions } from "../../compiler/compile.js";
import { realize } from "../../dsl/realize.js";
import { asCompiled, callScope, traceArgs, type NamedDimOptions, type Program } from "../../dsl/transforms.js";
import type { BindArgs, BindResult, Passable } from "../../dsl/types/bind.js";
import { flatten } from "../../dsl/tree.js";
import type { CpuArray } from "../../dsl/host/array.js";
import { gpu, type GpuContext } from "./device.js";
import { WebGpuProgram } from "./program.js";
import { dotTilingFor, dotTilingProblem } from "./dot-tiling.js";
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
export type GpuJitFunction<A extends readonly unknown[], R> = (<const Args extends Passable<A>>(
  ...args: BindArgs<"gpuJit", A, Args>
) => Promise<BindResult<A, Args, R>>) & {
  /** The compiled programs by input signature, least recently used first. */
  readonly programs: ReadonlyMap<string, Promise<WebGpuProgram>>;
  /** Dispose every program (each after the runs using it); a later call compiles again. */
  dispose(): void;
};

interface Entry<R> {
  readonly compiled: Promise<{ readonly program: WebGpuProgram; readonly rebuild: (values: readonly CpuArray[]) => R }>;
  /** Calls using the program now; it is disposed once released and none is left. */
  running: number;
  released: boolean;
}

/**
 * Like `jit`, but compiled to WGSL and run on WebGPU; resolves to concrete tensors. One program
 * an input signature, at most `maxPrograms` of them; `dispose()` releases them all. A program
 * disposed by the caller is compiled again on the next call.
 */
export function gpuJit<A extends readonly unknown[], R>(f: (...args: A) => R, options: GpuJitOptions<A> = {}): GpuJitFunction<A, R> {
  const { maxPrograms = 16, inputs, ...compileOptions } = options;
  if (!(maxPrograms >= 1)) throw new Error(`gpuJit: maxPrograms must be at least 1, got ${maxPrograms}`);
  const programs = new Map<string, Entry<R>>();
  const disposeIfIdle = (entry: Entry<R>) => {
    if (entry.released && entry.running === 0) entry.compiled.then(({ program }) => program.dispose(), () => {});
  };
  const release = (key: string, entry: Entry<R>) => {
    if (programs.get(key) === entry) programs.delete(key);
    entry.released = true;
    disposeIfIdle(entry);
  };
  const call = async (...args: A): Promise<R> => {
    const { leaves, def } = flatten(args);
    const scope = callScope("gpuJit", inputs, args);
    for (;;) {
      let entry = programs.get(def.key);
      if (entry) {
        programs.delete(def.key); // most recently used: to the end
      } else {
        const compiled = (async () => {
          const traced = traceArgs(f, leaves, def, scope);
          return { program: await compileProgram(traced, compileOptions), rebuild: (values: readonly CpuArray[]) => traced.unflatten(values) };
        })();
        const created: Entry<R> = (entry = { compiled, running: 0, released: false });
        compiled.catch(() => {
          if (programs.get(def.key) === created) programs.delete(def.key);
        });
      }
      programs.set(def.key, entry);
      for (const [key, oldest] of programs) {
        if (programs.size <= maxPrograms) break;
        release(key, oldest);
      }
      entry.running++;
      try {
        const { program, rebuild } = await entry.compiled;
        if (program.disposed) {
          release(def.key, entry); // disposed by the caller: compile again
          continue;
        }
        return rebuild(await program.run(leaves.map(realize)));
      } finally {
        entry.running--;
        disposeIfIdle(entry);
      }
    }
  };
  const view = new Map<string, Promise<WebGpuProgram>>();
  Object.defineProperty(call, "programs", {
    get: () => {
      view.clear();
      for (const [k, v] of programs) view.set(k, v.compiled.then((e) => e.program));
      return view;
    },
  });
  Object.defineProperty(call, "dispose", { value: () => [...programs].forEach(([key, entry]) => release(key, entry)) });
  return asCompiled<GpuJitFunction<A, R>>(call);
}
