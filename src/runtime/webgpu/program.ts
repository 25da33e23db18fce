/// <reference types="@webgpu/types" />
/**
 * @file A compiled program on a WebGPU device, ready to replay: pipelines (cached per device by
 * WGSL source), buffers from the memory plan, and bind groups are all made once; a run writes
 * the inputs, records every dispatch into one command encoder, and reads the outputs back.
 */
import type { Node } from "../../dsl/node.js";
import type { DType } from "../../dsl/dtype.js";
import type { CompiledGraph } from "../../compiler/compile.js";
import { bytesOf } from "../../compiler/compile.js";
import type { GeneratedKernel } from "../../compiler/wgsl/kernels/common.js";
import { allocate, fromFlat, materialize, type CpuArray } from "../../dsl/host/array.js";
import { sizeOf } from "../../dsl/host/view.js";
import type { GpuContext } from "./device.js";
import { GpuDeviceLostError, GpuValidationError, scoped, WgslCompileError } from "./errors.js";
import { debug } from "../../compiler/debug.js";
import type { Executable, KernelTiming, ResidentValue } from "../../dsl/backend.js";
import { settle } from "./settle.js";

export type { KernelTiming };

/**
 * Compiled pipelines per device, by WGSL source, least recently used first. The cache is
 * bounded: evicting an entry only drops the cache's reference, since every program holds the
 * pipelines it uses (a live program's pipeline stays valid; a later program with the same
 * source compiles it again).
 */
const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();
let pipelineCacheLimit = 256;

/**
 * Bound the pipeline cache (per device, entries by WGSL source; default 256, Infinity for no
 * bound, 0 for no cache) and return the previous bound. Lowering it evicts the least recently
 * used entries on the next compile.
 */
export function setPipelineCacheLimit(limit: number): number {
  if (!(limit >= 0)) throw new Error(`setPipelineCacheLimit: expected a number ≥ 0, got ${limit}`);
  const previous = pipelineCacheLimit;
  pipelineCacheLimit = limit;
  return previous;
}

/** Pipelines the cache holds for a device (compiled or compiling). */
export function pipelineCacheSize(device: GPUDevice): number {
  return pipelineCache.get(device)?.size ?? 0;
}

/**
 * The kernel's WGSL without its comment lines (blanked, so line numbers hold). The header names
 * the kernel and the graph nodes it fuses, which makes every kernel's text unique; without it a
 * training step's 603 kernels are 254 distinct shaders, compiled once each (lavapipe: ~0.2 s a
 * shader, so 116 s → about a minute on a cold cache).
 */
const shaderCode = (wgsl: string) => wgsl.replace(/^\s*\/\/.*$/gm, "");

async function pipelineFor(device: GPUDevice, kernel: GeneratedKernel): Promise<GPUComputePipeline> {
  let cache = pipelineCache.get(device);
  if (!cache) pipelineCache.set(device, (cache = new Map()));
  const code = shaderCode(kernel.wgsl);
  let pipeline = cache.get(code);
  if (pipeline) {
    cache.delete(code); // most recently used: to the end
  } else {
    pipeline = (async () => {
      const module = device.createShaderModule({ code, label: kernel.name });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === "error");
      if (errors.length > 0) {
        throw new WgslCompileError(kernel.name, errors.map((m) => ({ line: m.lineNum, column: m.linePos, text: m.message })), kernel.wgsl);
      }
      try {
        return await scoped(device, `creating the pipeline of ${kernel.name}`, () =>
          device.createComputePipelineAsync({ layout: "auto", compute: { module, entryPoint: "main" }, label: kernel.name }),
        );
      } catch (error) {
        if (error instanceof GpuValidationError) throw error;
        throw new GpuValidationError(`creating the pipeline of ${kernel.name}`, error instanceof Error ? error.message : String(error));
      }
    })();
    const failed = pipeline;
    failed.catch(() => {
      if (cache!.get(code) === failed) cache!.delete(code);
    });
  }
  cache.set(code, pipeline);
  for (const oldest of cache.keys()) {
    if (cache.size <= pipelineCacheLimit) break;
    cache.delete(oldest);
  }
  return pipeline;
}

/**
 * Whether a device was lost, and why: one listener a device, holding nothing but this record
 * (a listener per program would keep every program, and its constants, alive with the device).
 */
