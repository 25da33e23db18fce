/**
 * @file Fusion: the one place that decides which nodes get a buffer of their own ("realized")
 * and which are computed inside the kernel of a node that reads them. Each realized node is
 * one kernel:
 *   elementwise  elementwise and movement ops fused into one pass over the output
 *   row          reductions with their producers and consumers (softmax, layerNorm: one kernel):
 *                the reductions become phases over each row, the result is written per element
 *   dot, conv    a contraction with its epilogue (bias, activation, residual) fused, and for a
 *                dot, its left operand's per-row reductions as a prologue
 *   attention    softmax(f(QKᵀ))·V, the scores and weights never stored
 * Movement ops never cost a kernel: they are index arithmetic where their value is read.
 *
 * The decisions are an ordered list of named rules (`FUSION_RULES`), each with its reason.
 * Node rules run in turn over the graph; kernel rules then look at the kernels that gives,
 * and cut (realize) values a kernel could not compute or bind; the node rules then run again
 * with those values kept, to a fixpoint. Codegen takes the result as it is.
 */
import { topoSort, type Node } from "../dsl/node.js";
import { opDef } from "../dsl/ops/registry.js";
import { sameShape } from "../dsl/core.js";
import { contiguousView, expandView, isContiguous, permuteView, sliceView, type View } from "../dsl/host/view.js";
import { kernelReads } from "./reads.js";
import { debug } from "./debug.js";
import type { AttentionMatch, KernelPlan, KernelShape } from "./plan.js";

export type { AttentionMatch, AttentionPlan, ConvPlan, DotPlan, ElementwisePlan, KernelKind, KernelPlan, KernelShape, RowPlan } from "./plan.js";

export interface Schedule {
  readonly kernels: readonly KernelPlan[];
  /** Every node that lives in a buffer: sources read from memory, kernel outputs. */
  readonly realized: ReadonlySet<Node>;
  readonly order: readonly Node[];
}

// ------------------------------------------------------------------ the rule engine

/** What the node rules decide, as they go. */
interface Fusion {
  readonly order: readonly Node[];
  readonly consumers: ReadonlyMap<Node, readonly Node[]>;
  readonly outputs: ReadonlySet<Node>;
  /** Values a kernel rule cut: they keep their buffer whatever the node rules say. */
  readonly kept: ReadonlySet<Node>;
  readonly realized: Set<Node>;
  readonly attention: Map<Node, AttentionMatch>;
  readonly inAttention: Set<Node>;
  /** Epilogue end → the contraction whose kernel writes it, and the nodes between. */
  readonly epilogues: Map<Node, { readonly contraction: Node; readonly nodes: readonly Node[] }>;
  readonly prologues: Map<Node, { readonly base: Node; readonly phases: readonly Node[] }>;
  readonly inPrologue: Set<Node>;
  /** Reduction → the realized node whose row kernel computes it as a phase. */
  readonly phaseOf: Map<Node, Node>;
  readonly rootAxes: Map<Node, string>;
}

/** A rule on one node: the pattern it looks for, and what fusing it means for the schedule. */
export interface NodeRule {
  readonly scope: "node";
  readonly name: string;
  readonly reason: string;
  /** Topological order, or reversed (consumers before producers). */
  readonly direction: "forward" | "backward";
  /** Applies the rule at `node`; true if it fired. */
  readonly apply: (node: Node, s: Fusion) => boolean;
}

/** A rule on one kernel: the values to give a buffer (cut out of it) for it to be legal. */
export interface KernelRule {
  readonly scope: "kernel";
  readonly name: string;
  readonly reason: string;
  readonly cut: (kernel: Candidate, s: Fusion, limits: ScheduleLimits) => readonly Node[];
}

/** A kernel the node rules gave, with the first value it could not compute where it reads it. */
type Candidate = KernelPlan & { readonly conflict?: Node };

export type FusionRule = NodeRule | KernelRule;

export interface ScheduleLimits {
  /** The adapter's maxStorageBuffersPerShaderStage. */
  readonly maxStorageBuffers: number;
}

