/**
 * @file Kernel order for memory. The schedule lists kernels in a depth-first order of the
 * graph. In a training step that order computes weight gradients late (the optimizer reads
 * them in parameter order, after the whole chain of input cotangents), so every layer's
 * activations, or their recomputation under checkpointing, stay alive until the end.
 *
 * `orderForMemory` is a list scheduler over the same kernels (the schedule's plans, whose
 * reads are known before any WGSL is written): among the kernels whose inputs
 * are computed, it runs first the one that frees the most bytes net of the bytes it writes,
 * as long as that is not negative; otherwise it follows the depth-first order. A value read by
 * several ready kernels credits each with its share, so a group that frees a value together
 * (a weight gradient and a bias gradient reading one cotangent) runs together.
 * compileGraph keeps whichever order needs the smaller pool.
 */
import type { Node } from "../dsl/node.js";
import type { KernelPlan } from "./schedule.js";
import { sizeOf } from "../dsl/host/view.js";

export function orderForMemory(kernels: readonly KernelPlan[], realized: ReadonlySet<Node>, outputs: readonly Node[]): KernelPlan[] {
  const n = kernels.length;
  const producer = new Map<Node, number>(kernels.map((k, i) => [k.root, i]));
  const kept = new Set(outputs);
  // Dependencies follow every graph edge through the kernel's fused nodes (a barrier's
  // ordering input included); reads are the pooled buffers it binds.
  const users: number[][] = kernels.map(() => []);
  const waiting = new Int32Array(n);
  kernels.forEach((k, i) => {
    const found = new Set<number>();
    const seen = new Set<Node>();
    const stack = [...k.root.inputs];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (seen.has(node)) continue;
      seen.add(node);
      const p = producer.get(node);
      if (p !== undefined) found.add(p);
      else if (!realized.has(node)) stack.push(...node.inputs);
    }
    for (const p of found) users[p]!.push(i);
    waiting[i] = found.size;
  });
  const reads = kernels.map((k) => [...new Set(k.reads)].map((b) => producer.get(b)).filter((p): p is number => p !== undefined && !kept.has(kernels[p]!.root)));
  const readers = new Int32Array(n);
  const unready = new Int32Array(n);
  reads.forEach((rs) => rs.forEach((p) => (readers[p]! += 1, unready[p]! += 1)));
  const bytes = kernels.map((k) => Math.max(4, sizeOf(k.root.shape) * 4));

  const ready = new Set<number>();
  const markReady = (i: number) => {
    ready.add(i);
    for (const p of reads[i]!) unready[p]! -= 1;
  };
  for (let i = 0; i < n; i++) if (waiting[i] === 0) markReady(i);
  const score = (i: number) => {
    let freed = 0;
    for (const p of reads[i]!) if (unready[p] === 0) freed += bytes[p]! / readers[p]!;
    return freed - bytes[i]!;
  };

  const order: KernelPlan[] = [];
  while (ready.size > 0) {
    let best = -1;
    let bestScore = 0;
    let first = n;
    for (const i of ready) {
      first = Math.min(first, i);
      const s = score(i);
      if (s > bestScore || (s === bestScore && (best < 0 || i < best))) [best, bestScore] = [i, s];
    }
    const pick = best >= 0 ? best : first;
    ready.delete(pick);
    order.push(kernels[pick]!);
    for (const p of reads[pick]!) readers[p]! -= 1;
    for (const u of users[pick]!) {
      waiting[u]! -= 1;
      if (waiting[u] === 0) markReady(u);
    }
  }
  if (order.length !== n) throw new Error(`orderForMemory: ${n - order.length} kernel(s) never became ready (a dependency cycle)`);
  return order;
}
