/**
 * @file Fusion: which nodes get a buffer of their own ("realized") and which are computed
 * inside the kernel of a node that reads them. Each realized node is one kernel:
 *   elementwise  elementwise and movement ops fused into one pass over the output
 *   row          reductions with their producers and consumers (softmax, layerNorm: one kernel):
 *                the reductions become phases over each row, the result is written per element
 *   dot, conv    a contraction with its epilogue (bias, activation, residual) fused
 * Movement ops never cost a kernel: they are index arithmetic where their value is read.
 */
import { topoSort, type Node } from "../dsl/node.js";
import { opDef } from "../dsl/ops/registry.js";
import { sameShape } from "../dsl/core.js";

export type KernelKind = "elementwise" | "row" | "dot" | "conv" | "attention";

export interface KernelPlan {
  readonly kind: KernelKind;
  /** The node this kernel writes. */
  readonly root: Node;
  /** Row kernels: the reductions computed as phases, in dependency order. */
  readonly reductions: readonly Node[];
  /** Row kernels: the reduced axes, in the index space of the reductions' inputs. */
  readonly axes: readonly number[];
  /** Contraction kernels: the dot or conv whose accumulator the epilogue reads. */
  readonly contraction?: Node;
  /** Contraction kernels: the nodes from the contraction to the root (elementwise, reshape). */
  readonly epilogue?: readonly Node[];
  /** Dot kernels with a prologue: the left operand's value before its reshapes (its rows are
   *  the matmul's rows); `reductions` then lists the per-row reductions it needs. */
  readonly prologueBase?: Node;
  /** Attention kernels: the pieces of softmax(S)·V that the kernel computes on line. */
  readonly attention?: AttentionMatch;
  /** An input whose buffer the kernel writes its output into (donated; see compile.ts). */
  readonly inPlace?: Node;
}

/**
 * softmax(T)·V where T is an elementwise function of S = A·B (scale, mask): the pattern a
 * flash-style kernel computes with an online softmax, never storing S or the weights.
 */
export interface AttentionMatch {
  /** The product with V: the kernel's root. */
  readonly out: Node;
  readonly scores: Node;
  /** The softmax input (S itself, or S with a mask added). */
  readonly logits: Node;
  readonly values: Node;
  readonly absorbed: readonly Node[];
}

export interface Schedule {
  readonly kernels: readonly KernelPlan[];
  /** Every node that lives in a buffer: sources read from memory, kernel outputs. */
  readonly realized: ReadonlySet<Node>;
  readonly order: readonly Node[];
}

const roleOf = (n: Node) => opDef(n.op).role;
const isBufferSource = (n: Node) => n.op === "input" || n.op === "constant";
const isReduce = (n: Node) => roleOf(n) === "reduce";
const isContraction = (n: Node) => roleOf(n) === "contraction";

export interface ScheduleOptions {
  /** Nodes that must get a buffer (e.g. after a kernel exceeded the storage-buffer limit). */
  readonly forceRealize?: ReadonlySet<Node>;
  /** Turn off the flash-attention pattern (for comparisons). */
  readonly noAttention?: boolean;
  /** Turn off normalisation prologues in matmuls. */
  readonly noPrologue?: boolean;
}