const roleOf = (n: Node) => opDef(n.op).role;
const isBufferSource = (n: Node) => n.op === "input" || n.op === "constant";
const isReduce = (n: Node): n is Node<"reduceSum" | "reduceMax"> => roleOf(n) === "reduce";
const isContraction = (n: Node) => roleOf(n) === "contraction";
const axesOf = (r: Node) => (r.is("reduceSum") || r.is("reduceMax") ? r.params.axes : []);
const free = (n: Node, s: Fusion) => !s.outputs.has(n) && !s.kept.has(n);

const nodeRule = (name: string, reason: string, direction: NodeRule["direction"], apply: NodeRule["apply"]): NodeRule => ({ scope: "node", name, reason, direction, apply });
const kernelRule = (name: string, reason: string, cut: KernelRule["cut"]): KernelRule => ({ scope: "kernel", name, reason, cut });

// ------------------------------------------------------------------ the rules

const ownBuffer = nodeRule("own-buffer", "sources, outputs, reductions, contractions and cut values start with a buffer; later rules fuse them", "forward", (n, s) => {
  if (!(isBufferSource(n) || isContraction(n) || isReduce(n) || s.outputs.has(n) || s.kept.has(n))) return false;
  s.realized.add(n);
  return true;
});

const attention = nodeRule("attention", "softmax(f(QKᵀ))V is an attention kernel", "forward", (n, s) => {
  const m = matchAttention(n, s);
  if (!m) return false;
  s.attention.set(n, m);
  for (const a of m.absorbed) {
    s.realized.delete(a);
    s.inAttention.add(a);
  }
  return true;
});

const epilogue = nodeRule("epilogue", "elementwise ops a contraction drains into one node are computed by its kernel (bias, activation, residual)", "forward", (c, s) => {
  if (!isContraction(c) || !free(c, s) || s.inAttention.has(c) || s.attention.has(c)) return false;
  const found = epilogueOf(c, s);
  if (!found || s.epilogues.has(found.end) || isContraction(found.end)) return false;
  s.realized.delete(c);
  s.realized.add(found.end);
  s.epilogues.set(found.end, { contraction: c, nodes: found.nodes });
  return true;
});

const prologue = nodeRule("prologue", "per-row reductions of a matmul's left operand (layerNorm before a projection) are computed by its workgroups", "forward", (c, s) => {
  if (c.op !== "dot" || s.inAttention.has(c) || s.attention.has(c)) return false;
  const found = prologueOf(c, s);
  if (!found) return false;
  s.prologues.set(c, found);
  for (const r of found.phases) {
    s.realized.delete(r);
    s.inPrologue.add(r);
  }
  return true;
});

const reductionOperand = nodeRule("realize-reduction-operand", "realize a reduction that feeds a contraction (under its views, still read in place)", "forward", (c, s) => {
  if (!isContraction(c) || s.inAttention.has(c)) return false;
  let fired = false;
  for (const operand of s.attention.has(c) || s.prologues.has(c) ? c.inputs.slice(1) : c.inputs) {
    if (!regionHas(operand, s.realized, isReduce)) continue;
    let base = operand;
    while (roleOf(base) === "movement" && base.op !== "concat" && !s.realized.has(base)) base = base.inputs[0] ?? base;
    s.realized.add(base);
    fired = true;
  }
  return fired;
});

const rowPhase = nodeRule("row-phase", "a reduction whose uses end in one node of its index space (and reduced axes) is a phase of that node's row kernel", "backward", (r, s) => {
  if (!isReduce(r) || !free(r, s) || s.inAttention.has(r) || s.inPrologue.has(r)) return false;
  const ends = realizedEnds(r, s);
  const [end] = ends;
  if (ends.size !== 1 || !end) return false;
  if (isContraction(end) || s.epilogues.has(end) || isBufferSource(end) || s.attention.has(end)) return false;
  const space = isReduce(end) ? end.inputs[0]?.shape : end.shape;
  if (!space || !sameShape(space, r.inputs[0]?.shape ?? [])) return false;
  const axes = JSON.stringify(r.params.axes);
  const rootKey = isReduce(end) ? JSON.stringify(end.params.axes) : s.rootAxes.get(end);
  if (rootKey !== undefined && rootKey !== axes) return false;
  s.rootAxes.set(end, axes);
  s.realized.delete(r);
  s.phaseOf.set(r, end);
  return true;
});

