/**
 * @file One compiled training step, replayed. A step is a pure function
 *
 *   (carry, frozen, batch, lr, key) → (carry′, report)
 *   carry  = { trainable, buffers, optimizer }   what a step updates
 *   frozen = parameters a step reads but never changes (a frozen backbone)
 *   report = { loss, gradNorm, outputs }          what the host reads back each step
 *
 * traced once (loss, gradient as a graph transform, clipping, the optimizer update, updated
 * buffers such as BatchNorm's running statistics) and compiled by a Backend (WebGPU, the CPU
 * interpreter). The carry never leaves the backend: its outputs are written over the program's
 * carry inputs and are the next step's inputs, and the frozen inputs are written once. The learning rate (the host's
 * warmup + cosine schedule) and the dropout key (the base key folded with the step number)
 * are program inputs, so one program serves every step and a resumed run draws the same
 * masks as an uninterrupted one.
 */
import type { AnyTensor } from "../dsl/tensor.js";
import { Tensor } from "../dsl/tensor.js";
import * as core from "../dsl/core.js";
import { realize } from "../dsl/realize.js";
import { fromHost } from "../dsl/core.js";
import { traceArgs, valueAndGradWithAux, type Program } from "../dsl/transforms.js";
import { flatten } from "../dsl/tree.js";
import { fromFlat, materialize, type CpuArray } from "../dsl/host/array.js";
import { Key } from "../dsl/random/threefry.js";
import type { Backend, Executable, ResidentValue } from "../dsl/backend.js";
import type { Named, Objective } from "../models/objective.js";
import { adamwInit, adamwUpdate, clipGradNorm, sgdInit, sgdUpdate, warmupCosine, type AdamWOptions, type SgdOptions, type WarmupCosine } from "./optimizers.js";

export type { Named, Objective };

export type OptimizerSpec = ({ readonly kind: "adamw" } & AdamWOptions) | ({ readonly kind: "sgd" } & SgdOptions);

export interface TrainerOptions {
  readonly objective: Objective;
  /** Parameters the optimizer updates. */
  readonly trainable: Named;
  /** Non-trained state a step replaces (BatchNorm running statistics). */
  readonly buffers?: Named;
  /** Parameters read but never updated. */
  readonly frozen?: Named;
  readonly optimizer: OptimizerSpec;
  /** Learning rate: a constant or warmup + cosine over `total` steps. */
  readonly schedule: number | WarmupCosine;
  /** Clip the global gradient norm to this (none when absent). */
  readonly maxGradNorm?: number;
  /**
   * Which trainable parameters get weight decay (default: those with two or more dims, so
   * biases, norms and 1-D tokens are not shrunk, as in common practice).
   */
  readonly decays?: (name: string, shape: readonly number[]) => boolean;
  /** Base key of the dropout / drop-path draws; step s uses `key.foldIn(s)`. */
  readonly key: Key;
  /** Compiles and runs the step: `webgpuBackend`, `cpuBackend` (the interpreter, same masks) or another. */
  readonly backend: Backend;
}

/** Everything a run needs to continue exactly: host copies of the carry, the step and key. */
export interface TrainerState {
  readonly step: number;
  readonly key: Key;
  readonly trainable: Named<CpuArray>;
  readonly buffers: Named<CpuArray>;
  /** Optimizer slots by name: `m.<param>`, `v.<param>`, `step` (AdamW); `momentum.<param>`, `started` (SGD). */
  readonly optimizer: Named<CpuArray>;
}

export interface StepReport {
  readonly step: number;
  readonly loss: number;
  readonly gradNorm: number;
  readonly lr: number;
  readonly outputs: Named<CpuArray>;
}

export class TrainerError extends Error {
  override name = "TrainerError";
}

type Value = CpuArray | ResidentValue;
interface Carry<T> {
  readonly trainable: Named<T>;
  readonly buffers: Named<T>;
  readonly optimizer: Named<T>;
}

const pick = (tree: Named, names: readonly string[]): Record<string, AnyTensor> => Object.fromEntries(names.map((n) => [n, tree[n]!]));
const prefixed = (prefix: string, tree: Named): Record<string, AnyTensor> => Object.fromEntries(Object.entries(tree).map(([k, v]) => [`${prefix}${k}`, v]));
const unprefixed = (prefix: string, tree: Named): Record<string, AnyTensor> =>
  Object.fromEntries(Object.entries(tree).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));