export function schedule(outputs: readonly Node[], options: ScheduleOptions = {}): Schedule {
  const order = topoSort(outputs);
  const consumers = new Map<Node, Node[]>();
  for (const n of order) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const outputSet = new Set(outputs);
  const realized = new Set<Node>();
  for (const n of order) {
    if (isBufferSource(n) || isContraction(n) || isReduce(n) || outputSet.has(n) || options.forceRealize?.has(n)) realized.add(n);
  }
  // Attention first: its softmax and score product are computed inside one kernel.
  const attention = new Map<Node, AttentionMatch>();
  const inAttention = new Set<Node>();
  for (const n of order) {
    const m = options.noAttention ? undefined : matchAttention(n, consumers, outputSet, options.forceRealize);
    if (!m) continue;
    attention.set(n, m);
    for (const a of m.absorbed) {
      realized.delete(a);
      inAttention.add(a);
    }
  }
  // Operands of contractions: a view of a buffer or cheap elementwise math is read in place,
  // but anything holding a reduction or contraction is computed once, into a buffer.
  // Epilogues: elementwise ops (and reshapes, which keep the row-major order) downstream of a
  // contraction are computed in its kernel when they drain into one node: bias, activation,
  // residual. The epilogue is every node between the contraction and that end.
  const absorbedContraction = new Map<Node, Node>();
  const epilogues = new Map<Node, Node[]>();
  for (const c of order.filter(isContraction)) {
    if (outputSet.has(c) || options.forceRealize?.has(c) || inAttention.has(c) || attention.has(c)) continue;
    const found = epilogueOf(c, order, consumers, realized, outputSet);
    if (!found || absorbedContraction.has(found.end) || isContraction(found.end)) continue;
    realized.delete(c);
    realized.add(found.end);
    absorbedContraction.set(found.end, c);
    epilogues.set(found.end, found.nodes);
  }

  // Normalisation prologues: reductions over the rows of a matmul's left operand (layerNorm
  // before a projection) are computed by the matmul's workgroups, sharing each row's result.
  const prologues = new Map<Node, { base: Node; phases: Node[] }>();
  const inPrologue = new Set<Node>();
  for (const c of order) {
    if (c.op !== "dot" || inAttention.has(c) || attention.has(c) || options.noPrologue) continue;
    const found = prologueOf(c, order, consumers, realized, outputSet, options.forceRealize);
    if (!found) continue;
    prologues.set(c, found);
    for (const r of found.phases) {
      realized.delete(r);
      inPrologue.add(r);
    }
  }
  // The buffer goes under any views, so a reshape or transpose is still read in place.
  for (const c of order.filter(isContraction)) {
    if (inAttention.has(c)) continue;
    for (const operand of attention.has(c) || prologues.has(c) ? c.inputs.slice(1) : c.inputs) {
      if (!regionHas(operand, realized, isReduce)) continue;
      let base = operand;
      while (roleOf(base) === "movement" && base.op !== "concat" && !realized.has(base)) base = base.inputs[0]!;
      realized.add(base);
    }
  }

  // Row fusion: a reduction whose every use ends in one realized node of the same index space
  // (and the same reduced axes as the others there) becomes a phase of that node's kernel.
  const absorbedBy = new Map<Node, Node>();
  const rootAxes = new Map<Node, string>();
  for (const r of [...order].reverse()) {
    if (!isReduce(r) || outputSet.has(r) || options.forceRealize?.has(r) || inAttention.has(r) || inPrologue.has(r)) continue;
    const ends = realizedEnds(r, consumers, realized);
    if (ends.size !== 1) continue;
    const [end] = [...ends] as [Node];
    if (isContraction(end) || absorbedContraction.has(end) || isBufferSource(end) || attention.has(end)) continue;
    const space = isReduce(end) ? end.inputs[0]!.shape : end.shape;
    if (!sameShape(space, r.inputs[0]!.shape)) continue;
    const axes = JSON.stringify((r as Node<"reduceSum">).params.axes);
    const rootKey = isReduce(end) ? JSON.stringify((end as Node<"reduceSum">).params.axes) : rootAxes.get(end);
    if (rootKey !== undefined && rootKey !== axes) continue;
    rootAxes.set(end, axes);
    realized.delete(r);
    absorbedBy.set(r, end);
  }

  const kernels: KernelPlan[] = [];
  for (const n of order) {
    if (!realized.has(n) || isBufferSource(n)) continue;
    const att = attention.get(n);
    if (att) {
      kernels.push({ kind: "attention", root: n, reductions: [], axes: [], attention: att });
      continue;
    }
    const contraction = absorbedContraction.get(n) ?? (isContraction(n) ? n : undefined);
    if (contraction) {
      const epilogue = epilogues.get(n) ?? [];
      const pro = prologues.get(contraction);
      kernels.push({
        kind: contraction.op === "dot" ? "dot" : "conv",
        root: n,
        reductions: pro?.phases ?? [],
        axes: pro ? [pro.base.shape.length - 1] : [],
        contraction,
        epilogue,
        ...(pro ? { prologueBase: pro.base } : {}),
      });
      continue;
    }
    const phases = order.filter((r) => absorbedBy.get(r) === n);
    if (isReduce(n)) phases.push(n);
    if (phases.length > 0) {
      kernels.push({ kind: "row", root: n, reductions: phases, axes: (phases[0] as Node<"reduceSum">).params.axes });
    } else {
      kernels.push({ kind: "elementwise", root: n, reductions: [], axes: [] });
    }
  }
  return { kernels, realized, order };
}

/**
 * A dot whose left operand is (a reshape of) an elementwise value X computed from reductions
 * over X's last axis, each read back only through a broadcast along that axis (so a reduction
 * is always read for the same row), with nothing outside the operand using them.
 */
function prologueOf(
  c: Node,
  order: readonly Node[],
  consumers: ReadonlyMap<Node, Node[]>,
  realized: ReadonlySet<Node>,
  outputs: ReadonlySet<Node>,
  forced?: ReadonlySet<Node>,
): { base: Node; phases: Node[] } | undefined {
  const a = c.inputs[0]!;
  const chain = new Set<Node>();
  let base = a;
  while (base.op === "reshape" && !realized.has(base)) {
    chain.add(base);
    base = base.inputs[0]!;
  }
  const last = base.shape.length - 1;
  if (realized.has(base) || roleOf(base) !== "elementwise" || base.shape[last] !== a.shape[a.shape.length - 1]) return undefined;
  // The operand's region: everything computed for it, reductions included.
  const region = new Set<Node>();
  const phases: Node[] = [];
  const stack = [base];
  while (stack.length > 0) {
    const n = stack.pop()!;
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
    const axes = (r as Node<"reduceSum">).params.axes;
    if (outputs.has(r) || forced?.has(r) || axes.length !== 1 || axes[0] !== last || !sameShape(r.inputs[0]!.shape, base.shape)) return undefined;
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
    if (n.op !== "expand" || !sameShape(n.inputs[0]!.shape, rowShape) || !sameShape(n.shape, base.shape)) return undefined;
  }
  if ((consumers.get(base) ?? []).some((u) => !chain.has(u) && u !== c) || outputs.has(base)) return undefined;
  return { base, phases: order.filter((n) => phases.includes(n)) };
}

