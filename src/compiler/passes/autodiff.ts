/**
 * @file Reverse-mode autodiff as a graph-to-graph transform. Walking the graph backwards from
 * the output, each node's VJP rule (written with wgtensor ops) turns its cotangent into its
 * inputs' cotangents; they are summed where a value fans out. The result is an ordinary graph,
 * so gradients can be differentiated again, interpreted, or compiled like any program.
 */
import { topoSort, type Node } from "../../dsl/node.js";
import { registry } from "../../dsl/ops/registry.js";
import type { VjpContext, VjpResult } from "../../dsl/ops/def.js";
import * as core from "../../dsl/core.js";
import { isFloat } from "../../dsl/dtype.js";
import { Tensor, type AnyTensor } from "../../dsl/tensor.js";
import { ShapeMismatch } from "../../dsl/errors.js";

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
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    const ct = cts.get(node);
    if (!ct || targets.has(node)) continue;
    const rule = table[node.op].vjp as (ct: AnyTensor, ctx: VjpContext<typeof node.op>) => VjpResult;
    const inputs = node.inputs.map((n) => new Tensor(n));
    const grads = rule(ct, { inputs, out: new Tensor(node), params: node.params as never });
    node.inputs.forEach((input, k) => {
      const g = grads[k];
      if (!g || !active.has(input) || !isFloat(input.dtype)) return;
      const prev = cts.get(input);
      cts.set(input, prev ? core.add(prev, g) : g);
    });
  }
  return wrt.map((t) => cts.get(t.node) ?? core.zerosLike(t));
}