/** The optimizer's initial slots, flat by name (see TrainerState.optimizer). */
export function initOptimizer(spec: OptimizerSpec, trainable: Named): Record<string, AnyTensor> {
  if (spec.kind === "adamw") {
    const s = adamwInit(trainable);
    return { ...prefixed("m.", s.m), ...prefixed("v.", s.v), step: s.step };
  }
  const s = sgdInit(trainable);
  return { ...prefixed("momentum.", s.momentum), started: s.started };
}

/** The optimizer update with two parameter groups: with and without weight decay. */
function optimizerUpdate(spec: OptimizerSpec, params: Named, grads: Named, slots: Named, lr: AnyTensor, decayed: ReadonlySet<string>) {
  const names = Object.keys(params);
  const groups = [names.filter((n) => decayed.has(n)), names.filter((n) => !decayed.has(n))];
  const nextParams: Record<string, AnyTensor> = {};
  const nextSlots: Record<string, AnyTensor> = {};
  groups.forEach((group, g) => {
    if (group.length === 0) return;
    const weightDecay = g === 0 ? (spec.weightDecay ?? (spec.kind === "adamw" ? 0.01 : 0)) : 0;
    if (spec.kind === "adamw") {
      const state = { m: pick(unprefixed("m.", slots), group), v: pick(unprefixed("v.", slots), group), step: slots.step! };
      const r = adamwUpdate(pick(params, group), pick(grads, group), state, lr, { ...spec, weightDecay });
      Object.assign(nextParams, r.params, prefixed("m.", r.state.m), prefixed("v.", r.state.v));
      nextSlots.step = r.state.step;
      Object.assign(nextSlots, prefixed("m.", r.state.m), prefixed("v.", r.state.v));
    } else {
      const state = { momentum: pick(unprefixed("momentum.", slots), group), started: slots.started! };
      const r = sgdUpdate(pick(params, group), pick(grads, group), state, lr, { ...spec, weightDecay });
      Object.assign(nextParams, r.params);
      nextSlots.started = r.state.started;
      Object.assign(nextSlots, prefixed("momentum.", r.state.momentum));
    }
  });
  // Keep the slot order of the input carry, so outputs line up with inputs.
  return { params: pick(nextParams, names), slots: pick({ ...slots, ...nextSlots }, Object.keys(slots)) };
}

/** The pure step the trainer traces; exported so tests can run it on the interpreter. */
export function makeStep(o: Pick<TrainerOptions, "objective" | "optimizer" | "maxGradNorm" | "decays">, trainableShapes: Named) {
  const decays = o.decays ?? ((_: string, shape: readonly number[]) => shape.length >= 2);
  const decayed = new Set(Object.entries(trainableShapes).filter(([n, t]) => decays(n, t.shape)).map(([n]) => n));
  return (carry: Carry<AnyTensor>, frozen: Named, batch: Named, lr: AnyTensor, key: AnyTensor) => {
    const lossOf = (trainable: Named) => {
      const r = o.objective({ ...frozen, ...carry.buffers, ...trainable }, batch, key);
      return [r.loss, r] as const;
    };
    const [[loss, result], rawGrads] = valueAndGradWithAux(lossOf)(carry.trainable);
    const clipped = o.maxGradNorm !== undefined ? clipGradNorm(rawGrads, o.maxGradNorm) : undefined;
    const grads = clipped?.grads ?? rawGrads;
    const gradNorm = clipped?.norm ?? core.sqrt(Object.values(rawGrads).map((g) => core.sum(core.square(g))).reduce((a, b) => core.add(a, b), core.full([], 0)));
    const { params, slots } = optimizerUpdate(o.optimizer, carry.trainable, grads, carry.optimizer, lr, decayed);
    const buffers = Object.fromEntries(Object.entries(carry.buffers).map(([k, v]) => [k, result.buffers?.[k] ?? v]));
    const next: Carry<AnyTensor> = { trainable: params, buffers, optimizer: slots };
    return [next, { loss, gradNorm, outputs: result.outputs ?? {} }] as const;
  };
}

const scalar = (x: number): CpuArray => fromFlat(new Float32Array([x]), "float32", []);
const keyArray = (k: Key): CpuArray => fromFlat(new Int32Array([k.k0 | 0, k.k1 | 0]), "int32", [2]);
const toCpu = (t: AnyTensor | CpuArray): CpuArray => (t instanceof Tensor ? realize(t) : t);

