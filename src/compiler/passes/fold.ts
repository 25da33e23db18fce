/**
 * @file Compile-time evaluation of what does not depend on a program input: parameters closed
 * over by a traced function, their random initialisers, tables built from iota. Such a subgraph
 * is computed once by the reference interpreter and becomes a constant buffer, instead of
 * being recomputed inside every kernel that reads it. Fills, iotas and views of them stay
 * expressions: they cost nothing in a kernel.
 */
import { Node, topoSort } from "../../dsl/node.js";
import { opDef } from "../../dsl/ops/registry.js";
import { evaluate } from "../../dsl/interpreter.js";

export function foldConstants(outputs: readonly Node[]): Node[] {
  const order = topoSort(outputs);
  const dynamic = new Set<Node>();
  const free = new Set<Node>();
  for (const n of order) {
    if (n.op === "input" || n.inputs.some((i) => dynamic.has(i))) dynamic.add(n);
    const role = opDef(n.op).role;
    if (n.op === "full" || n.op === "iota" || n.op === "constant" || (role === "movement" && n.op !== "concat" && n.inputs.every((i) => free.has(i)))) free.add(n);
  }
  // Input-free values read by input-dependent nodes (or returned), unless free to recompute.
  const fold = new Set<Node>();
  for (const n of order) {
    if (!dynamic.has(n)) continue;
    for (const i of n.inputs) if (!dynamic.has(i) && !free.has(i)) fold.add(i);
  }
  for (const o of outputs) if (!dynamic.has(o) && !free.has(o)) fold.add(o);
  if (fold.size === 0) return [...outputs];
  const folded = [...fold];
  const values = evaluate(folded);
  const replaced = new Map<Node, Node>();
  folded.forEach((n, k) => replaced.set(n, new Node("constant", { value: values[k]! }, [], n.shape, n.dtype)));
  for (const n of order) {
    if (replaced.has(n)) continue;
    const inputs = n.inputs.map((i) => replaced.get(i) ?? i);
    if (inputs.some((x, k) => x !== n.inputs[k])) replaced.set(n, new Node(n.op, n.params, inputs, n.shape, n.dtype));
  }
  return outputs.map((o) => replaced.get(o) ?? o);
}
