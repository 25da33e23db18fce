/**
 * @file The compiler pipeline: simplify (rewrite rules, CSE, DCE) → schedule (fusion rules:
 * every kernel and what it reads) → order the kernels and plan memory on the schedule →
 * generate one WGSL kernel per realized node. Codegen takes the schedule as it is.
 */
import type { Node } from "../dsl/node.js";
import { opDef } from "../dsl/ops/registry.js";
import { sameShape } from "../dsl/core.js";
import { sizeOf } from "../dsl/host/view.js";
import { rewrite, type RewriteOptions } from "./passes/rewrite.js";
import { SIMPLIFY_RULES } from "./passes/simplify.js";
import { foldConstants } from "./passes/fold.js";
import { CONV_AS_MATMUL } from "./passes/lower-conv.js";
import { CPU_ADAPTER_RULES, FUSION_RULES, RULES, schedule, type FusionRule, type KernelPlan, type Schedule } from "./schedule.js";
import type { GeneratedKernel } from "./wgsl/kernels/common.js";
import { convKernel } from "./wgsl/kernels/conv.js";
import { dotKernel, dotShapeOf, type DotShape, type DotTiling } from "./wgsl/kernels/dot.js";
import { elementwiseKernel } from "./wgsl/kernels/elementwise.js";
import { rowKernel } from "./wgsl/kernels/row.js";
import { attentionKernel } from "./wgsl/kernels/attention.js";
import { debug, DEBUG_LEVEL, showGraph } from "./debug.js";
import { planMemory, type MemoryPlan, type Value } from "./memory.js";
import { orderForMemory } from "./order.js";

export interface CompileOptions {
  /** The adapter's maxStorageBuffersPerShaderStage (fusion never exceeds it). */
  readonly maxStorageBuffers?: number;
  /** The adapter's maxComputeWorkgroupStorageSize (attention keeps a row of scores there). */
  readonly maxWorkgroupBytes?: number;
  readonly dotTiling?: DotTiling;
  /**
   * A tiling for each matmul kernel by its sizes (the adapter-tuned choice of its shape class,
   * `runtime/webgpu/tuning.ts`); undefined, or no chooser: `dotTiling`.
   */
  readonly chooseDotTiling?: (shape: DotShape) => DotTiling | undefined;
  readonly rowThreads?: number;
  readonly onRewrite?: RewriteOptions["onFire"];
  /** Patchify and pointwise convolutions as matmuls (default true). */
  readonly convAsMatmul?: boolean;
  /**
   * The fusion rules: "all" (`FUSION_RULES`, the default), "cpu-adapter" (`CPU_ADAPTER_RULES`:
   * no attention or prologue rule, for adapters where fewer dispatches is not faster; a
   * transposed right operand with a long k copied to row-major first), or a list.
   */
  readonly fusion?: keyof typeof RULE_SETS | readonly FusionRule[];
  /**
   * true: leave out the "attention" rule (softmax(QKᵀ)V as separate kernels); false: put it
   * in even if `fusion` leaves it out.
   * @deprecated select a rule set with `fusion`
   */
  readonly noAttention?: boolean;
  /**
   * true: leave out the "prologue" rule (per-row reductions such as layerNorm get their own
   * row kernel); false: put it in even if `fusion` leaves it out.
   * @deprecated select a rule set with `fusion`
   */
  readonly noPrologue?: boolean;
  /**
   * Output index → an input whose buffer that output may be written into, when nothing reads
   * the input after (a training step's new parameters over the old ones). Each is taken only
   * where it is safe; `aliases` says which were.
   */
  readonly donate?: ReadonlyMap<number, Node>;
}

export interface CompiledGraph {
  readonly outputs: readonly Node[];
  readonly kernels: readonly GeneratedKernel[];
  readonly schedule: Schedule;
  readonly memory: MemoryPlan;
  readonly values: readonly Value[];
  /** Kernel outputs written into an input's buffer (from `donate`), not into the pool. */
  readonly aliases: ReadonlyMap<Node, Node>;
}

