/**
 * @file What every kernel template produces, and the pieces they share: dispatch sizes that
 * respect the 65535-workgroups-per-dimension limit, and index unravelling into named lets.
 */
import type { Node } from "../../../dsl/node.js";
import type { ConvPlan, DotPlan, KernelPlan } from "../../plan.js";
import { unravelNames } from "../../reads.js";
import type { KernelWriter } from "../expr.js";
import { unravelIndex } from "../../../dsl/lowering/indexing.js";
import { opDef } from "../../../dsl/ops/registry.js";
import type { ElementwiseLowering } from "../../../dsl/lowering/lowering.js";
import { WG_SPECIAL_FLOATS } from "../../../dsl/lowering/wgsl-helpers.js";

export interface GeneratedKernel {
  readonly name: string;
  readonly wgsl: string;
  /** Buffers in binding order; binding 0 is the output. */
  readonly bindings: readonly Node[];
  readonly workgroups: readonly [number, number, number];
  readonly plan: KernelPlan;
  /** Graph nodes computed inside this kernel (for the header and the profiler). */
  readonly fused: readonly Node[];
  /** Useful floating-point operations (contractions) for GFLOP/s figures. */
  readonly flops: number;
}

export const MAX_GROUPS = 65535;

/** Spread `groups` workgroups over x and y. */
export function spread(groups: number): [number, number, number] {
  const x = Math.max(1, Math.min(groups, MAX_GROUPS));
  return [x, Math.max(1, Math.ceil(groups / x)), 1];
}

/** `let name_d = …` for each dim of a linear position (`unravelIndex`); returns the names ("0i" where the index is 0). */
export function unravelInto(w: KernelWriter, linear: string, shape: readonly number[], prefix: string): string[] {
  const names = unravelNames(linear, shape, prefix);
  unravelIndex(linear, shape).forEach((index, d) => names[d] !== "0i" && w.line(`let ${names[d]} = ${index};`));
  return names;
}

export function header(plan: KernelPlan, fused: readonly Node[], name: string): string {
  const describe = (n: Node) => `${n.op}#${n.id}[${n.shape.join("x")}]`;
  const lines = [
    `// ${name}: ${plan.kind} kernel writing ${describe(plan.root)}`,
    `// fuses: ${fused.map(describe).join(", ") || "(nothing else)"}`,
  ];
  return lines.join("\n");
}

export function assemble(w: KernelWriter, plan: KernelPlan, name: string, attributes: string, body: string[], extra: string[] = []): string {
  const fused = [...w.fused];
  // (a helper that needs them, such as wg_pow, has brought them already)
  const specials = !w.helpers.has(WG_SPECIAL_FLOATS) && body.some((l) => l.includes("wg_inf()") || l.includes("wg_nan()")) ? [WG_SPECIAL_FLOATS] : [];
  return [header(plan, fused, name), ...w.declarations(), ...specials, ...extra, "", attributes, ...body, "}", ""].join("\n");
}

/**
 * Write a contraction kernel's output through its epilogue (bias, activation, residual, and
 * reshapes, which keep the row-major order): every chain node is evaluated at the same linear
 * position as the accumulator; other operands are read at that position in their own shape.
 */
export function writeEpilogue(w: KernelWriter, plan: DotPlan | ConvPlan, acc: string, position: string): void {
  const contraction = plan.contraction;
  const chain = new Set(plan.epilogue);
  const memo = new Map<Node, string>();
  const valueAt = (node: Node): string => {
    if (node === contraction) return acc;
    const known = memo.get(node);
    if (known) return known;
    if (node.op === "reshape") return valueAt(node.inputs[0]!);
    const lower = opDef(node.op).lower as ElementwiseLowering;
    for (const h of lower.helpers ?? []) w.helpers.add(h);
    const args = node.inputs.map((i) => (i === contraction || chain.has(i) ? valueAt(i) : w.value(i, unravelIndex(position, i.shape))));
    const name = w.fresh("e");
    w.line(`let ${name} = ${lower.wgsl(args, { inputs: node.inputs.map((i) => i.dtype), out: node.dtype })};`);
    w.fused.add(node);
    memo.set(node, name);
    return name;
  };
  w.store(position, valueAt(plan.root));
}
