/**
 * @file Direct convolution with its epilogue: one thread per output element loops over the
 * kernel window and its group's input channels. Padding is a bounds test, not a padded copy.
 * The depthwise case (one channel per group) is one multiply-add per tap.
 */
import type { Node } from "../../../dsl/node.js";
import { sizeOf } from "../../../dsl/host/view.js";
import type { ConvPlan } from "../../plan.js";
import { KernelWriter } from "../expr.js";
import { assemble, spread, unravelInto, writeEpilogue, type GeneratedKernel } from "./common.js";

const WORKGROUP = 64;

export function convKernel(plan: ConvPlan, realized: ReadonlySet<Node>, name: string): GeneratedKernel {
  const { root } = plan;
  const c = plan.contraction;
  const [x, wt] = c.inputs as [Node, Node];
  const { stride, padding, dilation, groups } = c.params;
  const rank = x.shape.length;
  const r = rank - 2;
  const spatial = x.shape.slice(1, r + 1);
  const kernelShape = wt.shape.slice(1, r + 1);
  const cout = c.shape[r + 1]!;
  const cig = wt.shape[r + 1]!;
  const cog = cout / groups;
  const total = sizeOf(c.shape);

  const w = new KernelWriter(realized, root, plan.inPlace);
  w.open("");
  w.line(`let lin = i32(gid.x + gid.y * nwg.x * ${WORKGROUP}u);`);
  w.line(`if (lin >= ${total}i) { return; }`);
  const out = unravelInto(w, "lin", c.shape, "y");
  const co = out[r + 1]!;
  w.line(`let cbase = (${co} / ${cog}i) * ${cig}i;`);
  w.line(`var acc = 0.0;`);
  w.open(`for (var kk = 0i; kk < ${sizeOf(kernelShape)}i; kk++)`);
  const taps = unravelInto(w, "kk", kernelShape, "k");
  const pos = spatial.map((_, d) => {
    const name = `p${d}`;
    w.line(`let ${name} = ${out[d + 1]} * ${stride[d]}i + ${taps[d]} * ${dilation[d]}i - ${padding[d]![0]}i;`);
    return name;
  });
  const inside = pos.map((p, d) => `${p} >= 0i && ${p} < ${spatial[d]}i`).join(" && ");
  w.open(`if (${inside})`);
  w.open(`for (var ci = 0i; ci < ${cig}i; ci++)`);
  const xv = w.value(x, [out[0]!, ...pos, "(cbase + ci)"]);
  const wv = w.value(wt, [co, ...taps, "ci"]);
  w.line(`acc = fma(${xv}, ${wv}, acc);`);
  w.close();
  w.close();
  w.close();
  writeEpilogue(w, plan, "acc", "lin");
  const body = w.close();
  return {
    name,
    wgsl: assemble(w, plan, name, `@compute @workgroup_size(${WORKGROUP})\nfn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {`, body),
    bindings: w.bindings.map((b) => b.node),
    workgroups: spread(Math.ceil(total / WORKGROUP)),
    plan,
    fused: [...w.fused],
    flops: 2 * total * sizeOf(kernelShape) * cig,
  };
}
