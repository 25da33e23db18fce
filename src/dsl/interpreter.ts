/**
 * @file The CPU interpreter: runs any graph of primitives by calling each OpDef's `cpu`. It is
 * the reference every other backend is tested against, so it favours clarity over speed (still
 * with f64-accumulating loops and views instead of copies). Intermediate values are dropped
 * after their last use.
 */
import type { Node } from "./node.js";
import { topoSort } from "./node.js";
import { registry } from "./ops/registry.js";
import type { CpuContext } from "./ops/def.js";
import type { CpuArray, Precision } from "./host/array.js";

export interface EvaluateOptions {
  /** Values for `input` placeholders, by name. */
  readonly inputs?: ReadonlyMap<string, CpuArray>;
  /** "f64" evaluates float32 tensors in float64 (for finite-difference checks). */
  readonly precision?: Precision;
  /** Known values (e.g. cached results): evaluation stops at these nodes. */
  readonly known?: (node: Node) => CpuArray | undefined;
}

export function evaluate(outputs: readonly Node[], options: EvaluateOptions = {}): CpuArray[] {
  const ctx: CpuContext = { precision: options.precision ?? "f32", inputs: options.inputs ?? new Map() };
  const table = registry();
  const values = new Map<Node, CpuArray>();
  const known = (n: Node) => options.known?.(n);
  // Walk the graph, stopping at known nodes, and count uses so buffers can be released.
  const order = topoSortStopping(outputs, (n) => known(n) !== undefined);
  const uses = new Map<Node, number>();
  for (const node of order) {
    if (values.has(node) || known(node)) continue;
    for (const input of node.inputs) uses.set(input, (uses.get(input) ?? 0) + 1);
  }
  for (const o of outputs) uses.set(o, Infinity);
  for (const node of order) {
    const cached = known(node);
    if (cached) {
      values.set(node, cached);
      continue;
    }
    const args = node.inputs.map((i) => values.get(i)!);
    const def = table[node.op] as unknown as {
      cpu(inputs: readonly CpuArray[], params: unknown, out: Node, ctx: CpuContext): CpuArray;
    };
    values.set(node, def.cpu(args, node.params, node, ctx));
    for (const input of node.inputs) {
      const left = (uses.get(input) ?? 1) - 1;
      uses.set(input, left);
      if (left === 0) values.delete(input);
    }
  }
  return outputs.map((o) => values.get(o)!);
}

function topoSortStopping(roots: readonly Node[], stop: (n: Node) => boolean): Node[] {
  if (!roots.some((r) => !stop(r))) return [...roots];
  // topoSort visits everything; filter out what lies strictly behind a stopping node.
  const all = topoSort(roots);
  const needed = new Set<Node>(roots);
  for (let i = all.length - 1; i >= 0; i--) {
    const node = all[i]!;
    if (!needed.has(node) || stop(node)) continue;
    for (const input of node.inputs) needed.add(input);
  }
  return all.filter((n) => needed.has(n));
}
