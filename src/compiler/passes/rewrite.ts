/**
 * @file The rewrite engine every pass runs on (in the spirit of tinygrad's graph_rewrite).
 * A pass is an ordered list of named rules; a rule looks at one node (whose inputs are
 * already rewritten) and returns a replacement or undefined. Nodes are rebuilt bottom-up and
 * hash-consed, so structurally equal nodes become one (common-subexpression elimination) and
 * whatever the outputs no longer reach is dropped (dead-code elimination). Rules run to a
 * fixpoint under a cap whose error names the rule that kept firing.
 */
import { Node, topoSort } from "../../dsl/node.js";
import { opDef } from "../../dsl/ops/registry.js";
import type { OpName, OpParams } from "../../dsl/ops/params.js";

export interface Rule {
  readonly name: string;
  readonly apply: (node: Node, graph: GraphBuilder) => Node | undefined;
}

export interface RewriteOptions {
  /** Called for each firing (WGT_DEBUG=4 prints them). */
  readonly onFire?: (rule: string, before: Node, after: Node) => void;
  readonly maxFirings?: number;
}

/** Builds nodes with hash-consing: the same op, params and inputs give the same node. */
export class GraphBuilder {
  private readonly interned = new Map<string, Node>();

  node<K extends OpName>(op: K, params: OpParams[K], inputs: readonly Node[]): Node {
    const key = nodeKey(op, params, inputs);
    const hit = key === undefined ? undefined : this.interned.get(key);
    if (hit) return hit;
    const out = opDef(op).shape(inputs, params);
    const node = new Node(op, params, inputs, out.shape, out.dtype);
    if (key !== undefined) this.interned.set(key, node);
    return node;
  }

  /** Intern an existing node (sources keep their identity). */
  adopt(node: Node, inputs: readonly Node[]): Node {
    const same = inputs.length === node.inputs.length && inputs.every((n, i) => n === node.inputs[i]);
    const key = nodeKey(node.op, node.params, inputs);
    if (key === undefined) return node;
    const hit = this.interned.get(key);
    if (hit) return hit;
    const rebuilt = same ? node : new Node(node.op, node.params, inputs, node.shape, node.dtype);
    this.interned.set(key, rebuilt);
    return rebuilt;
  }
}

/** Structural key, or undefined for nodes that must keep their identity (data, placeholders). */
function nodeKey(op: OpName, params: unknown, inputs: readonly Node[]): string | undefined {
  if (op === "constant" || op === "input") return undefined;
  return `${op}|${JSON.stringify(params, exactNumbers)}|${inputs.map((n) => n.id).join(",")}`;
}

/** JSON writes ±∞ and NaN as null and −0 as 0: keep them apart (full(−∞) is not full(NaN)). */
function exactNumbers(_key: string, value: unknown): unknown {
  return typeof value === "number" && (!Number.isFinite(value) || Object.is(value, -0)) ? `#${Object.is(value, -0) ? "-0" : String(value)}` : value;
}

export function rewrite(outputs: readonly Node[], rules: readonly Rule[], options: RewriteOptions = {}): Node[] {
  const graph = new GraphBuilder();
  const done = new Map<Node, Node>();
  const rewritten = (n: Node) => done.get(n) ?? n;
  const cap = options.maxFirings ?? 100_000;
  let firings = 0;
  const fired = new Map<string, number>();
  // A rule set that keeps building new nodes recurses through `visit` without end: cap the depth.
  let depth = 0;
  let lastRule = "";

  // One visitor for the traced graph and for the nodes rules build: an iterative post-order
  // over what is not rewritten yet, each node settled once its inputs are.
  const visit = (root: Node): Node => {
    if (++depth > 2000) throw new Error(`rewrite: rules keep building new nodes; "${lastRule}" may be cycling`);
    try {
      for (const node of topoSort([root], (n) => !done.has(n))) if (!done.has(node)) done.set(node, settle(node));
    } finally {
      depth--;
    }
    return rewritten(root);
  };

  // The first rule that fires replaces the node; the replacement (which may hold new nodes) is
  // visited in turn, and matching goes on until no rule fires.
  const settle = (node: Node): Node => {
    let current = graph.adopt(node, node.inputs.map(rewritten));
    for (let guard = 0; guard < 64; guard++) {
      let firing: { rule: Rule; out: Node } | undefined;
      for (const rule of rules) {
        const out = rule.apply(current, graph);
        if (out && out !== current) {
          firing = { rule, out };
          break;
        }
      }
      if (!firing) break;
      const { rule, out } = firing;
      if (++firings > cap) throw new Error(`rewrite: more than ${cap} rule firings; "${rule.name}" fired ${fired.get(rule.name) ?? 0} times and may be cycling`);
      fired.set(rule.name, (fired.get(rule.name) ?? 0) + 1);
      lastRule = rule.name;
      options.onFire?.(rule.name, current, out);
      current = visit(out);
    }
    return current;
  };

  return outputs.map(visit);
}