const computable = kernelRule("computable", "realize a value a kernel cannot compute where it reads it (a reduction at another row, the scores at another key)", ({ conflict }) =>
  conflict ? [conflict] : [],
);

const storageLimit = kernelRule("storage-limit", "realize the widest operand when a kernel would bind more storage buffers than the adapter has", (k, s, { maxStorageBuffers }) =>
  k.reads.length + 1 > maxStorageBuffers ? splitPoints(k, s.realized, maxStorageBuffers) : [],
);

/**
 * The matmul templates for CPU adapters give each SIMD lane its own columns of B, so for one
 * k step the lanes read B[k, n…n+63]. When B is a transposed view (a linear layer's [out, in]
 * weight read as [in, out]), those 64 reads are a whole row of the base apart: 64 streams at
 * a stride of k floats, which for k = 3072 (12 KiB, a multiple of 4 KiB) all land in the same
 * L1 set. ViT-B's fc2 (1576×3072 · 3072×768) ran at 19 GFLOP/s so and at 38 with B row-major
 * (`BT=1 SIZES=1576x3072x768 npx tsx bench/tilings.ts`). Copying B into row-major order first
 * costs one pass over the weight (4 ms for fc2's 9 MiB).
 */
export const PACK_MIN_K = 1024;
const packOperand = nodeRule("pack-transposed-operand", `give a dot's right operand its own row-major buffer when it is a view that reads k contiguously and n strided, k ≥ ${PACK_MIN_K}`, "forward", (c, s) => {
  if (c.op !== "dot" || s.inAttention.has(c)) return false;
  const b = c.inputs[1];
  const r = c.shape.length;
  const k = b?.shape[r - 2] ?? 0;
  if (!b || s.realized.has(b) || k < PACK_MIN_K) return false;
  const view = operandView(b, s.realized);
  if (!view || view.strides[r - 2] !== 1 || (view.strides[r - 1] ?? 0) <= 1) return false;
  s.realized.add(b);
  return true;
});

/**
 * The strides with which `operand` reads the realized buffer under its chain of views, or
 * undefined when the chain is not a strided view of one buffer (a pad, a concat, arithmetic).
 */
function operandView(operand: Node, realized: ReadonlySet<Node>): View | undefined {
  const chain: Node[] = [];
  let base = operand;
  while (!realized.has(base) && !isBufferSource(base)) {
    if (!["permute", "reshape", "expand", "slice"].includes(base.op) || !base.inputs[0]) return undefined;
    chain.push(base);
    base = base.inputs[0];
  }
  let view = contiguousView(base.shape);
  for (const n of chain.reverse()) {
    if (n.is("permute")) view = permuteView(view, n.params.perm);
    else if (n.is("expand")) view = expandView(view, n.shape);
    else if (n.is("slice")) view = sliceView(view, n.params.starts, n.params.steps, n.shape);
    else if (isContiguous(view)) view = contiguousView(n.shape, view.offset);
    else return undefined;
  }
  return view;
}

/** Every rule, in the order they run; each adapter's rule set is a subset of it, in this order. */
export const RULES: readonly FusionRule[] = [ownBuffer, attention, epilogue, prologue, reductionOperand, rowPhase, packOperand, computable, storageLimit];

/**
 * GPUs: every fusion. The workgroup-memory matmul stages B through shared memory, so a
 * transposed operand costs it nothing and is not packed.
 */
export const FUSION_RULES: readonly FusionRule[] = RULES.filter((r) => r !== packOperand);

/**
 * CPU adapters (lavapipe, SwiftShader): fewer dispatches is not faster. The matmul template
 * beats the attention kernel and a layerNorm row kernel plus the matmul beats the prologue
 * matmul, so those two rules are left out; a transposed right operand with a long k is packed.
 */
export const CPU_ADAPTER_RULES: readonly FusionRule[] = RULES.filter((r) => r !== attention && r !== prologue);

// ------------------------------------------------------------------ running them

