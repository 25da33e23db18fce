/**
 * @file The CPU interpreter as a Backend (dsl/backend.ts): an executable evaluates the traced
 * graph with the reference interpreter. Resident values are host arrays; a program keeps its
 * last inputs, so a training step's carry fed back into them stays there between runs, as it
 * stays in a WebGPU program's buffers. Profiling times the whole run (the interpreter has no
 * kernels).
 */
import type { Backend, Executable, KernelTiming, ResidentValue, TracedGraph } from "../../dsl/backend.js";
import type { DType } from "../../dsl/dtype.js";
import type { CpuArray, Precision } from "../../dsl/host/array.js";
import { evaluate } from "../../dsl/interpreter.js";
import type { Node } from "../../dsl/node.js";

/** A host array held for a CPU program: its own, or a view of a program's input slot. */
export class HostValue implements ResidentValue {
  private current: (() => CpuArray) | undefined;

  constructor(
    value: CpuArray | (() => CpuArray),
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {
    this.current = typeof value === "function" ? value : () => value;
  }

  get destroyed(): boolean {
    return this.current === undefined;
  }

  /** The array it holds; an error once destroyed. */
  get value(): CpuArray {
    if (!this.current) throw new Error("cpu program: a destroyed resident value");
    return this.current();
  }

  destroy(): void {
    this.current = undefined;
  }
}

export interface CpuBackendOptions {
  /** The interpreter's precision for float32 math (default f32, as on a GPU). */
  readonly precision?: Precision;
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export class CpuExecutable implements Executable {
  private slots: (CpuArray | undefined)[];
  private held: TracedGraph | undefined;
  readonly kernels = undefined;
  readonly deviceBytes = undefined;

  constructor(
    program: TracedGraph,
    private readonly precision: Precision,
  ) {
    this.held = program;
    this.slots = program.inputs.map(() => undefined);
  }

  get inputs(): readonly Node[] {
    return this.graph.inputs;
  }

  get disposed(): boolean {
    return this.held === undefined;
  }

  private get graph(): TracedGraph {
    if (!this.held) throw new Error("cpu program: used after dispose() (compile it again)");
    return this.held;
  }

  private check(i: number, shape: readonly number[], dtype: DType): void {
    const node = this.graph.inputs[i]!;
    if (dtype !== node.dtype || shape.length !== node.shape.length || shape.some((d, k) => d !== node.shape[k])) {
      throw new Error(`cpu program: input ${i} must be ${node.dtype} [${node.shape.join(", ")}], got ${dtype} [${shape.join(", ")}]`);
    }
  }

  private evaluate(args: readonly (CpuArray | ResidentValue)[]): CpuArray[] {
    const { inputs, outputs } = this.graph;
    if (args.length !== inputs.length) throw new Error(`cpu program: expected ${inputs.length} inputs, got ${args.length}`);
    const values = args.map((arg, i) => {
      if ("view" in arg) {
        this.check(i, arg.view.shape, arg.dtype);
        return arg;
      }
      if (!(arg instanceof HostValue)) throw new Error(`cpu program: input ${i} is a resident value of another backend`);
      this.check(i, arg.shape, arg.dtype);
      return arg.value;
    });
    this.slots = values;
    return evaluate(outputs, { inputs: new Map(inputs.map((n, i) => [n.params.name, values[i]!] as const)), precision: this.precision });
  }

  async run(args: readonly CpuArray[]): Promise<CpuArray[]> {
    return this.evaluate(args);
  }

  async runResident(args: readonly (CpuArray | ResidentValue)[], keep: readonly boolean[], feedback: readonly (number | undefined)[] = []): Promise<(CpuArray | ResidentValue | undefined)[]> {
    const { inputs } = this.graph;
    feedback.forEach((j, i) => {
      if (j === undefined) return;
      const input = inputs[j];
      const node = this.graph.outputs[i];
      if (!input || !node) throw new Error(`cpu program: feedback of output ${i} names input ${j}, but there are ${inputs.length}`);
      if (input.dtype !== node.dtype || input.shape.length !== node.shape.length || input.shape.some((d, k) => d !== node.shape[k])) {
        throw new Error(`cpu program: output ${i} (${node.dtype} [${node.shape.join(", ")}]) cannot feed input ${j} (${input.dtype} [${input.shape.join(", ")}])`);
      }
    });
    const outputs = this.evaluate(args);
    // The outputs replace the inputs after the run, as on a device.
    feedback.forEach((j, i) => {
      if (j !== undefined) this.slots[j] = outputs[i];
    });
    return outputs.map((value, i) => (feedback[i] !== undefined ? undefined : keep[i] ? new HostValue(value, value.view.shape, value.dtype) : value));
  }

  residentInput(i: number): ResidentValue {
    const node = this.graph.inputs[i];
    if (!node) throw new Error(`cpu program: no input ${i} (it has ${this.graph.inputs.length})`);
    return new HostValue(
      () => {
        const value = this.slots[i];
        if (!value) throw new Error(`cpu program: input ${i} holds nothing yet (run the program first)`);
        return value;
      },
      node.shape,
      node.dtype,
    );
  }

  upload(value: CpuArray): ResidentValue {
    return new HostValue(value, value.view.shape, value.dtype);
  }

  async read(value: ResidentValue): Promise<CpuArray> {
    if (!(value instanceof HostValue)) throw new Error("cpu program: read() of a resident value of another backend");
    return value.value;
  }

  async profile(args: readonly CpuArray[], repeats = 5): Promise<KernelTiming[]> {
    const samples: number[] = [];
    for (let r = 0; r < Math.max(1, repeats); r++) {
      const t0 = performance.now();
      this.evaluate(args);
      samples.push(performance.now() - t0);
    }
    return [{ name: "interpreter", kind: "program", milliseconds: median(samples), flops: 0, bytes: 0 }];
  }

  dispose(): void {
    this.held = undefined;
    this.slots = [];
  }
}

export type CpuBackend = Backend<CpuExecutable>;

/** The CPU interpreter as a backend, with its own options. */
export function createCpuBackend(options: CpuBackendOptions = {}): CpuBackend {
  const precision = options.precision ?? "f32";
  return {
    name: "cpu",
    label: "the CPU interpreter",
    firstRun: "tracing",
    compile: async (program) => new CpuExecutable(program, precision),
    maxBufferBytes: async () => undefined,
  };
}

/** The CPU interpreter (f32), the reference every backend is tested against. */
export const cpuBackend: CpuBackend = createCpuBackend();
