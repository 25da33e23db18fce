/**
 * @file GPU memory of one UniFormerV2 training step, without a GPU. The step is traced as the
 * Trainer traces it (`makeStep`: loss, gradient, clipping, the optimizer update, BatchNorm
 * buffers), on placeholders that only carry shapes (a B/16's 114 M parameters are never
 * materialised), and compiled with compileGraph as `compileProgram` would for an adapter.
 * The breakdown is what the program allocates (WebGpuProgram.create; Trainer.deviceBytes):
 *   inputs     one buffer per program input: trainable, frozen, buffers, optimizer, batch, lr,
 *              key. The carry (trainable, buffers, optimizer) lives in these between steps: a
 *              step's new carry is copied over them after its last kernel.
 *   constants  constant tensors the kernels read (written once)
 *   pooled     the memory plan's slots: every kernel output, reused after its last use. The new
 *              carry is written over the old one in the inputs where nothing reads the old
 *              value after (elementwise updates: AdamW, SGD); the rest is computed into the
 *              pool, held to the end of the step and copied over the inputs.
 *   total      inputs + constants + pooled
 * `pool` says what the pool holds at its busiest: the most bytes live at once (no slot
 * assignment needs less), the new carry's share, and the peak of everything else
 * (activations, gradients, recomputations).
 */
import * as core from "../dsl/core.js";
import type { Node } from "../dsl/node.js";
import { traceArgs, type Program } from "../dsl/transforms.js";
import { flatten } from "../dsl/tree.js";
import { bytesOf, compileGraph, type CompileOptions } from "../compiler/compile.js";
import type { Value } from "../compiler/memory.js";
import { validateConfig, type UniFormerV2Config } from "../models/uniformerv2/config.js";
import { paramSpecs } from "../models/uniformerv2/params.js";
import { classificationObjective, partitionParams, type FineTuneMode, type ParamGroups } from "../models/uniformerv2/finetune.js";
import { initOptimizer, makeStep, type Named, type OptimizerSpec } from "./trainer.js";

/** Which compile defaults of `compileProgram` (runtime/webgpu/jit.ts) to use. */
export type AdapterKind = "discrete" | "software";

export interface StepMemoryOptions {
  readonly batch: number;
  readonly mode?: FineTuneMode;
  /** Recompute each block in the backward pass (TrainingOptions.checkpointBlocks). */
  readonly checkpointBlocks?: boolean;
  /** Default: AdamW with weight decay 0.05 (the demo's). */
  readonly optimizer?: OptimizerSpec;
  /** Default 1 (the demo's); clipping adds nothing resident but orders the update last. */
  readonly maxGradNorm?: number;
  /** discrete (default): flash attention and layerNorm prologues; software: neither, as on lavapipe. */
  readonly adapter?: AdapterKind;
  /** A typical adapter's limits (defaults 8 storage buffers, 16 KiB of workgroup memory). */
  readonly maxStorageBuffers?: number;
  readonly maxWorkgroupBytes?: number;
}

export interface StepMemory {
  readonly inputs: { readonly trainable: number; readonly frozen: number; readonly buffers: number; readonly optimizer: number; readonly batch: number };
  readonly constants: number;
  readonly pooled: number;
  readonly pool: {
    /** The most bytes of kernel outputs live at one time (a lower bound for `pooled`). */
    readonly peakLive: number;
    /** The new carry (trainable′, buffers′, optimizer′) computed into the pool. */
    readonly carryOut: number;
    /** The most bytes live at one time, leaving out values kept to the end of the step. */
    readonly workingPeak: number;
  };
  /** inputs + constants + pooled: what the program holds (Trainer.deviceBytes). */
  readonly total: number;
  /** Read-back buffers made each step for the report (loss, gradient norm, logits). */
  readonly readback: number;
  /** Carry values written straight over their inputs (not in the pool): how many, bytes. */
  readonly carryInPlace: { readonly values: number; readonly bytes: number };
  readonly kernels: number;
  readonly parameters: { readonly trainable: number; readonly frozen: number };
  readonly seconds: { readonly trace: number; readonly compile: number };
}

/** A WebGPU buffer's size for a node (WebGpuProgram.create rounds to 4 bytes). */
const bufferBytes = (node: Node) => Math.ceil(bytesOf(node) / 4) * 4;
const sum = (nodes: readonly Node[]) => nodes.reduce((n, node) => n + bufferBytes(node), 0);
const count = (t: Named) => Object.values(t).reduce((n, x) => n + x.size, 0);

export interface TracedStep {
  readonly program: Program;
  /** Program inputs 0 … carryCount − 1 are the carry (trainable, buffers, optimizer slots). */
  readonly carryCount: number;
  readonly groups: ParamGroups;
  readonly carry: { readonly trainable: Named; readonly buffers: Named; readonly optimizer: Named };
}

/**
 * A UniFormerV2 training step traced exactly as the Trainer traces it (`makeStep`), on
 * shape-only placeholders: inputs are carry, frozen, batch {videos, labels}, lr, key.
 */
