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

/** JSON that keeps ±∞, NaN and −0 apart (plain JSON writes all of them as null or 0). */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0)) ? `#num:${Object.is(v, -0) ? "-0" : String(v)}` : v,
  );
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
  const cap = options.maxFirings ?? 100_000;
  let firings = 0;
  const lastFired = new Map<string, number>();

  const visit = (root: Node): Node => {
    const cached = done.get(root);
    if (cached) return cached;
    // Iterative post-order over the not-yet-rewritten part of the graph.
    for (const node of topoSort([root])) {
      if (done.has(node)) continue;
      let current = graph.adopt(node, node.inputs.map((i) => done.get(i)!));
      for (;;) {
        let replaced: Node | undefined;
        for (const rule of rules) {
          const out = rule.apply(current, graph);
          if (out && out !== current) {
            if (++firings > cap) {
              throw new Error(`rewrite: more than ${cap} rule firings; "${rule.name}" fired ${lastFired.get(rule.name) ?? 0} times and may be cycling`);
            }
            lastFired.set(rule.name, (lastFired.get(rule.name) ?? 0) + 1);
            lastRule = rule.name;
            options.onFire?.(rule.name, current, out);
            replaced = out;
            break;
          }
        }
        if (!replaced) break;
        // The replacement may contain new nodes: rewrite them too, then keep matching.
        current = replaced === current ? current : visitNew(replaced);
      }
      done.set(node, current);
    }
    return done.get(root)!;
  };

  // New nodes built by rules have rewritten inputs already; only their own rules remain.
  // A rule set that keeps producing new nodes would recurse without end: cap the depth too.
  let depth = 0;
  let lastRule = "";
  const visitNew = (node: Node): Node => {
    if (done.has(node)) return done.get(node)!;
    if (++depth > 2000) throw new Error(`rewrite: rules keep building new nodes; "${lastRule}" may be cycling`);
    try {
      return visitNewAt(node);
    } finally {
      depth--;
    }
  };
  const visitNewAt = (node: Node): Node => {
    const inputs = node.inputs.map((i) => (done.has(i) ? done.get(i)! : visitNew(i)));
    let current = graph.adopt(node, inputs);
    for (let guard = 0; guard < 64; guard++) {
      const next = rules.map((r) => [r, r.apply(current, graph)] as const).find(([, out]) => out && out !== current);
      if (!next) break;
      if (++firings > cap) throw new Error(`rewrite: more than ${cap} rule firings; "${next[0].name}" may be cycling`);
      lastRule = next[0].name;
      options.onFire?.(next[0].name, current, next[1]!);
      current = visitNew(next[1]!);
    }
    done.set(node, current);
    return current;
  };

  return outputs.map(visit);
}
