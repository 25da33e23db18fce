/**
 * @file What a kernel reads, decided on the schedule: the walk each template makes through
 * the fused expression (`KernelWriter.value`), without writing WGSL. Realized nodes are
 * buffer reads; elementwise ops pass the index on; movement ops map it (their own lowering);
 * values a template binds itself (reduction phases, the attention scores) are read only where
 * the template computes them: a row's reduction in that row, the scores at the query row and
 * key being streamed. The first read that breaks this, or a reduction or contraction the
 * kernel would have to compute inline, is the kernel's conflict: the schedule gives it a buffer.
 */
import type { Node } from "../dsl/node.js";
import { opDef } from "../dsl/ops/registry.js";
import { unravelIndex } from "../dsl/lowering/indexing.js";
import type { MovementLowering, SourceLowering } from "../dsl/lowering/lowering.js";
import type { KernelShape } from "./plan.js";

export interface KernelReads {
  /** Buffers the kernel binds besides its output, in first-read order. */
  readonly reads: readonly Node[];
  /** Nodes computed inside the kernel (not its root), in first-use order. */
  readonly fused: readonly Node[];
  /** The first value the kernel cannot compute where it is read (it needs a buffer). */
  readonly conflict?: Node;
}

/** The index names a template's `unravelInto(w, linear, shape, prefix)` gives (0i for unit dims). */
export function unravelNames(linear: string, shape: readonly number[], prefix: string): string[] {
  return unravelIndex(linear, shape).map((index, d) => (index === "0i" ? index : `${prefix}${d}`));
}

/** Walk a kernel the way its template evaluates it (see wgsl/kernels/*). */
export function kernelReads(plan: KernelShape, realized: ReadonlySet<Node>): KernelReads {
  const reads: Node[] = [];
  const fused: Node[] = [];
  const seenRead = new Set<Node>();
  const seenFused = new Set<Node>();
  const memo = new Set<string>();
  // Values the template binds, and the test an index must pass to read them.
  const provided = new Map<Node, (index: readonly string[]) => boolean>();
  let conflict: Node | undefined;
  const read = (n: Node) => {
    if (!seenRead.has(n)) (seenRead.add(n), reads.push(n));
  };
  const computed = (n: Node) => {
    if (!seenFused.has(n)) (seenFused.add(n), fused.push(n));
  };
  const value = (node: Node, index: readonly string[]): void => {
    const key = `${node.id}@${index.join(",")}`;
    if (memo.has(key)) return;
    memo.add(key);
    const test = provided.get(node);
    if (test) {
      if (!test(index)) conflict ??= node;
      return;
    }
    if ((realized.has(node) && node !== plan.root) || node.op === "input" || node.op === "constant") return read(node);
    computed(node);
    const lower = opDef(node.op).lower;
    switch (lower.kind) {
      case "elementwise":
        for (const i of node.inputs) value(i, index);
        return;
      case "movement":
        // (the params' type is per op: the registry's lowering takes this node's own)
        (lower as MovementLowering<unknown>).index(index, node.params, node.inputs.map((i) => i.shape), node.shape).forEach((map, k) => {
          const input = node.inputs[k];
          if (input) value(input, map.index);
        });
        return;
      case "source": {
        const [input] = node.inputs;
        const source = lower as SourceLowering<unknown>;
        if (!source.value) return read(node);
        source.value(index, node.params, node.shape, (word) => (input && value(input, [`${word}i`]), "0"));
        return;
      }
      case "reduce":
      case "contraction":
        conflict ??= node;
    }
  };
  // A contraction's epilogue (writeEpilogue): chain nodes at the accumulator's position,
  // other operands at that position in their own shape.
  const epilogue = (contraction: Node, chain: ReadonlySet<Node>) => {
    const done = new Set<Node>();
    const at = (node: Node): void => {
      if (node === contraction || done.has(node)) return;
      done.add(node);
      if (node.op === "reshape") return node.inputs[0] && at(node.inputs[0]);
      for (const i of node.inputs) (i === contraction || chain.has(i) ? at(i) : value(i, unravelIndex("pos", i.shape)));
      computed(node);
    };
    at(plan.root);
  };
  const same = (expected: readonly string[]) => (index: readonly string[]) => index.every((x, k) => x === expected[k]);

  switch (plan.kind) {
    case "elementwise":
      value(plan.root, unravelNames("lin", plan.root.shape, "i"));
      break;
    case "row": {
      const { reductions, axes, root } = plan;
      const space = reductions[0]?.inputs[0]?.shape ?? root.shape;
      const outerDims = space.map((_, d) => d).filter((d) => !axes.includes(d));
      const outer = unravelNames("row", outerDims.map((d) => space[d] ?? 1), "o");
      const inner = axes.map((d) => space[d] ?? 1);
      const indexAt = (names: readonly string[]) => space.map((_, d) => (axes.includes(d) ? names[axes.indexOf(d)] : outer[outerDims.indexOf(d)]) ?? "0i");
      reductions.forEach((r, k) => {
        const input = r.inputs[0];
        if (input) value(input, indexAt(unravelNames("j", inner, `r${k}_`)));
        // Later reads of a phase must be of this row.
        provided.set(r, (index) => outerDims.every((d, i) => index[d] === outer[i]));
      });
      if (!reductions.includes(root)) value(root, indexAt(unravelNames("j", inner, "w_")));
      break;
    }
    case "dot":
    case "conv": {
      const { contraction, epilogue: chain } = plan;
      if (plan.kind === "dot" && plan.prologueBase) {
        for (const r of plan.reductions) {
          const input = r.inputs[0];
          if (input) value(input, unravelIndex("prologue", plan.prologueBase.shape));
          provided.set(r, () => true);
        }
      }
      const r = contraction.shape.length;
      const [a, b] = contraction.inputs;
      if (a) value(a, plan.kind === "dot" ? [...contraction.shape.slice(0, -2).map((_, d) => `z${d}`), "am", "kk"] : [...Array.from({ length: r }, (_, d) => `x${d}`)]);
      if (b) value(b, plan.kind === "dot" ? [...contraction.shape.slice(0, -2).map((_, d) => `z${d}`), "kk", "bn"] : [...Array.from({ length: r }, (_, d) => `w${d}`)]);
      epilogue(contraction, new Set(chain));
      break;
    }
    case "attention": {
      const { scores, logits, values, absorbed } = plan.attention;
      const [a, b] = scores.inputs;
      const rank = plan.root.shape.length;
      const row = unravelNames("row", [...plan.root.shape.slice(0, -2), plan.root.shape[rank - 2] ?? 1], "q");
      const batch = row.slice(0, -1);
      if (a) value(a, [...row, "kd"]);
      if (b) value(b, [...batch, "kd", "j"]);
      // The template has the score of the query row and key j in hand, and no other.
      provided.set(scores, same([...row, "j"]));
      value(logits, [...row, "j"]);
      value(values, [...batch, "j", "c"]);
      absorbed.forEach(computed);
      break;
    }
  }
  return conflict ? { reads, fused, conflict } : { reads, fused };
}