export function schedule(outputs: readonly Node[], rules: readonly FusionRule[] = FUSION_RULES, limits: ScheduleLimits = { maxStorageBuffers: 8 }): Schedule {
  const order = topoSort(outputs);
  const consumers = new Map<Node, Node[]>();
  for (const n of order) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const kept = new Set<Node>();
  const nodeRules = rules.filter((r): r is NodeRule => r.scope === "node");
  const kernelRules = rules.filter((r): r is KernelRule => r.scope === "kernel");
  // Each round is cheap (no WGSL); a training step settles in two.
  for (let round = 1; ; round++) {
    const s: Fusion = {
      order, consumers, outputs: new Set(outputs), kept,
      realized: new Set(), attention: new Map(), inAttention: new Set(), epilogues: new Map(),
      prologues: new Map(), inPrologue: new Set(), phaseOf: new Map(), rootAxes: new Map(),
    };
    for (const rule of nodeRules) for (const n of rule.direction === "forward" ? order : [...order].reverse()) rule.apply(n, s);
    const kernels = plans(s);
    const before = kept.size;
    for (const rule of kernelRules) {
      for (const k of kernels) for (const n of rule.cut(k, s, limits)) kept.add(n);
      if (kept.size === before) continue;
      debug(2, () => `schedule round ${round}: rule ${rule.name} gave ${kept.size - before} value(s) a buffer`);
      break;
    }
    if (kept.size === before) return { kernels: kernels.map(({ conflict: _, ...k }) => k), realized: s.realized, order };
    if (round > order.length) throw new Error("schedule: the kernel rules did not settle");
  }
}

/** The kernels the node rules decided, with what each reads. */
function plans(s: Fusion): Candidate[] {
  const phasesOf = new Map<Node, Node[]>();
  for (const r of s.order) {
    const end = s.phaseOf.get(r);
    if (end) phasesOf.set(end, [...(phasesOf.get(end) ?? []), r]);
  }
  const shapes: KernelShape[] = [];
  for (const n of s.order) {
    if (!s.realized.has(n) || isBufferSource(n)) continue;
    const att = s.attention.get(n);
    const contraction = s.epilogues.get(n)?.contraction ?? (isContraction(n) ? n : undefined);
    const phases = [...(phasesOf.get(n) ?? []), ...(isReduce(n) ? [n] : [])];
    const [first] = phases;
    if (att) shapes.push({ kind: "attention", root: n, reductions: [], attention: att });
    else if (contraction?.is("dot")) {
      const pro = s.prologues.get(contraction);
      const epilogue = s.epilogues.get(n)?.nodes ?? [];
      shapes.push(pro ? { kind: "dot", root: n, reductions: pro.phases, contraction, epilogue, prologueBase: pro.base } : { kind: "dot", root: n, reductions: [], contraction, epilogue });
    } else if (contraction?.is("conv")) shapes.push({ kind: "conv", root: n, reductions: [], contraction, epilogue: s.epilogues.get(n)?.nodes ?? [] });
    else if (first) shapes.push({ kind: "row", root: n, reductions: phases, axes: axesOf(first) });
    else shapes.push({ kind: "elementwise", root: n, reductions: [] });
  }
  return shapes.map((k) => ({ ...k, ...kernelReads(k, s.realized) }));
}

// ------------------------------------------------------------------ patterns

/**
 * A dot whose left operand is (a reshape of) an elementwise value X computed from reductions
 * over X's last axis, each read back only through a broadcast along that axis (so a reduction
 * is always read for the same row), with nothing outside the operand using them.
 */
