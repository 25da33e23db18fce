/**
 * @file The compiler pipeline: simplify (rewrite rules, CSE, DCE) → schedule (fusion) →
 * generate one WGSL kernel per realized node → order kernels and plan memory. A kernel that reads a fused value
 * where it cannot (a fusion conflict) or that needs more storage buffers than the adapter
 * allows gets the offending values realized, and the schedule is made again.
 */
import type { Node } from "../dsl/node.js";
import { opDef } from "../dsl/ops/registry.js";
import { sizeOf } from "../dsl/host/view.js";
import { rewrite, type RewriteOptions } from "./passes/rewrite.js";
import { SIMPLIFY_RULES } from "./passes/simplify.js";
import { foldConstants } from "./passes/fold.js";
import { CONV_AS_MATMUL } from "./passes/lower-conv.js";
import { schedule, type KernelPlan, type Schedule } from "./schedule.js";
import { FusionConflict } from "./wgsl/expr.js";
import type { GeneratedKernel } from "./wgsl/kernels/common.js";
import { convKernel } from "./wgsl/kernels/conv.js";
import { dotKernel, type DotTiling } from "./wgsl/kernels/dot.js";
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
  readonly rowThreads?: number;
  readonly onRewrite?: RewriteOptions["onFire"];
  /** Patchify and pointwise convolutions as matmuls (default true). */
  readonly convAsMatmul?: boolean;
  /** Compile softmax(QKᵀ)V as separate kernels instead of the flash kernel. */
  readonly noAttention?: boolean;
  /** Keep per-row reductions (layerNorm) out of the following matmul (their own row kernel). */
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
  const limit = options.maxStorageBuffers ?? 8;
  const forceRealize = new Set<Node>();
  for (let attempt = 0; ; attempt++) {
    if (attempt > 1000) throw new Error("compile: fusion did not settle after 1000 reschedules");
    const plan = schedule(simplified, { forceRealize, noAttention: options.noAttention ?? false, noPrologue: options.noPrologue ?? false });
    // Every kernel's conflicts are collected before rescheduling, so a big graph (a training
    // step: ~100 conflicts) settles in a few schedules rather than one schedule per conflict.
    const kernels: GeneratedKernel[] = [];
    const conflicts: Node[] = [];
    plan.kernels.forEach((k, i) => {
      try {
        kernels.push(generate(k, plan.realized, `k${i}_${k.kind}`, options));
      } catch (error) {
        if (!(error instanceof FusionConflict)) throw error;
        debug(2, () => `fusion conflict at ${error.node.op}#${error.node.id}: it gets a buffer`);
        conflicts.push(error.node);
      }
    });
    if (conflicts.length > 0) {
      conflicts.forEach((n) => forceRealize.add(n));
      continue;
    }
    const tooWide = kernels.filter((k) => k.bindings.length > limit);
    for (const k of tooWide) {
      const extra = splitPoints(k, plan.realized, limit);
      if (extra.length === 0) throw new Error(`compile: kernel ${k.name} needs ${k.bindings.length} storage buffers; the adapter allows ${limit}`);
      extra.forEach((n) => forceRealize.add(n));
    }
    if (tooWide.length > 0) continue;
    debug(1, () => `schedule settled after ${attempt + 1} attempt(s) (${forceRealize.size} value(s) realized for conflicts or storage limits)`);
    const chosen = donated(leanestOrder(kernels, plan.realized, simplified), simplified, options.donate, (k, input) =>
      generate({ ...k.plan, inPlace: input }, plan.realized, k.name, options),
    );
    debug(1, () => `compiled ${kernels.length} kernel(s): ${chosen.kernels.map((k) => `${k.name}(${k.fused.length + 1} nodes)`).join(" ")}`);
    for (const k of chosen.kernels) debug(3, () => `${k.name}:\n${k.wgsl}`);
    return { outputs: simplified, schedule: plan, ...chosen };
  }
}

function generate(plan: KernelPlan, realized: ReadonlySet<Node>, name: string, options: CompileOptions): GeneratedKernel {
  switch (plan.kind) {
    case "elementwise":
      return elementwiseKernel(plan, realized, name);
    case "row":
      return rowKernel(plan, realized, name, options.rowThreads);
    case "dot":
      return dotKernel(plan, realized, name, options.dotTiling);
    case "conv":
      return convKernel(plan, realized, name);
    case "attention":
      return attentionKernel(plan, realized, name, options.maxWorkgroupBytes);
  }
}

/**
 * Values to give a buffer so a kernel that reads too many buffers fits the adapter's limit.
 * Walking the fused expression from its leaves, a node that would read more than `limit − 1`
 * buffers gets its largest fused operands cut (realized: each then reads few enough itself),
 * so one reschedule makes the kernel fit — a kernel summing 200 gradient norms splits in one
 * round, not one round per input. Falls back to the unrealized inputs of the root (and
 * contraction, and reductions).
 */