export function bytesOf(node: Node): number {
  return Math.max(4, sizeOf(node.shape) * 4);
}

export function compileGraph(outputs: readonly Node[], options: CompileOptions = {}): CompiledGraph {
  const onFire = options.onRewrite ?? (DEBUG_LEVEL >= 4 ? (rule: string, before: Node, after: Node) => debug(4, () => `rule ${rule}: ${before.op}#${before.id} → ${after.op}#${after.id}`) : undefined);
  const rules = options.convAsMatmul === false ? SIMPLIFY_RULES : [...SIMPLIFY_RULES, CONV_AS_MATMUL];
  // Simplify first (fills fold into literals), then compute what needs no input, then again.
  const folded = foldConstants(rewrite(outputs, rules, onFire ? { onFire } : {}));
  debug(2, () => `graph after constant folding:\n${showGraph(folded)}`);
  const simplified = rewrite(folded, rules, onFire ? { onFire } : {});
  debug(2, () => `graph after simplification:\n${showGraph(simplified)}`);
  const plan = schedule(simplified, fusionRules(options), { maxStorageBuffers: options.maxStorageBuffers ?? 8 });
  const names = new Map(plan.kernels.map((k, i) => [k.root, `k${i}_${k.kind}`]));
  const chosen = donated(leanestOrder(plan.kernels, plan.realized, simplified), simplified, options.donate);
  const kernels = chosen.kernels.map((k) => {
    const generated = generate(k, plan.realized, names.get(k.root) ?? k.kind, options);
    // The memory plan was made on the schedule's reads: the kernel must bind exactly those.
    const bound = new Set(generated.bindings.slice(1));
    if (bound.size !== new Set(k.reads.filter((n) => n !== k.inPlace)).size || k.reads.some((n) => n !== k.inPlace && !bound.has(n))) {
      throw new Error(`compile: ${generated.name} binds ${[...bound].map((n) => `${n.op}#${n.id}`).join(", ")}, the schedule said ${k.reads.map((n) => `${n.op}#${n.id}`).join(", ")}`);
    }
    return generated;
  });
  debug(1, () => `compiled ${kernels.length} kernel(s): ${kernels.map((k) => `${k.name}(${k.fused.length + 1} nodes)`).join(" ")}`);
  for (const k of kernels) debug(3, () => `${k.name}:\n${k.wgsl}`);
  return { outputs: simplified, schedule: plan, kernels, values: chosen.values, memory: chosen.memory, aliases: chosen.aliases };
}

const RULE_SETS = { all: FUSION_RULES, "cpu-adapter": CPU_ADAPTER_RULES } as const;

/** The rule set, with a deprecated flag's rule taken out (true) or put back (false). */
function fusionRules(options: CompileOptions): readonly FusionRule[] {
  const selected = typeof options.fusion === "string" ? RULE_SETS[options.fusion] : (options.fusion ?? FUSION_RULES);
  const wanted = (r: FusionRule) => {
    const off = r.name === "attention" ? options.noAttention : r.name === "prologue" ? options.noPrologue : undefined;
    return off === undefined ? selected.includes(r) : !off;
  };
  // The adapter rule sets are subsets of RULES, in its order.
  return selected.every((r) => RULES.includes(r)) ? RULES.filter(wanted) : selected.filter(wanted);
}

function generate(plan: KernelPlan, realized: ReadonlySet<Node>, name: string, options: CompileOptions): GeneratedKernel {
  switch (plan.kind) {
    case "elementwise":
      return elementwiseKernel(plan, realized, name);
    case "row":
      return rowKernel(plan, realized, name, options.rowThreads);
    case "dot":
      return dotKernel(plan, realized, name, options.chooseDotTiling?.(dotShapeOf(plan)) ?? options.dotTiling);
    case "conv":
      return convKernel(plan, realized, name);
    case "attention":
      return attentionKernel(plan, realized, name, options.maxWorkgroupBytes);
  }
}

/** The schedule's depth-first order or the list scheduler's, whichever needs the smaller pool. */
function leanestOrder(kernels: readonly KernelPlan[], realized: ReadonlySet<Node>, outputs: readonly Node[]): Ordered {
  const plan = (order: readonly KernelPlan[]) => {
    const values = liveness(order, outputs);
    return { kernels: order, values, memory: planMemory(values) };
  };
  const depthFirst = plan(kernels);
  const listed = plan(orderForMemory(kernels, realized, outputs));
  debug(1, () => `memory plan: ${depthFirst.memory.pooledBytes} bytes pooled in depth-first order, ${listed.memory.pooledBytes} in list order`);
  return listed.memory.pooledBytes < depthFirst.memory.pooledBytes ? listed : depthFirst;
}

interface Ordered {
  readonly kernels: readonly KernelPlan[];
  readonly values: readonly Value[];
  readonly memory: MemoryPlan;
}

/**
 * Take the donations that are safe in this kernel order: the output is written by a kernel
 * (not an input passed through) no earlier than the last kernel reading the input, and if that
 * is the same kernel, one reading the input only at the element it writes (it then reads it
 * through its output binding: `inPlace`). The donated outputs leave the pool.
 */
function donated(chosen: Ordered, outputs: readonly Node[], donate: ReadonlyMap<number, Node> | undefined): Ordered & { aliases: Map<Node, Node> } {
  const aliases = new Map<Node, Node>();
  if (!donate || donate.size === 0) return { ...chosen, aliases };
  const writer = new Map(chosen.kernels.map((k, i) => [k.root, i] as const));
  const lastRead = new Map<Node, number>();
  chosen.kernels.forEach((k, i) => k.reads.forEach((n) => lastRead.set(n, i)));
  const taken = new Set<Node>();
  for (const [index, input] of donate) {
    const out = outputs[index];
    const w = out ? writer.get(out) : undefined;
    const kernel = w === undefined ? undefined : chosen.kernels[w];
    if (!out || w === undefined || !kernel || taken.has(input) || aliases.has(out)) continue;
    if (out.dtype !== input.dtype || !sameShape(out.shape, input.shape)) continue;
    const last = lastRead.get(input) ?? -1;
    if (last > w || (last === w && !readsInPlace(kernel, input))) continue;
    aliases.set(out, input);
    taken.add(input);
  }
  const aliased = new Set([...aliases.keys()].map((n) => n.id));
  const values = chosen.values.filter((v) => !aliased.has(v.id));
  // A writer that also reads the input reads it through its output binding.
  const kernels = chosen.kernels.map((k): KernelPlan => {
    const input = aliases.get(k.root);
    return input && k.reads.includes(input) ? { ...k, inPlace: input } : k;
  });
  return { kernels, values, memory: planMemory(values), aliases };
}


/**
 * Does the kernel read `input` only at the element it writes? So in an elementwise kernel whose
 * every direct use of `input` is an elementwise op of the output's shape, and in a matmul or
 * conv whose epilogue alone reads it that way (`w − η·(xᵀδ)`: each thread reads w where it
 * writes, after its accumulator is done).
 */
function readsInPlace(kernel: KernelPlan, input: Node): boolean {
  if (kernel.kind !== "elementwise" && kernel.kind !== "dot" && kernel.kind !== "conv") return false;
  const epilogue = new Set(kernel.kind === "elementwise" ? [] : kernel.epilogue);
  return [kernel.root, ...kernel.fused]
    .filter((n) => n.inputs.includes(input))
    .every((n) => (kernel.kind === "elementwise" || epilogue.has(n)) && opDef(n.op).role === "elementwise" && sameShape(n.shape, kernel.root.shape));
}

function liveness(kernels: readonly KernelPlan[], outputs: readonly Node[]): Value[] {
  const lastUse = new Map<Node, number>();
  kernels.forEach((k, i) => k.reads.forEach((n) => lastUse.set(n, i)));
  const outputSet = new Set(outputs);
  return kernels.map((k, i) => ({
    id: k.root.id,
    bytes: bytesOf(k.root),
    def: i,
    lastUse: outputSet.has(k.root) ? Infinity : (lastUse.get(k.root) ?? i),
  }));
}