function prologueOf(c: Node, s: Fusion): { base: Node; phases: Node[] } | undefined {
  const { order, consumers, realized, outputs } = s;
  const a = c.inputs[0];
  if (!a) return undefined;
  const chain = new Set<Node>();
  let base = a;
  while (base.op === "reshape" && !realized.has(base) && base.inputs[0]) {
    chain.add(base);
    base = base.inputs[0];
  }
  const last = base.shape.length - 1;
  if (realized.has(base) || roleOf(base) !== "elementwise" || base.shape[last] !== a.shape[a.shape.length - 1]) return undefined;
  // The operand's region: everything computed for it, reductions included.
  const region = new Set<Node>();
  const phases: Node[] = [];
  const stack = [base];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (region.has(n)) continue;
    if (isReduce(n)) {
      phases.push(n);
    } else if (realized.has(n) || isBufferSource(n) || isContraction(n)) continue;
    region.add(n);
    stack.push(...n.inputs);
  }
  if (phases.length === 0) return undefined;
  const rowShape = base.shape.map((n, d) => (d === last ? 1 : n));
  for (const r of phases) {
    const axes = axesOf(r);
    if (!free(r, s) || axes.length !== 1 || axes[0] !== last || !sameShape(r.inputs[0]?.shape ?? [], base.shape)) return undefined;
  }
  // Row alignment: per-row values (reductions and math on them, shaped like a row) reach the
  // operand only through an expand along the last axis; nothing else moves computed values.
  // Values that do not depend on a reduction (constants, parameter views) may be shared with
  // other kernels: they are recomputed here. Per-row values must stay inside the operand.
  const perRow = new Set<Node>(phases);
  for (const n of order) if (region.has(n) && n.inputs.some((i) => perRow.has(i))) perRow.add(n);
  for (const n of region) {
    if (n === base) continue;
    if (perRow.has(n) && (outputs.has(n) || (consumers.get(n) ?? []).some((u) => !region.has(u)))) return undefined;
    if (roleOf(n) !== "movement" || !n.inputs.some((i) => perRow.has(i))) continue;
    if (n.op !== "expand" || !sameShape(n.inputs[0]?.shape ?? [], rowShape) || !sameShape(n.shape, base.shape)) return undefined;
  }
  if ((consumers.get(base) ?? []).some((u) => !chain.has(u) && u !== c) || outputs.has(base)) return undefined;
  return { base, phases: order.filter((n) => phases.includes(n)) };
}

/**
 * The largest set of elementwise/reshape nodes fed by `c` that drains into a single end node
 * (every member but the end is used only inside the set). Trailing reshapes are left out, so
 * the end is an elementwise op and the reshape stays a view on the kernel's output.
 */
function epilogueOf(c: Node, s: Fusion): { end: Node; nodes: Node[] } | undefined {
  const { order, consumers, realized, outputs } = s;
  const rides = (n: Node) => (roleOf(n) === "elementwise" || n.op === "reshape") && (!realized.has(n) || outputs.has(n));
  const reach = new Set<Node>([c]);
  const region: Node[] = [];
  for (const n of order) {
    if (n === c || !rides(n) || !n.inputs.some((i) => reach.has(i))) continue;
    reach.add(n);
    region.push(n);
  }
  for (let k = region.length - 1; k >= 0; k--) {
    const end = region[k];
    if (!end || end.op === "reshape") continue;
    // The candidate set: members that feed `end`.
    const members = new Set<Node>([end]);
    for (const n of region.slice(0, k).reverse()) if ((consumers.get(n) ?? []).some((u) => members.has(u))) members.add(n);
    const closed = [c, ...members].every((n) => n === end || (!outputs.has(n) && (consumers.get(n) ?? []).every((u) => members.has(u))));
    if (closed) return { end, nodes: [...members] };
  }
  return undefined;
}

/** Does the unrealized region feeding `node` (itself included) contain a node matching `test`? */
function regionHas(node: Node, realized: ReadonlySet<Node>, test: (n: Node) => boolean): boolean {
  const seen = new Set<Node>();
  const stack = [node];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (seen.has(n)) continue;
    seen.add(n);
    if (test(n)) return true;
    if (realized.has(n) && n !== node) continue;
    stack.push(...n.inputs);
  }
  return false;
}

/** The realized nodes that the value of `r` flows into through unrealized nodes. */
function realizedEnds(r: Node, s: Fusion): Set<Node> {
  const ends = new Set<Node>();
  const seen = new Set<Node>();
  const stack = [...(s.consumers.get(r) ?? [])];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (seen.has(n)) continue;
    seen.add(n);
    if (s.realized.has(n)) ends.add(n);
    else stack.push(...(s.consumers.get(n) ?? []));
  }
  return ends;
}