export function traceTrainingStep(config: UniFormerV2Config, o: Pick<StepMemoryOptions, "batch" | "mode" | "checkpointBlocks" | "optimizer" | "maxGradNorm">): TracedStep {
  validateConfig(config);
  // Shapes only: fills stand for every value (traceArgs turns each leaf into a placeholder).
  const flat = new Map(paramSpecs(config).map((s) => [s.key, core.full(s.shape as number[], 0)] as const));
  const groups = partitionParams(flat, o.mode ?? "all");
  const optimizer = o.optimizer ?? { kind: "adamw", weightDecay: 0.05 };
  const carry = { trainable: groups.trainable, buffers: groups.buffers, optimizer: initOptimizer(optimizer, groups.trainable) };
  const { frames, inputResolution: r } = config;
  const batch = { videos: core.full([o.batch, frames, r, r, 3], 0), labels: core.full([o.batch], 0, "int32") };
  const args = [carry, groups.frozen, batch, core.full([], 0), core.full([2], 0, "int32")] as const;
  const { leaves, def } = flatten(args);
  const step = makeStep({ objective: classificationObjective(config, { labelSmoothing: 0.1, checkpointBlocks: o.checkpointBlocks ?? false }), optimizer, maxGradNorm: o.maxGradNorm ?? 1 }, groups.trainable);
  const program = traceArgs((...a: typeof args) => step(...a), leaves, def);
  const carryCount = [carry.trainable, carry.buffers, carry.optimizer].reduce((n, t) => n + flatten(t).def.count, 0);
  return { program, carryCount, groups, carry };
}

export function trainingStepMemory(config: UniFormerV2Config, o: StepMemoryOptions): StepMemory {
  const started = performance.now();
  const { program, carryCount: nCarry, groups, carry } = traceTrainingStep(config, o);
  const traced = performance.now();

  const software = o.adapter === "software";
  const options: CompileOptions = {
    // As the Trainer compiles: the new carry may be written over the old where safe.
    donate: new Map(program.inputs.slice(0, nCarry).map((input, i) => [i, input] as const)),
    noAttention: software,
    noPrologue: software,
    rowThreads: software ? 8 : 64,
    maxStorageBuffers: o.maxStorageBuffers ?? 8,
    maxWorkgroupBytes: o.maxWorkgroupBytes ?? 16384,
  };
  const graph = compileGraph(program.outputs, options);
  const compiled = performance.now();

  // Program inputs in the order of the flattened arguments: carry, frozen, batch, lr, key.
  const sizes = [flatten(carry.trainable).def.count, flatten(carry.buffers).def.count, flatten(carry.optimizer).def.count, flatten(groups.frozen).def.count];
  let at = 0;
  const take = (n: number) => sum(program.inputs.slice(at, (at += n)));
  const [trainable, buffers, optimizerBytes, frozen] = sizes.map(take) as [number, number, number, number];
  const batchBytes = sum(program.inputs.slice(at));
  const kernelReads = new Set(graph.kernels.flatMap((k) => k.bindings));
  const constants = sum([...new Set([...kernelReads, ...graph.outputs])].filter((n) => n.op === "constant"));
  const pooled = graph.memory.slotBytes.reduce((a, b) => a + b, 0);
  const carryOut = new Set(graph.outputs.slice(0, nCarry).map((n) => n.id));
  const inPlace = graph.outputs.slice(0, nCarry).filter((n) => graph.aliases.has(n));
  return {
    inputs: { trainable, frozen, buffers, optimizer: optimizerBytes, batch: batchBytes },
    constants,
    pooled,
    pool: {
      peakLive: peakLive(graph.values),
      carryOut: graph.values.filter((v) => carryOut.has(v.id)).reduce((n, v) => n + v.bytes, 0),
      workingPeak: peakLive(graph.values.filter((v) => v.lastUse !== Infinity)),
    },
    total: trainable + frozen + buffers + optimizerBytes + batchBytes + constants + pooled,
    readback: sum(graph.outputs.slice(nCarry)),
    carryInPlace: { values: new Set(inPlace).size, bytes: sum([...new Set(inPlace)]) },
    kernels: graph.kernels.length,
    parameters: { trainable: count(groups.trainable), frozen: count(groups.frozen) },
    seconds: { trace: (traced - started) / 1000, compile: (compiled - traced) / 1000 },
  };
}

/** The most bytes live at once, values live from the kernel writing them to their last reader. */
function peakLive(values: readonly Value[]): number {
  const delta = new Map<number, number>();
  for (const v of values) {
    delta.set(v.def, (delta.get(v.def) ?? 0) + v.bytes);
    if (v.lastUse !== Infinity) delta.set(v.lastUse + 1, (delta.get(v.lastUse + 1) ?? 0) - v.bytes);
  }
  let live = 0;
  let peak = 0;
  for (const t of [...delta.keys()].sort((a, b) => a - b)) {
    live += delta.get(t)!;
    peak = Math.max(peak, live);
  }
  return peak;
}