/**
 * The largest set of elementwise/reshape nodes fed by `c` that drains into a single end node
 * (every member but the end is used only inside the set). Trailing reshapes are left out, so
 * the end is an elementwise op and the reshape stays a view on the kernel's output.
 */
function epilogueOf(
  c: Node,
  order: readonly Node[],
  consumers: ReadonlyMap<Node, Node[]>,
  realized: ReadonlySet<Node>,
  outputs: ReadonlySet<Node>,
): { end: Node; nodes: Node[] } | undefined {
  const rides = (n: Node) => (roleOf(n) === "elementwise" || n.op === "reshape") && (!realized.has(n) || outputs.has(n));
  const reach = new Set<Node>([c]);
  const region: Node[] = [];
  for (const n of order) {
    if (n === c || !rides(n) || !n.inputs.some((i) => reach.has(i))) continue;
    reach.add(n);
    region.push(n);
  }
  for (let k = region.length - 1; k >= 0; k--) {
    const end = region[k]!;
    if (end.op === "reshape") continue;
    // The candidate set: members that feed `end`.
    const members = new Set<Node>([end]);
    for (let q = k - 1; q >= 0; q--) {
      const n = region[q]!;
      if ((consumers.get(n) ?? []).some((u) => members.has(u))) members.add(n);
    }
    const closed = [c, ...members].every((n) => n === end || (!outputs.has(n) && (consumers.get(n) ?? []).every((u) => members.has(u))));
    if (closed) return { end, nodes: [...members] };
  }
  return undefined;
}


/** Does the unrealized region feeding `node` (itself included) contain a node matching `test`? */
function regionHas(node: Node, realized: ReadonlySet<Node>, test: (n: Node) => boolean): boolean {
  const seen = new Set<Node>();
  const stack = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (test(n)) return true;
    if (realized.has(n) && n !== node) continue;
    stack.push(...n.inputs);
  }
  return false;
}

/** The realized nodes that the value of `r` flows into through unrealized nodes. */
function realizedEnds(r: Node, consumers: ReadonlyMap<Node, Node[]>, realized: ReadonlySet<Node>): Set<Node> {
  const ends = new Set<Node>();
  const seen = new Set<Node>();
  const stack = [...(consumers.get(r) ?? [])];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (realized.has(n)) ends.add(n);
    else stack.push(...(consumers.get(n) ?? []));
  }
  return ends;
}

/**
 * Match out = dot(w, V) with w = e / Σe, e = exp(T − max T) over the last axis, and T an
 * elementwise function of exactly one S = dot(A, B). Every intermediate must be used only
 * inside the pattern (a gradient graph that keeps the weights for its backward pass does not
 * match and falls back to separate kernels).
 */
function matchAttention(out: Node, consumers: ReadonlyMap<Node, Node[]>, outputs: ReadonlySet<Node>, forced?: ReadonlySet<Node>): AttentionMatch | undefined {
  if (out.op !== "dot") return undefined;
  const [w, values] = out.inputs as [Node, Node];
  const last = (n: Node) => n.shape.length - 1;
  const isLastAxisReduce = (n: Node | undefined, op: "reduceSum" | "reduceMax"): n is Node =>
    n !== undefined && n.op === op && JSON.stringify((n as Node<"reduceSum">).params.axes) === JSON.stringify([last(n)]);
  const expanded = (n: Node | undefined) => (n?.op === "expand" ? n.inputs[0] : undefined);
  if (w.op !== "div") return undefined;
  const [e, sumB] = w.inputs as [Node, Node];
  const rsum = expanded(sumB);
  if (!isLastAxisReduce(rsum, "reduceSum") || rsum.inputs[0] !== e || e.op !== "exp") return undefined;
  const shifted = e.inputs[0]!;
  if (shifted.op !== "sub") return undefined;
  const [logits, maxB] = shifted.inputs as [Node, Node];
  const rmax = expanded(maxB);
  if (!isLastAxisReduce(rmax, "reduceMax") || rmax.inputs[0] !== logits) return undefined;
  // Follow elementwise ops from the logits to the one score product.
  const region: Node[] = [];
  let scores: Node | undefined;
  const stack = [logits];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (region.includes(n)) continue;
    if (n.op === "dot") {
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
    if (outputs.has(n) || forced?.has(n)) return undefined;
    if ((consumers.get(n) ?? []).some((c) => !inside.has(c))) return undefined;
  }
  return { out, scores, logits, values, absorbed };
}