/**
 * A training run: the compiled step, the carry (resident in the backend), the step count.
 * `trainStep(batch)` runs one step; `state()` copies everything a resume needs to the host.
 */
export class Trainer {
  private program: Program | undefined;
  private executable: Executable | undefined;
  private outputNames: string[] = [];
  private batchKey: string | undefined;
  private carryValues: Value[];
  private readonly frozenValues: CpuArray[];
  private frozenResident = false;
  private readonly carryNames: { readonly trainable: string[]; readonly buffers: string[]; readonly optimizer: string[] };
  private stepCount: number;

  private constructor(
    readonly options: TrainerOptions,
    carry: Carry<CpuArray>,
    step: number,
  ) {
    this.stepCount = step;
    this.carryNames = { trainable: Object.keys(carry.trainable), buffers: Object.keys(carry.buffers), optimizer: Object.keys(carry.optimizer) };
    this.carryValues = [...Object.values(carry.trainable), ...Object.values(carry.buffers), ...Object.values(carry.optimizer)];
    this.frozenValues = Object.values(options.frozen ?? {}).map(toCpu);
  }

  /** A fresh run (optimizer slots initialised), or one continuing from `resume`. */
  static create(options: TrainerOptions, resume?: TrainerState): Trainer {
    if (resume) {
      const want = initOptimizer(options.optimizer, options.trainable);
      const problems = [
        ...Object.keys(options.trainable).filter((k) => !(k in resume.trainable)).map((k) => `trainable "${k}" is missing`),
        ...Object.keys(want).filter((k) => !(k in resume.optimizer)).map((k) => `optimizer slot "${k}" is missing (was the run made with another optimizer or other trainable parameters?)`),
        ...Object.keys(options.buffers ?? {}).filter((k) => !(k in resume.buffers)).map((k) => `buffer "${k}" is missing`),
      ];
      for (const [k, t] of Object.entries(options.trainable)) {
        const r = resume.trainable[k];
        if (r && r.view.shape.join() !== t.shape.join()) problems.push(`trainable "${k}" is [${r.view.shape.join(", ")}], the model wants [${t.shape.join(", ")}]`);
      }
      if (problems.length > 0) throw new TrainerError(`cannot resume: ${problems.slice(0, 6).join("; ")}${problems.length > 6 ? "; …" : ""}`);
      const trainer = new Trainer(
        { ...options, key: resume.key },
        {
          trainable: Object.fromEntries(Object.keys(options.trainable).map((k) => [k, resume.trainable[k]!])),
          buffers: Object.fromEntries(Object.keys(options.buffers ?? {}).map((k) => [k, resume.buffers[k]!])),
          optimizer: Object.fromEntries(Object.keys(want).map((k) => [k, resume.optimizer[k]!])),
        },
        resume.step,
      );
      return trainer;
    }
    const map = (t: Named) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, realize(v)]));
    return new Trainer(options, { trainable: map(options.trainable), buffers: map(options.buffers ?? {}), optimizer: map(initOptimizer(options.optimizer, options.trainable)) }, 0);
  }

  get step(): number {
    return this.stepCount;
  }

  /** The learning rate of step `t` (0-based). */
  lrAt(t: number): number {
    const s = this.options.schedule;
    return typeof s === "number" ? s : warmupCosine(t, s);
  }

  /** The traced step for a batch signature (built on first use). */
  private traced(batch: Named<CpuArray>): Program {
    const key = Object.entries(batch).map(([k, v]) => `${k}:${v.dtype}[${v.view.shape.join(",")}]`).join(";");
    if (this.program) {
      if (key !== this.batchKey) throw new TrainerError(`the batch changed shape: the step was compiled for ${this.batchKey}, got ${key} (drop or pad the last batch)`);
      return this.program;
    }
    const placeholders = (values: readonly Value[]) => values.map((v) => core.full("view" in v ? v.view.shape : v.shape, 0, v.dtype));
    const carry = this.carryTree(placeholders(this.carryValues));
    const frozen = Object.fromEntries(Object.keys(this.options.frozen ?? {}).map((k, i) => [k, core.full(this.frozenValues[i]!.view.shape, 0, this.frozenValues[i]!.dtype)]));
    const batchTensors = Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, core.full(v.view.shape, 0, v.dtype)]));
    const args = [carry, frozen, batchTensors, core.full([], 0), core.full([2], 0, "int32")] as const;
    const { leaves, def } = flatten(args);
    const step = makeStep(this.options, this.options.trainable);
    this.program = traceArgs(
      (...a: typeof args) => {
        const [next, report] = step(...a);
        this.outputNames = Object.keys(report.outputs);
        return [next, report] as const;
      },
      leaves,
      def,
    );
    this.batchKey = key;
    return this.program;
  }

  private carryTree<T>(values: readonly T[]): Carry<T> {
    const { trainable, buffers, optimizer } = this.carryNames;
    let i = 0;
    const take = (names: string[]) => Object.fromEntries(names.map((n) => [n, values[i++]!]));
    return { trainable: take(trainable), buffers: take(buffers), optimizer: take(optimizer) };
  }

  /** Compile the step now (otherwise the first `step` does); resolves to the executable. */
  async compile(batch: Named<CpuArray | AnyTensor>): Promise<Executable> {
    const program = this.traced(Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, toCpu(v)])));
    if (!this.executable) {
      // The new carry may be written straight over the old one where nothing reads it after.
      const donate = new Map(this.carryValues.map((_, i) => [i, program.inputs[i]!] as const));
      this.executable = await this.options.backend.compile(program, { donate });
    }
    return this.executable;
  }

  /** Kernels in the compiled step where the backend has kernels (after `compile` or the first step). */
  get kernels(): number | undefined {
    return this.executable?.kernels;
  }

  /**
   * GPU memory a step holds: the program's buffers — inputs (the carry lives in them between
   * steps), constants and the pooled intermediates. Nothing else is allocated per step but the
   * small read-back buffers of the report.
   */
  get deviceBytes(): number | undefined {
    return this.executable?.deviceBytes;
  }

  /** One training step on `batch` (same names and shapes every step). */
  async trainStep(batch: Named<CpuArray | AnyTensor>): Promise<StepReport> {
    const hostBatch = Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, toCpu(v)]));
    this.options.objective.checkBatch?.(hostBatch);
    const lr = this.lrAt(this.stepCount);
    const stepKey = this.options.key.foldIn(this.stepCount);
    const batchValues = Object.values(hostBatch);
    const tail = [...batchValues, scalar(lr), keyArray(stepKey)];
    const nCarry = this.carryValues.length;
    const executable = await this.compile(hostBatch);
    // Frozen parameters are written once; later steps find them in the program's inputs.
    const frozen = this.frozenResident ? this.frozenValues.map((_, i) => executable.residentInput(nCarry + i)) : this.frozenValues;
    // The new carry is written over the program's carry inputs after the step: it never leaves them.
    const feedback = this.carryValues.map((_, i) => i);
    const results = await executable.runResident([...this.carryValues, ...frozen, ...tail], [], feedback);
    this.frozenResident = true;
    this.carryValues = results.slice(0, nCarry).map((r, i) => r ?? executable.residentInput(i));
    const [loss, gradNorm, ...rest] = results.slice(nCarry).map((r, i) => {
      if (r === undefined || !("view" in r)) throw new TrainerError(`the backend kept report output ${i} resident instead of reading it back`);
      return r;
    });
    this.stepCount += 1;
    return {
      step: this.stepCount,
      loss: materialize(loss!)[0]!,
      gradNorm: materialize(gradNorm!)[0]!,
      lr,
      outputs: Object.fromEntries(this.outputNames.map((n, i) => [n, rest[i]!])),
    };
  }

  /** Host copies of everything a resume needs. */
  async state(): Promise<TrainerState> {
    const values = await Promise.all(
      this.carryValues.map((v) => {
        if ("view" in v) return v;
        if (!this.executable) throw new TrainerError("a resident carry without a compiled step");
        return this.executable.read(v);
      }),
    );
    const carry = this.carryTree(values);
    return { step: this.stepCount, key: this.options.key, ...carry };
  }

  /** Current trainable parameters and buffers as tensors (host copies). */
  async parameters(): Promise<Record<string, AnyTensor>> {
    const s = await this.state();
    return Object.fromEntries([...Object.entries(this.options.frozen ?? {}), ...Object.entries(s.buffers).map(([k, v]) => [k, fromHost(v)] as const), ...Object.entries(s.trainable).map(([k, v]) => [k, fromHost(v)] as const)]);
  }

  dispose(): void {
    this.executable?.dispose();
    this.executable = undefined;
  }
}
