/**
 * @file Rematerialisation regions: the side table behind gradient checkpointing
 * (`checkpoint` in dsl/transforms). A region is the set of nodes a checkpointed function built
 * that depend on its arguments (its body). The backward pass differentiates a body as one
 * unit: instead of applying VJP rules to the forward nodes (which keeps each one alive until
 * the backward pass reaches it), it rebuilds the body reading every argument through
 * `barrier(argument, cotangent)` and differentiates the copy. Between the passes only the
 * arguments and the values the body closes over stay alive.
 *
 * Nodes are recorded, not the function, so it runs once: its side effects (a dropout-site
 * counter, recorded BatchNorm statistics) happen once, and nodes it built that do not depend
 * on the arguments (dropout keys and masks, parameter views) are shared by the copy, so the
 * recomputation draws the very same masks.
 */
import { Node, topoSort } from "./node.js";

export interface Region {
  readonly args: ReadonlySet<Node>;
}

const regions = new WeakMap<Node, Region>();

/** The region whose body holds `node`, if any. */
export function regionOf(node: Node): Region | undefined {
  return regions.get(node);
}

/**
 * Record as one region the nodes built from `firstId` on (during the function's call) that
 * lead to `outputs` and depend on `args`. An enclosing region, recorded later, takes over the
 * nodes of a nested one (the outermost checkpoint wins).
 */
export function markRegion(args: readonly Node[], outputs: readonly Node[], firstId: number): void {
  const region: Region = { args: new Set(args) };
  const body = new Set<Node>();
  for (const n of topoSort(outputs, (m) => m.id >= firstId)) {
    if (n.inputs.some((i) => region.args.has(i) || body.has(i))) body.add(n);
  }
  for (const n of body) regions.set(n, region);
}

/**
 * The part of `region`'s body that leads to `roots`, rebuilt with each argument read through
 * barrier(argument, after). Returns the copies (inputs before users), original → copy, and
 * barrier → the argument it reads.
 */
export function cloneRegion(region: Region, roots: readonly Node[], after: Node): { order: Node[]; copyOf: Map<Node, Node>; argOf: Map<Node, Node> } {
  const copyOf = new Map<Node, Node>();
  const barriers = new Map<Node, Node>();
  const argOf = new Map<Node, Node>();
  const barrierOf = (arg: Node): Node => {
    let b = barriers.get(arg);
    if (!b) {
      b = new Node("barrier", {}, [arg, after], arg.shape, arg.dtype);
      barriers.set(arg, b);
      argOf.set(b, arg);
    }
    return b;
  };
  const order: Node[] = [];
  for (const n of topoSort(roots, (m) => regions.get(m) === region)) {
    const inputs = n.inputs.map((i) => copyOf.get(i) ?? (region.args.has(i) ? barrierOf(i) : i));
    const copy = new Node(n.op, n.params, inputs, n.shape, n.dtype);
    copyOf.set(n, copy);
    order.push(copy);
  }
  return { order, copyOf, argOf };
}