/**
 * Match out = dot(w, V) with w = e / Σe, e = exp(T − max T) over the last axis, and T an
 * elementwise function of exactly one S = dot(A, B). Every intermediate must be used only
 * inside the pattern (a gradient graph that keeps the weights for its backward pass does not
 * match and falls back to separate kernels).
 */
function matchAttention(out: Node, s: Fusion): AttentionMatch | undefined {
  const lastAxisReduce = (n: Node | undefined, op: "reduceSum" | "reduceMax"): n is Node => {
    if (n === undefined || n.op !== op) return false;
    const axes = axesOf(n);
    return axes.length === 1 && axes[0] === n.shape.length - 1;
  };
  const expanded = (n: Node | undefined) => (n?.op === "expand" ? n.inputs[0] : undefined);
  const [w, values] = out.inputs;
  if (out.op !== "dot" || w?.op !== "div" || !values) return undefined;
  const [e, sumB] = w.inputs;
  const rsum = expanded(sumB);
  if (!e || !sumB || !lastAxisReduce(rsum, "reduceSum") || rsum.inputs[0] !== e || e.op !== "exp") return undefined;
  const shifted = e.inputs[0];
  if (shifted?.op !== "sub") return undefined;
  const [logits, maxB] = shifted.inputs;
  const rmax = expanded(maxB);
  if (!logits || !maxB || !lastAxisReduce(rmax, "reduceMax") || rmax.inputs[0] !== logits) return undefined;
  // Follow elementwise ops from the logits to the one score product.
  const region: Node[] = [];
  let scores: Node<"dot"> | undefined;
  const stack = [logits];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (region.includes(n)) continue;
    if (n.is("dot")) {
      if (scores && scores !== n) return undefined;
      scores = n;
      continue;
    }
    if (roleOf(n) !== "elementwise") continue;
    region.push(n);
    stack.push(...n.inputs.filter((i) => i.op === "dot" || (roleOf(i) === "elementwise" && sameShape(i.shape, n.shape))));
  }
  if (!scores || !sameShape(scores.shape, logits.shape)) return undefined;
  const absorbed = [scores, ...region, rmax, maxB, shifted, e, rsum, sumB, w];
  const inside = new Set([...absorbed, out]);
  for (const n of absorbed) {
    if (!free(n, s)) return undefined;
    if ((s.consumers.get(n) ?? []).some((c) => !inside.has(c))) return undefined;
  }
  return { out, scores, logits, values, absorbed };
}

/**
 * Values to give a buffer so a kernel that reads too many buffers fits the adapter's limit.
 * Walking the fused expression from its leaves, a node that would read more than `limit − 1`
 * buffers gets its largest fused operands cut (realized: each then reads few enough itself),
 * so one round makes the kernel fit — a kernel summing 200 gradient norms splits at once,
 * not one round per input. Falls back to the unrealized inputs of the root (and contraction,
 * and reductions).
 */
function splitPoints(kernel: KernelPlan, realized: ReadonlySet<Node>, limit: number): Node[] {
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
  const width = (n: Node) => reads.get(n)?.size ?? 0;
  const visit = (n: Node, seen: Set<Node>) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const i of operands(n)) if (inside(i)) visit(i, seen);
    let r = readsOf(n);
    // Cut the widest operands first until this node fits.
    const widest = [...new Set(operands(n).filter((i) => inside(i) && !cut.has(i)))].sort((x, y) => width(y) - width(x));
    for (let next = widest.shift(); r.size > limit - 1 && next; next = widest.shift()) {
      cut.add(next);
      r = readsOf(n);
    }
    reads.set(n, r);
  };
  const seen = new Set<Node>();
  for (const n of [...kernel.fused, kernel.root]) visit(n, seen);
  if (cut.size > 0) return [...cut];
  const candidates = [kernel.root, ...(kernel.contraction ? [kernel.contraction] : []), ...kernel.reductions].flatMap((n) => n.inputs);
  const found = [...new Set(candidates.filter((n) => !realized.has(n) && !inline(n)))];
  if (found.length === 0) throw new Error(`compile: a ${kernel.kind} kernel writing ${kernel.root.op}#${kernel.root.id} needs ${kernel.reads.length + 1} storage buffers; the adapter allows ${limit}`);
  return found;
}
