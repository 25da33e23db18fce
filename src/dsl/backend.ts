/**
 * @file The backend seam: what runs a traced program. A `Backend` compiles a traced graph into
 * an `Executable` that runs it, profiles it and keeps values resident between runs; the CPU
 * interpreter (`runtime/cpu`) and WebGPU (`runtime/webgpu`) are its implementations.
 * `jit(f, { backend })` (transforms.ts) compiles through one, and models, training, the CLI and
 * the demo take a backend value: nothing decides behaviour by a backend's name.
 */
import type { DType } from "./dtype.js";
import type { CpuArray } from "./host/array.js";
import type { Node } from "./node.js";

/** What a backend compiles: a traced program's input placeholders and outputs (a `Program` is one). */
export interface TracedGraph {
  readonly inputs: readonly Node<"input">[];
  readonly outputs: readonly Node[];
}

export interface ExecutableOptions {
  /**
   * Output index → an input whose storage that output may be written into, when nothing reads
   * the input after (a training step's new parameters over the old ones). A hint: a backend
   * takes it where that is safe, or ignores it.
   */
  readonly donate?: ReadonlyMap<number, Node>;
}

/**
 * A value a backend keeps between runs (a GPU buffer on WebGPU, a host array on the CPU): a
 * program's input that is passed back as a resident value is not uploaded again.
 */
export interface ResidentValue {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly destroyed: boolean;
  /** Release the storage (a no-op for a view of a program's own input). */
  destroy(): void;
}

/** One timed piece of a run: a kernel on WebGPU, the whole program on the CPU interpreter. */
export interface KernelTiming {
  readonly name: string;
  readonly kind: string;
  readonly milliseconds: number;
  readonly flops: number;
  readonly bytes: number;
}

/** A compiled program on one backend: run it, profile it, keep values resident; then dispose it. */
export interface Executable {
  /** The program's inputs, in the order `run` takes them. */
  readonly inputs: readonly Node[];
  /** Kernels a run dispatches, where the backend has kernels (undefined on the interpreter). */
  readonly kernels: number | undefined;
  /** Device memory the program holds (undefined where values live on the host). */
  readonly deviceBytes: number | undefined;
  /** Whether `dispose` was called (running it again is an error). */
  readonly disposed: boolean;
  /** Run on host arrays (in the order of `inputs`); resolves to the outputs as host arrays. */
  run(args: readonly CpuArray[]): Promise<CpuArray[]>;
  /**
   * Run with some inputs resident and some outputs kept: `keep[i]` makes output i a resident
   * value (the caller's to destroy); `feedback[i] = j` writes output i over input j after the run
   * (the result is then undefined; `residentInput(j)` passes it back next time). The other
   * outputs come back as host arrays.
   */
  runResident(args: readonly (CpuArray | ResidentValue)[], keep: readonly boolean[], feedback?: readonly (number | undefined)[]): Promise<(CpuArray | ResidentValue | undefined)[]>;
  /** What input `i` holds from the last run, as a resident value (passing it back costs nothing). */
  residentInput(i: number): ResidentValue;
  /** A host array made resident (the caller's to destroy). */
  upload(value: CpuArray): ResidentValue;
  /** A resident value (of this backend) read back to the host. */
  read(value: ResidentValue): Promise<CpuArray>;
  /** Timings of a run on `args`: per kernel where the backend can time kernels, else the whole run; median of `repeats`. */
  profile(args: readonly CpuArray[], repeats?: number): Promise<KernelTiming[]>;
  /** Release what the program holds. Idempotent. */
  dispose(): void;
}

/** Compiles traced programs into executables. Its name and labels are for display only. */
export interface Backend<E extends Executable = Executable> {
  /** Short name for output and metadata: "cpu", "webgpu". */
  readonly name: string;
  /** Where programs run, for messages: "the CPU interpreter", "WebGPU". */
  readonly label: string;
  /** What a first run does besides running, for messages: "tracing", "compilation". */
  readonly firstRun: string;
  compile(program: TracedGraph, options?: ExecutableOptions): Promise<E>;
  /**
   * The largest buffer one program may bind, for sizing batches; undefined where values are
   * host arrays with no such bound (callers then run one item at a time).
   */
  maxBufferBytes(): Promise<number | undefined>;
}