const lostDevices = new WeakMap<GPUDevice, { reason?: string }>();

function lostState(device: GPUDevice): { reason?: string } {
  let state = lostDevices.get(device);
  if (!state) {
    const fresh: { reason?: string } = {};
    lostDevices.set(device, (state = fresh));
    void device.lost.then((info) => (fresh.reason = info.message || String(info.reason)));
  }
  return state;
}

/**
 * Host data → the words a GPU buffer holds (f32, i32, or u32 for bool): the host array itself
 * when it already is one, contiguous (no copy: a model's weights are 345 MB), else a converted
 * copy (`new Float32Array(typed)` converts in native code; `Float32Array.from` would iterate).
 */
export function toGpuBytes(value: CpuArray): Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer> {
  const flat = materialize(value);
  const { buffer, byteOffset, length } = flat;
  const own = buffer instanceof ArrayBuffer;
  if (value.dtype === "float32") return own && flat instanceof Float32Array ? new Float32Array(buffer, byteOffset, length) : new Float32Array(flat);
  if (value.dtype === "int32") return own && flat instanceof Int32Array ? new Int32Array(buffer, byteOffset, length) : new Int32Array(flat);
  return own && flat instanceof Uint32Array ? new Uint32Array(buffer, byteOffset, length) : new Uint32Array(flat);
}

function fromGpuBytes(bytes: ArrayBuffer, node: Node): CpuArray {
  const n = sizeOf(node.shape);
  const data = allocate(node.dtype, n, "f32");
  const src = node.dtype === "float32" ? new Float32Array(bytes, 0, n) : node.dtype === "int32" ? new Int32Array(bytes, 0, n) : new Uint32Array(bytes, 0, n);
  data.set(src);
  return fromFlat(data, node.dtype, node.shape);
}

/** A value that lives in a GPU buffer between runs (parameters, optimizer state). */
export class DeviceValue implements ResidentValue {
  destroyed = false;
  constructor(
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType,
    /** False for a view of a buffer someone else owns (a program's input): destroy only forgets it. */
    readonly owned = true,
  ) {}

  destroy(): void {
    if (!this.destroyed && this.owned) this.buffer.destroy();
    this.destroyed = true;
  }
}

/** What a program holds until it is disposed. */
interface ProgramResources {
  readonly graph: CompiledGraph;
  readonly pipelines: readonly GPUComputePipeline[];
  readonly bindGroups: readonly GPUBindGroup[];
  readonly buffers: ReadonlyMap<Node, GPUBuffer>;
  readonly owned: readonly GPUBuffer[];
}

/** Readback buffers up to this size are kept for the next run; larger ones cost their copy, not their creation. */
const SPARE_READBACK_BYTES = 1 << 20;

export class WebGpuProgram implements Executable {
  /** Undefined once disposed: the buffers are destroyed and the graph (constants) let go. */
  private held: ProgramResources | undefined;
  private readonly lost: { reason?: string };
  /** Readback buffers of finished runs, by size, for the next run (at most two a size, each ≤ 1 MiB). */
  private readonly spareReadbacks = new Map<number, GPUBuffer[]>();

  private constructor(
    readonly ctx: GpuContext,
    readonly inputs: readonly Node[],
    resources: ProgramResources,
  ) {
    this.held = resources;
    this.lost = lostState(ctx.device);
  }

  /** Whether `dispose` was called. */
  get disposed(): boolean {
    return this.held === undefined;
  }

  private get resources(): ProgramResources {
    if (!this.held) throw new Error("program: used after dispose() (compile it again)");
    return this.held;
  }

  /** Kernels a run dispatches (undefined once disposed). */
  get kernels(): number | undefined {
    return this.held?.graph.kernels.length;
  }

  /** The compiled graph (kernels, memory plan); an error once the program is disposed. */
  get graph(): CompiledGraph {
    return this.resources.graph;
  }

  private get pipelines(): readonly GPUComputePipeline[] {
    return this.resources.pipelines;
  }

  private get bindGroups(): readonly GPUBindGroup[] {
    return this.resources.bindGroups;
  }

  private get buffers(): ReadonlyMap<Node, GPUBuffer> {
    return this.resources.buffers;
  }

