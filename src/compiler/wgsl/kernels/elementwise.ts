/** @file One thread per output element: the whole fused expression is evaluated in place. */
import { sizeOf } from "../../../dsl/host/view.js";
import type { ElementwisePlan } from "../../plan.js";
import { KernelWriter } from "../expr.js";
import { assemble, spread, unravelInto, type GeneratedKernel } from "./common.js";
import type { Node } from "../../../dsl/node.js";

const WORKGROUP = 64;

export function elementwiseKernel(plan: ElementwisePlan, realized: ReadonlySet<Node>, name: string): GeneratedKernel {
  const { root } = plan;
  const n = sizeOf(root.shape);
  const w = new KernelWriter(realized, root, plan.inPlace);
  w.open("");
  w.line(`let lin = i32(gid.x + gid.y * nwg.x * ${WORKGROUP}u);`);
  w.line(`if (lin >= ${n}i) { return; }`);
  const index = unravelInto(w, "lin", root.shape, "i");
  w.store("lin", w.value(root, index));
  const body = w.close();
  return {
    name,
    wgsl: assemble(w, plan, name, `@compute @workgroup_size(${WORKGROUP})\nfn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {`, body),
    bindings: w.bindings.map((b) => b.node),
    workgroups: spread(Math.ceil(n / WORKGROUP)),
    plan,
    fused: [...w.fused],
    flops: 0,
  };
}
