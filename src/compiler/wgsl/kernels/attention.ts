/**
 * @file Flash-style attention: out = softmax(T(S))·V with S = A·B, in one pass over the keys
 * with an online softmax (Milakov & Gimelshein 2018; Dao et al. 2022). One thread owns one
 * query row: for each key j it forms the score, rescales its running sum and output by
 * exp(m_old − m_new), and adds exp(t − m_new)·V[j]. Neither the scores nor the weights are
 * ever stored. Masked (−∞) scores contribute nothing; a fully masked row gives NaN, as the
 * unfused softmax does.
 */
import type { Node } from "../../../dsl/node.js";
import { sizeOf } from "../../../runtime/cpu/view.js";
import type { KernelPlan } from "../../schedule.js";
import { FusionConflict, KernelWriter } from "../expr.js";
import { linearIndex } from "../indexing.js";
import { assemble, spread, unravelInto, type GeneratedKernel } from "./common.js";

const WORKGROUP = 64;

export function attentionKernel(plan: KernelPlan, realized: ReadonlySet<Node>, name: string): GeneratedKernel {
  const { root } = plan;
  const att = plan.attention!;
  const [a, b] = att.scores.inputs as [Node, Node];
  const v = att.values;
  const r = root.shape.length;
  const lq = root.shape[r - 2]!;
  const dv = root.shape[r - 1]!;
  const d = a.shape[r - 1]!;
  const lk = v.shape[r - 2]!;
  const batchShape = root.shape.slice(0, -2);
  const rows = sizeOf(batchShape) * lq;

  const w = new KernelWriter(realized, root);
  w.open("");
  w.line(`let lin = i32(gid.x + gid.y * nwg.x * ${WORKGROUP}u);`);
  w.line(`if (lin >= ${rows}i) { return; }`);
  const [...rowIdx] = unravelInto(w, "lin", [...batchShape, lq], "q");
  const batch = rowIdx.slice(0, -1);
  const qi = rowIdx[rowIdx.length - 1]!;
  w.line(`var m = -wg_inf();`);
  w.line(`var l = 0.0;`);
  w.line(`var acc: array<f32, ${dv}>;`);
  w.open(`for (var j = 0i; j < ${lk}i; j++)`);
  w.line(`var s = 0.0;`);
  w.open(`for (var kd = 0i; kd < ${d}i; kd++)`);
  w.line(`s = fma(${w.value(a, [...batch, qi, "kd"])}, ${w.value(b, [...batch, "kd", "j"])}, s);`);
  w.close();
  w.provide(att.scores, (index) => {
    if (index.some((x, k) => x !== [...batch, qi, "j"][k])) throw new FusionConflict(att.scores);
    return "s";
  });
  w.line(`let t = ${w.value(att.logits, [...batch, qi, "j"])};`);
  w.line(`let mn = max(m, t);`);
  w.line(`let corr = select(exp(m - mn), 1.0, m == mn);`);
  w.line(`let p = select(exp(t - mn), 0.0, mn == -wg_inf());`);
  w.line(`l = l * corr + p;`);
  w.open(`for (var c = 0i; c < ${dv}i; c++)`);
  w.line(`acc[c] = fma(p, ${w.value(v, [...batch, "j", "c"])}, acc[c] * corr);`);
  w.close();
  w.line(`m = mn;`);
  w.close();
  w.open(`for (var c = 0i; c < ${dv}i; c++)`);
  w.store(linearIndex([...batch, qi, "c"], root.shape), "acc[c] / l");
  w.close();
  const body = w.close();
  for (const n of att.absorbed) w.fused.add(n);
  return {
    name,
    wgsl: assemble(w, plan, name, `@compute @workgroup_size(${WORKGROUP})\nfn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {`, body),
    bindings: w.bindings.map((x) => x.node),
    workgroups: spread(Math.ceil(rows / WORKGROUP)),
    plan,
    fused: [...w.fused],
    flops: 2 * rows * lk * (d + dv),
  };
}