function splitPoints(kernel: GeneratedKernel, realized: ReadonlySet<Node>, limit: number): Node[] {
  const { plan } = kernel;
  const fused = new Set(kernel.fused);
  const inline = (n: Node) => n.op === "full" || n.op === "iota";
  const inside = (n: Node) => fused.has(n) && !realized.has(n) && !inline(n);
  const cut = new Set<Node>();
  const reads = new Map<Node, Set<Node>>();
  // A barrier's second input only orders it: the kernel never reads it.
  const operands = (n: Node) => (n.op === "barrier" ? n.inputs.slice(0, 1) : n.inputs);
  const readsOf = (n: Node): Set<Node> => {
    const out = new Set<Node>();
    for (const i of operands(n)) {
      if (inline(i)) continue;
      if (!inside(i) || cut.has(i)) out.add(i);
      else for (const b of reads.get(i) ?? []) out.add(b);
    }
    return out;
  };
  const visit = (n: Node, seen: Set<Node>) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const i of operands(n)) if (inside(i)) visit(i, seen);
    let r = readsOf(n);
    // Cut the widest operands first until this node fits.
    const widest = [...new Set(operands(n).filter((i) => inside(i) && !cut.has(i)))].sort((x, y) => reads.get(y)!.size - reads.get(x)!.size);
    while (r.size > limit - 1 && widest.length > 0) {
      cut.add(widest.shift()!);
      r = readsOf(n);
    }
    reads.set(n, r);
  };
  const seen = new Set<Node>();
  for (const n of [...kernel.fused, plan.root]) visit(n, seen);
  if (cut.size > 0) return [...cut];
  const candidates = [plan.root, ...(plan.contraction ? [plan.contraction] : []), ...plan.reductions].flatMap((n) => n.inputs);
  return [...new Set(candidates.filter((n) => !realized.has(n) && !inline(n)))];
}

/** The schedule's depth-first order or the list scheduler's, whichever needs the smaller pool. */
function leanestOrder(kernels: readonly GeneratedKernel[], realized: ReadonlySet<Node>, outputs: readonly Node[]) {
  const plan = (order: readonly GeneratedKernel[]) => {
    const values = liveness(order, outputs);
    return { kernels: order, values, memory: planMemory(values) };
  };
  const depthFirst = plan(kernels);
  const listed = plan(orderForMemory(kernels, realized, outputs));
  debug(1, () => `memory plan: ${depthFirst.memory.pooledBytes} bytes pooled in depth-first order, ${listed.memory.pooledBytes} in list order`);
  return listed.memory.pooledBytes < depthFirst.memory.pooledBytes ? listed : depthFirst;
}

/**
 * Take the donations that are safe in this kernel order: the output is written by a kernel
 * (not an input passed through) no earlier than the last kernel reading the input, and if that
 * is the same kernel, one reading the input only at the element it writes (it is regenerated
 * to read it through its output binding). The donated outputs leave the pool.
 */
function donated(
  chosen: { kernels: readonly GeneratedKernel[]; values: readonly Value[]; memory: MemoryPlan },
  outputs: readonly Node[],
  donate: ReadonlyMap<number, Node> | undefined,
  inPlace: (kernel: GeneratedKernel, input: Node) => GeneratedKernel,
) {
  const aliases = new Map<Node, Node>();
  if (!donate || donate.size === 0) return { ...chosen, aliases };
  const writer = new Map(chosen.kernels.map((k, i) => [k.plan.root, i] as const));
  const lastRead = new Map<Node, number>();
  chosen.kernels.forEach((k, i) => k.bindings.slice(1).forEach((n) => lastRead.set(n, i)));
  const taken = new Set<Node>();
  for (const [index, input] of donate) {
    const out = outputs[index];
    const w = out ? writer.get(out) : undefined;
    if (!out || w === undefined || taken.has(input) || aliases.has(out)) continue;
    if (out.dtype !== input.dtype || !sameDims(out.shape, input.shape)) continue;
    const last = lastRead.get(input) ?? -1;
    if (last > w || (last === w && !readsInPlace(chosen.kernels[w]!, input))) continue;
    aliases.set(out, input);
    taken.add(input);
  }
  const aliased = new Set([...aliases.keys()].map((n) => n.id));
  const values = chosen.values.filter((v) => !aliased.has(v.id));
  // A writer that also reads the input reads it through its output binding.
  const kernels = chosen.kernels.map((k) => {
    const input = aliases.get(k.plan.root);
    return input && k.bindings.includes(input) ? inPlace(k, input) : k;
  });
  return { kernels, values, memory: planMemory(values), aliases };
}

const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Does the kernel read `input` only at the element it writes? So in an elementwise kernel whose
 * every direct use of `input` is an elementwise op of the output's shape, and in a matmul or
 * conv whose epilogue alone reads it that way (`w − η·(xᵀδ)`: each thread reads w where it
 * writes, after its accumulator is done).
 */
function readsInPlace(kernel: GeneratedKernel, input: Node): boolean {
  const { plan } = kernel;
  const epilogue = new Set(plan.epilogue ?? []);
  if (plan.kind !== "elementwise" && plan.kind !== "dot" && plan.kind !== "conv") return false;
  return [plan.root, ...kernel.fused]
    .filter((n) => n.inputs.includes(input))
    .every((n) => (plan.kind === "elementwise" || epilogue.has(n)) && opDef(n.op).role === "elementwise" && sameDims(n.shape, plan.root.shape));
}

function liveness(kernels: readonly GeneratedKernel[], outputs: readonly Node[]): Value[] {
  const lastUse = new Map<Node, number>();
  kernels.forEach((k, i) => k.bindings.slice(1).forEach((n) => lastUse.set(n, i)));
  const outputSet = new Set(outputs);
  return kernels.map((k, i) => ({
    id: k.plan.root.id,
    bytes: bytesOf(k.plan.root),
    def: i,
    lastUse: outputSet.has(k.plan.root) ? Infinity : (lastUse.get(k.plan.root) ?? i),
  }));
}