  static async create(ctx: GpuContext, graph: CompiledGraph, inputs: readonly Node[]): Promise<WebGpuProgram> {
    const { device } = ctx;
    const pipelines = await Promise.all(graph.kernels.map((k) => pipelineFor(device, k)));
    return scoped(device, "allocating the program's buffers", () => {
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      const buffers = new Map<Node, GPUBuffer>();
      const owned: GPUBuffer[] = [];
      const make = (bytes: number, label: string) => {
        const b = device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage, label });
        owned.push(b);
        return b;
      };
      for (const input of inputs) buffers.set(input, make(bytesOf(input), `input ${input.id}`));
      const slots = graph.memory.slotBytes.map((bytes, i) => make(bytes, `slot ${i}`));
      for (const k of graph.kernels) {
        const donor = graph.aliases.get(k.plan.root);
        buffers.set(k.plan.root, donor ? buffers.get(donor)! : slots[graph.memory.slotOf.get(k.plan.root.id)!]!);
      }
      for (const k of graph.kernels) {
        for (const node of k.bindings) {
          if (buffers.has(node)) continue;
          if (node.op !== "constant") throw new Error(`program: kernel ${k.name} reads ${node.op}#${node.id}, which has no buffer`);
          const buffer = make(bytesOf(node), `constant ${node.id}`);
          device.queue.writeBuffer(buffer, 0, toGpuBytes((node as Node<"constant">).params.value));
          buffers.set(node, buffer);
        }
      }
      for (const out of graph.outputs) {
        if (!buffers.has(out) && out.op === "constant") {
          const buffer = make(bytesOf(out), `constant ${out.id}`);
          device.queue.writeBuffer(buffer, 0, toGpuBytes((out as Node<"constant">).params.value));
          buffers.set(out, buffer);
        }
      }
      const bindGroups = graph.kernels.map((k, i) =>
        device.createBindGroup({
          layout: pipelines[i]!.getBindGroupLayout(0),
          entries: k.bindings.map((node, binding) => ({ binding, resource: { buffer: buffers.get(node)! } })),
          label: k.name,
        }),
      );
      return new WebGpuProgram(ctx, inputs, { graph, pipelines, bindGroups, buffers, owned });
    });
  }

  /**
   * What input `i` holds from the last run, as a device value: passing it back as input `i`
   * costs nothing (no copy), so inputs that never change (frozen weights) are written once.
   */
  residentInput(i: number): DeviceValue {
    const node = this.inputs[i];
    if (!node) throw new Error(`program: no input ${i} (it has ${this.inputs.length})`);
    return new DeviceValue(this.buffers.get(node)!, node.shape, node.dtype, false);
  }

  /** Total bytes of the buffers this program holds (inputs, constants, the memory pool). */
  get deviceBytes(): number {
    return this.held?.owned.reduce((n, b) => n + b.size, 0) ?? 0;
  }

  private checkInput(i: number, shape: readonly number[], dtype: string): void {
    const node = this.inputs[i]!;
    if (dtype !== node.dtype || shape.length !== node.shape.length || shape.some((d, k) => d !== node.shape[k])) {
      throw new Error(`program: input ${i} must be ${node.dtype} [${node.shape.join(", ")}], got ${dtype} [${shape.join(", ")}]`);
    }
  }

  private writeInputs(args: readonly (CpuArray | ResidentValue)[]): void {
    if (args.length !== this.inputs.length) throw new Error(`program: expected ${this.inputs.length} inputs, got ${args.length}`);
    args.forEach((arg, i) => {
      if (!("view" in arg)) {
        if (!(arg instanceof DeviceValue)) throw new Error(`program: input ${i} is a resident value of another backend`);
        if (arg.destroyed) throw new Error(`program: input ${i} is a destroyed device value`);
        this.checkInput(i, arg.shape, arg.dtype);
        return;
      }
      this.checkInput(i, arg.view.shape, arg.dtype);
      this.ctx.device.queue.writeBuffer(this.buffers.get(this.inputs[i]!)!, 0, toGpuBytes(arg));
    });
  }

  async run(args: readonly CpuArray[]): Promise<CpuArray[]> {
    return (await this.runResident(args, [])) as CpuArray[];
  }

  /**
   * Run with some inputs already on the device and some outputs kept there: a training step
   * feeds its parameters and optimizer state back in without a round trip through the host.
   * `keep[i]` makes output i a DeviceValue (a buffer of its own, the caller's to destroy);
   * the other outputs are read back. `feedback[i] = j` copies output i into this program's
   * input j once the run is done (the result is then undefined): pass `residentInput(j)` next
   * time and a training step's carry never leaves the program's own buffers.
   */
  async runResident(args: readonly (CpuArray | ResidentValue)[], keep: readonly boolean[], feedback: readonly (number | undefined)[] = []): Promise<(CpuArray | DeviceValue | undefined)[]> {
    const kernels = this.graph.kernels.length;
    const started = performance.now();
    try {
      return await this.runOnce(args, keep, feedback);
    } finally {
      debug(1, () => `ran ${kernels} kernel(s) in ${(performance.now() - started).toFixed(2)} ms (writes, dispatches, readback)`);
    }
  }

  private async runOnce(args: readonly (CpuArray | ResidentValue)[], keep: readonly boolean[], feedback: readonly (number | undefined)[]): Promise<(CpuArray | DeviceValue | undefined)[]> {
    const { graph, buffers, pipelines, bindGroups } = this.resources;
    if (this.lost.reason !== undefined) throw new GpuDeviceLostError(`WebGPU device lost: ${this.lost.reason}`);
    const { device } = this.ctx;
    this.writeInputs(args);
    const outputs = graph.outputs;
    const fedBack = this.checkFeedback(feedback);
    const sizeOfOutput = (node: Node) => Math.ceil(bytesOf(node) / 4) * 4;
    const readbacks = outputs.map((node, i) =>
      keep[i] || fedBack[i] ? undefined : this.takeReadback(sizeOfOutput(node)),
    );
    const kept = outputs.map((node, i) =>
      keep[i] ? new DeviceValue(device.createBuffer({ size: sizeOfOutput(node), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST }), node.shape, node.dtype) : undefined,
    );
    try {
      await scoped(device, "running the program", async () => {
        const encoder = device.createCommandEncoder();
        args.forEach((arg, i) => {
          const target = buffers.get(this.inputs[i]!)!;
          if (arg instanceof DeviceValue && arg.buffer !== target) encoder.copyBufferToBuffer(arg.buffer, 0, target, 0, arg.buffer.size);
        });
        const pass = encoder.beginComputePass();
        graph.kernels.forEach((k, i) => {
          pass.setPipeline(pipelines[i]!);
          pass.setBindGroup(0, bindGroups[i]!);
          pass.dispatchWorkgroups(...k.workgroups);
        });
        pass.end();
        outputs.forEach((node, i) => {
          const source = buffers.get(node)!;
          const target = fedBack[i] ?? readbacks[i] ?? kept[i]!.buffer;
          if (source !== target) encoder.copyBufferToBuffer(source, 0, target, 0, Math.min(source.size, target.size));
        });
        device.queue.submit([encoder.finish()]);
      });
      await settle(Promise.all(readbacks.map((b) => b?.mapAsync(GPUMapMode.READ))));
      return outputs.map((node, i) => (fedBack[i] ? undefined : (kept[i] ?? fromGpuBytes(readbacks[i]!.getMappedRange().slice(0), node))));
    } catch (error) {
      kept.forEach((k) => k?.destroy());
      throw error;
    } finally {
      readbacks.forEach((b) => b && this.returnReadback(b));
    }
  }

  /** A mappable buffer of `size` bytes: a spare one from an earlier run, else a new one. */
  private takeReadback(size: number): GPUBuffer {
    return this.spareReadbacks.get(size)?.pop() ?? this.ctx.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /**
   * A readback buffer back after its run: kept for the next run when it was read and is small
   * (creating a mappable buffer is half of a small run's cost), else destroyed.
   */
  private returnReadback(b: GPUBuffer): void {
    if (b.mapState !== "mapped" || !this.held || b.size > SPARE_READBACK_BYTES) return b.destroy();
    b.unmap();
    let spare = this.spareReadbacks.get(b.size);
    if (!spare) this.spareReadbacks.set(b.size, (spare = []));
    if (spare.length < 2) spare.push(b);
    else b.destroy();
  }

  /**
   * The input buffers the outputs are copied into. Copies run in output order after every
   * kernel, so no output may be read from an input buffer that an earlier copy overwrote.
   */
  private checkFeedback(feedback: readonly (number | undefined)[]): (GPUBuffer | undefined)[] {
    const targets = this.graph.outputs.map((node, i) => {
      const j = feedback[i];
      if (j === undefined) return undefined;
      const input = this.inputs[j];
      if (!input) throw new Error(`program: feedback of output ${i} names input ${j}, but there are ${this.inputs.length}`);
      if (input.dtype !== node.dtype || !input.shape.every((d, k) => d === node.shape[k]) || input.shape.length !== node.shape.length) {
        throw new Error(`program: output ${i} (${node.dtype} [${node.shape.join(", ")}]) cannot feed input ${j} (${input.dtype} [${input.shape.join(", ")}])`);
      }
      return this.buffers.get(input)!;
    });
    const overwritten = new Set<GPUBuffer>();
    this.graph.outputs.forEach((node, i) => {
      const source = this.buffers.get(node)!;
      if (overwritten.has(source)) throw new Error(`program: output ${i} reads an input buffer that an earlier feedback copy overwrites`);
      const t = targets[i];
      if (t && t !== source) overwritten.add(t);
    });
    return targets;
  }

  /** A host array in a device buffer of its own (the caller's to destroy). */
  upload(value: CpuArray): DeviceValue {
    const { device } = this.ctx;
    const bytes = toGpuBytes(value);
    const buffer = device.createBuffer({ size: Math.ceil(bytes.byteLength / 4) * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buffer, 0, bytes);
    return new DeviceValue(buffer, value.view.shape, value.dtype);
  }

  /** Read a device value back to the host. */
  async read(value: ResidentValue): Promise<CpuArray> {
    if (!(value instanceof DeviceValue)) throw new Error("program: read() of a resident value of another backend");
    const { device } = this.ctx;
    const staging = device.createBuffer({ size: value.buffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(value.buffer, 0, staging, 0, value.buffer.size);
      device.queue.submit([encoder.finish()]);
      await settle(staging.mapAsync(GPUMapMode.READ));
      return fromGpuBytes(staging.getMappedRange().slice(0), { shape: value.shape, dtype: value.dtype } as Node);
    } finally {
      staging.destroy();
    }
  }

  /** Per-kernel GPU time with timestamp queries (one pass per kernel), median of `repeats`. */
  async profile(args: readonly CpuArray[], repeats = 5): Promise<KernelTiming[]> {
    const { device } = this.ctx;
    if (!device.features.has("timestamp-query")) throw new Error("profile: the adapter has no timestamp-query");
    this.writeInputs(args);
    const n = this.graph.kernels.length;
    const querySet = device.createQuerySet({ type: "timestamp", count: 2 * n });
    const resolve = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const samples: number[][] = this.graph.kernels.map(() => []);
    try {
      for (let r = 0; r < repeats; r++) {
        const encoder = device.createCommandEncoder();
        this.graph.kernels.forEach((k, i) => {
          const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
          pass.setPipeline(this.pipelines[i]!);
          pass.setBindGroup(0, this.bindGroups[i]!);
          pass.dispatchWorkgroups(...k.workgroups);
          pass.end();
        });
        encoder.resolveQuerySet(querySet, 0, 2 * n, resolve, 0);
        encoder.copyBufferToBuffer(resolve, 0, read, 0, 16 * n);
        device.queue.submit([encoder.finish()]);
        await settle(read.mapAsync(GPUMapMode.READ));
        const stamps = new BigInt64Array(read.getMappedRange().slice(0));
        read.unmap();
        for (let i = 0; i < n; i++) samples[i]!.push(Number(stamps[2 * i + 1]! - stamps[2 * i]!) / 1e6);
      }
    } finally {
      querySet.destroy();
      resolve.destroy();
      read.destroy();
    }
    return this.graph.kernels.map((k, i) => {
      const sorted = samples[i]!.sort((a, b) => a - b);
      const bytes = k.bindings.reduce((acc, node) => acc + bytesOf(node), 0);
      return { name: k.name, kind: k.plan.kind, milliseconds: sorted[Math.floor(sorted.length / 2)]!, flops: k.flops, bytes };
    });
  }

  /**
   * Destroy the program's buffers and let go of everything else it holds (pipelines, bind
   * groups, the graph and its constants). Idempotent; running a disposed program is an error.
   */
  dispose(): void {
    const held = this.held;
    this.held = undefined;
    held?.owned.forEach((b) => b.destroy());
    for (const spare of this.spareReadbacks.values()) spare.forEach((b) => b.destroy());
    this.spareReadbacks.clear();
  }
}
