/**
 * @file wgtensor's public entry: typed tensors and ops, function transforms (trace, jit, grad),
 * the RNG, the CPU interpreter's read-back helpers, the type-level shape rules, composites
 * (`nn`), the backend seam (`Backend`: `cpuBackend`, `webgpuBackend`; `jit(f, { backend })`), and
 * the WGSL compiler with its WebGPU runtime (`gpuJit`, `compileProgram`).
 *
 * Its declarations name WebGPU's types (GPUDevice, …) without bringing them: TypeScript 7's DOM
 * library declares them, and `index.webgpu.ts` adds `@webgpu/types` for older compilers (the
 * package's `types@<7` export), where the two would otherwise collide.
 */
export { Tensor, type AnyTensor, type FloatTensor } from "./dsl/tensor.js";
export * from "./dsl/api/index.js";
export {
  trace,
  jit,
  grad,
  valueAndGrad,
  valueAndGradWithAux,
  vjp,
  checkpoint,
  spec,
  type Spec,
  type Program,
  type Bindings,
  type FromSpecs,
  type Jitted,
  type JitOptions,
  type BackendJitted,
  type BackendJitOptions,
} from "./dsl/transforms.js";
export type { Backend, Executable, ExecutableOptions, ResidentValue, TracedGraph } from "./dsl/backend.js";
export { cpuBackend, createCpuBackend, CpuExecutable, HostValue, type CpuBackend, type CpuBackendOptions } from "./runtime/cpu/backend.js";
export { backward } from "./dsl/autodiff.js";
export { realize, data, toNested, item } from "./dsl/realize.js";
export type { CpuArray } from "./dsl/host/array.js";
export { flatten, treeMap, treeLeaves, type Tree, type MapLeaves } from "./dsl/tree.js";
export { checkGradients, type GradCheckResult, type GradInput } from "./dsl/gradcheck.js";
export { ShapeMismatch, DTypeMismatch } from "./dsl/errors.js";
export { Key } from "./dsl/random/threefry.js";
export { evaluate } from "./dsl/interpreter.js";
export { registry } from "./dsl/ops/registry.js";
export type { OpName, OpParams } from "./dsl/ops/params.js";
export type { OpDef, FusionRole } from "./dsl/ops/def.js";
export * as core from "./dsl/core.js";
export * as nn from "./dsl/nn/index.js";
export * as optim from "./train/optimizers.js";
export { gpu, acquire, NoAdapterError, type GpuContext, type AdapterSummary } from "./runtime/webgpu/device.js";
export { gpuJit, compileProgram, webgpuBackend, createWebGpuBackend, type WebGpuBackend, type GpuCompileOptions, type GpuJitOptions, type GpuJitFunction } from "./runtime/webgpu/jit.js";
export { WebGpuProgram, DeviceValue, setPipelineCacheLimit, pipelineCacheSize, type KernelTiming } from "./runtime/webgpu/program.js";
export { WgslCompileError, GpuValidationError, GpuOutOfMemoryError, GpuDeviceLostError, UnsupportedOnAdapterError } from "./runtime/webgpu/errors.js";
export { isSoftwareAdapter, guaranteedSubgroupSize, type AdapterFacts } from "./runtime/webgpu/adapter.js";
export { dotTilingFor, dotTilingProblem, dotCandidatesFor, shapeClass, SHAPE_CLASSES, type ShapeClass } from "./runtime/webgpu/dot-tiling.js";
export { tuneDotClasses, type TuneOptions, type TuneProgress, type TuneResult } from "./runtime/webgpu/tuning.js";
export { cachedDotTilings, tuningKey } from "./runtime/webgpu/tuning-cache.js";
export { type DotTiling } from "./compiler/wgsl/kernels/dot.js";
export { compileGraph, type CompiledGraph, type CompileOptions } from "./compiler/compile.js";
export type * from "./dsl/types/index.js";
export * as io from "./runtime/io/index.js";
export * as uniformerv2 from "./models/uniformerv2/index.js";
export { Trainer, TrainerError, makeStep, initOptimizer, type TrainerOptions, type TrainerState, type StepReport, type Objective, type OptimizerSpec, type Named } from "./train/trainer.js";
export { saveCheckpoint, loadCheckpoint, CheckpointError, type LoadedCheckpoint } from "./train/checkpoint.js";
export * as motion from "./train/motion.js";
export { traceTrainingStep, trainingStepMemory, type TracedStep, type StepMemory, type StepMemoryOptions } from "./train/memory.js";
export * as syntheticMotion from "./train/data/synthetic-motion.js";
