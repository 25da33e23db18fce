/**
 * @file Reverse-mode autodiff as a graph-to-graph transform. Walking the graph backwards from
 * the output, each node's VJP rule (written with wgtensor ops) turns its cotangent into its
 * inputs' cotangents; they are summed where a value fans out. The result is an ordinary graph,
 * so gradients can be differentiated again, interpreted, or compiled like any program.
 *
 * A checkpointed body (see remat.ts) is one step of the walk: once every user outside it has
 * passed its cotangents in, the body is rebuilt behind a barrier on one of them and the copy
 * is differentiated, so the backward pass reads recomputed values, never the forward's.
 */
import { Node, topoSort } from "./node.js";
import { registry } from "./ops/registry.js";
import type { VjpContext, VjpResult } from "./ops/def.js";
import * as core from "./core.js";
import { isFloat } from "./dtype.js";
import { Tensor, type AnyTensor } from "./tensor.js";
import { ShapeMismatch } from "./errors.js";
import { cloneRegion, regionOf, type Region } from "./remat.js";

/** A step of the walk: one node, or a checkpointed body as a whole. */
type Unit = Node | Region;

/**
 * Cotangents of `wrt` for the output `out`, seeded with `cotangent` (default: ones, which for a
 * scalar output is the gradient). Inputs the output does not depend on get zeros. Gradients
 * stop at `wrt` nodes: each is treated as an independent variable.
 */
export function backward(out: AnyTensor, wrt: readonly AnyTensor[], cotangent?: AnyTensor): AnyTensor[] {
  const seed = cotangent ?? core.onesLike(out);
  if (!core.sameShape(seed.shape, out.shape)) {
    throw new ShapeMismatch("backward", "the cotangent's shape must equal the output's", [seed.shape, out.shape]);
  }
  const targets = new Set<Node>(wrt.map((t) => t.node));
  const order = topoSort([out.node]);
  // Only nodes on a path from a target to the output carry cotangents.
  const active = new Set<Node>();
  for (const node of order) {
    if (targets.has(node) || node.inputs.some((i) => active.has(i))) active.add(node);
  }
  const cts = new Map<Node, AnyTensor>();
  if (active.has(out.node)) cts.set(out.node, seed);
  const table = registry();
  const accumulate = (input: Node, g: AnyTensor | undefined) => {
    if (!g || !active.has(input) || !isFloat(input.dtype)) return;
    const prev = cts.get(input);
    cts.set(input, prev ? core.add(prev, g) : g);
  };
  const pullback = (node: Node, ct: AnyTensor): VjpResult => {
    const rule = table[node.op].vjp as (ct: AnyTensor, ctx: VjpContext<typeof node.op>) => VjpResult;
    return rule(ct, { inputs: node.inputs.map((n) => new Tensor(n)), out: new Tensor(node), params: node.params as never });
  };

  // A body holding a target is differentiated node by node (its values are what is asked for).
  const unusable = new Set<Region>();
  for (const t of targets) {
    const r = regionOf(t);
    if (r) unusable.add(r);
  }
  const unitOf = (n: Node): Unit => {
    const r = regionOf(n);
    return r && !unusable.has(r) ? r : n;
  };

  const position = new Map<Unit, number>();
  const members = new Map<Region, Node[]>();
  const pending = new Map<Unit, number>();
  order.forEach((node, i) => {
    const unit = unitOf(node);
    position.set(unit, i);
    if (!(unit instanceof Node)) {
      const list = members.get(unit);
      if (list) list.push(node);
      else members.set(unit, [node]);
    }
    for (const input of node.inputs) {
      const u = unitOf(input);
      if (u !== unit) pending.set(u, (pending.get(u) ?? 0) + 1);
    }
  });

  // Units in reverse topological order: the ready one latest in `order` first, which without
  // checkpoints is exactly the reverse of `order`; a body waits for all its outside users.
  const ready = new MaxHeap<Unit>();
  ready.push(position.get(unitOf(out.node))!, unitOf(out.node));
  while (ready.size > 0) {
    const unit = ready.pop();
    let nodes: readonly Node[];
    if (unit instanceof Node) {
      nodes = [unit];
      const ct = cts.get(unit);
      if (ct && !targets.has(unit)) pullback(unit, ct).forEach((g, k) => accumulate(unit.inputs[k]!, g));
    } else {
      nodes = members.get(unit)!;
      differentiateBody(unit, nodes);
    }
    for (const node of nodes) {
      for (const input of node.inputs) {
        const u = unitOf(input);
        if (u === unit) continue;
        const left = pending.get(u)! - 1;
        pending.set(u, left);
        if (left === 0) ready.push(position.get(u)!, u);
      }
    }
  }

  /** Recompute the body behind a barrier on a cotangent, then walk the copy backwards. */
  function differentiateBody(region: Region, nodes: readonly Node[]): void {
    const outputs = nodes.filter((n) => cts.has(n));
    if (outputs.length === 0) return;
    const { order: copies, copyOf, argOf } = cloneRegion(region, outputs, cts.get(outputs[0]!)!.node);
    const originalOf = new Map([...copyOf].map(([o, c]) => [c, o]));
    const local = new Map<Node, AnyTensor>(outputs.map((n) => [copyOf.get(n)!, cts.get(n)!]));
    for (let i = copies.length - 1; i >= 0; i--) {
      const copy = copies[i]!;
      const ct = local.get(copy);
      if (!ct) continue;
      pullback(copy, ct).forEach((g, k) => {
        const input = copy.inputs[k]!;
        const original = originalOf.get(input);
        if (original === undefined) {
          // Outside the body: an argument (read through its barrier) or a closed-over value.
          accumulate(argOf.get(input) ?? input, g);
        } else if (g && active.has(original) && isFloat(input.dtype)) {
          const prev = local.get(input);
          local.set(input, prev ? core.add(prev, g) : g);
        }
      });
    }
  }

  return wrt.map((t) => cts.get(t.node) ?? core.zerosLike(t));
}

/** A binary max-heap of units by position. */
class MaxHeap<T> {
  private readonly items: [number, T][] = [];

  get size(): number {
    return this.items.length;
  }

  push(key: number, value: T): void {
    const a = this.items;
    a.push([key, value]);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (a[parent]![0] >= a[i]![0]) break;
      [a[parent], a[i]] = [a[i]!, a[parent]!];
      i = parent;
    }
  }

  pop(): T {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let m = i;
        if (l < a.length && a[l]![0] > a[m]![0]) m = l;
        if (r < a.length && a[r]![0] > a[m]![0]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top[1];
  }
}
