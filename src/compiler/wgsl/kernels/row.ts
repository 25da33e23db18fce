/**
 * @file Row kernels: reductions fused with what they read and what reads them. One workgroup
 * takes one row (the kept axes); each reduction is a phase: threads stride over the row's
 * reduced axes, then combine their partial results in workgroup memory. A phase's result is a
 * scalar for every later phase and for the final write, so softmax (max, sum, divide) and
 * layerNorm (mean, variance, normalise) each take one dispatch.
 */
import type { Node } from "../../../dsl/node.js";
import { opDef } from "../../../dsl/ops/registry.js";
import { sizeOf } from "../../../dsl/host/view.js";
import type { ReduceLowering } from "../../../dsl/lowering/lowering.js";
import type { RowPlan } from "../../plan.js";
import { KernelWriter, notComputable } from "../expr.js";
import { linearIndex } from "../../../dsl/lowering/indexing.js";
import { assemble, spread, unravelInto, type GeneratedKernel } from "./common.js";

export function rowKernel(plan: RowPlan, realized: ReadonlySet<Node>, name: string, maxThreads = 64): GeneratedKernel {
  const { root, reductions, axes } = plan;
  const space = reductions[0]!.inputs[0]!.shape;
  const outerDims = space.map((_, d) => d).filter((d) => !axes.includes(d));
  const outerShape = outerDims.map((d) => space[d]!);
  const innerShape = axes.map((d) => space[d]!);
  const rows = sizeOf(outerShape);
  const inner = sizeOf(innerShape);
  let threads = 1;
  while (threads < inner && threads < maxThreads) threads *= 2;

  const w = new KernelWriter(realized, root, plan.inPlace);
  const scratchTypes = new Set<string>();
  w.open("");
  w.line(`let row = i32(wid.x + wid.y * nwg.x);`);
  w.line(`if (row >= ${rows}i) { return; }`);
  const outerNames = unravelInto(w, "row", outerShape, "o");
  const indexAt = (innerNames: readonly string[]) =>
    space.map((_, d) => (axes.includes(d) ? innerNames[axes.indexOf(d)]! : outerNames[outerDims.indexOf(d)]!));

  reductions.forEach((r, k) => {
    const lower = opDef(r.op).lower as ReduceLowering;
    const type = w.type(r);
    scratchTypes.add(type);
    const acc = `acc${k}`;
    w.line(`var ${acc}: ${type} = ${lower.identity(r.dtype)};`);
    w.open(`for (var j = i32(lid); j < ${inner}i; j += ${threads}i)`);
    const innerNames = unravelInto(w, "j", innerShape, `r${k}_`);
    w.line(`${acc} = ${lower.combine(acc, w.value(r.inputs[0]!, indexAt(innerNames)), r.dtype)};`);
    w.close();
    const scratch = `scratch_${type}`;
    w.line(`${scratch}[lid] = ${acc};`);
    w.line(`workgroupBarrier();`);
    w.open(`for (var s = ${Math.floor(threads / 2)}u; s > 0u; s = s >> 1u)`);
    w.line(`if (lid < s) { ${scratch}[lid] = ${lower.combine(`${scratch}[lid]`, `${scratch}[lid + s]`, r.dtype)}; }`);
    w.line(`workgroupBarrier();`);
    w.close();
    const result = `red${k}`;
    w.line(`let ${result} = ${scratch}[0];`);
    w.line(`workgroupBarrier();`);
    // Later reads of r are of this row (the schedule's "computable" rule sees to it).
    w.provide(r, (index) => {
      if (!outerDims.every((d, i) => index[d] === outerNames[i])) throw notComputable(r);
      return result;
    });
  });

  if (reductions.includes(root)) {
    w.line(`if (lid == 0u) { out[row] = red${reductions.length - 1}; }`);
  } else {
    w.open(`for (var j = i32(lid); j < ${inner}i; j += ${threads}i)`);
    const index = indexAt(unravelInto(w, "j", innerShape, "w_"));
    w.store(linearIndex(index, root.shape), w.value(root, index));
    w.close();
  }
  const body = w.close();
  const scratch = [...scratchTypes].map((t) => `var<workgroup> scratch_${t}: array<${t}, ${threads}>;`);
  return {
    name,
    wgsl: assemble(
      w,
      plan,
      name,
      `@compute @workgroup_size(${threads})\nfn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3u) {`,
      body,
      scratch,
    ),
    bindings: w.bindings.map((b) => b.node),
    workgroups: spread(rows),
    plan,
    fused: [...w.fused],
    flops: 0,
  };
}
