/**
 * @file Graph nodes. A node is one application of a primitive: immutable, owned by the GC,
 * with its output shape and dtype settled when it is built (by the primitive's shape rule).
 * Tensors are typed handles on nodes; traced programs and gradient graphs are DAGs of nodes.
 */
import type { DType } from "./dtype.js";
import type { OpName, OpParams } from "./ops/params.js";

let nextId = 0;

/** The id the next node will get: nodes built after this call have ids at least this. */
export function nextNodeId(): number {
  return nextId;
}

export class Node<K extends OpName = OpName> {
  readonly id = nextId++;
  constructor(
    readonly op: K,
    readonly params: OpParams[K],
    readonly inputs: readonly Node[],
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {}

  is<Q extends OpName>(op: Q): this is Node<Q> {
    return (this.op as OpName) === op;
  }
}

/**
 * Nodes reachable from `roots`, inputs before users. Iterative, so deep graphs are fine.
 * With `inside`, only through (and only) nodes that pass it.
 */
export function topoSort(roots: readonly Node[], inside: (n: Node) => boolean = () => true): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: [Node, number][] = [];
  for (const root of roots) {
    if (seen.has(root) || !inside(root)) continue;
    seen.add(root);
    stack.push([root, 0]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      if (i < node.inputs.length) {
        top[1] = i + 1;
        const child = node.inputs[i]!;
        if (!seen.has(child) && inside(child)) {
          seen.add(child);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        order.push(node);
      }
    }
  }
  return order;
}
