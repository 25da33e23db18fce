/**
 * @file Fused attention: out = softmax(T(S))·V with S = A·B in one dispatch; the scores and
 * weights never reach memory.
 *
 * Row form (when a row of scores fits in workgroup memory): a workgroup owns one query row;
 * its threads compute the row's scores into workgroup memory, reduce max and sum there, then
 * each thread accumulates output columns. This is the unfused softmax's exact arithmetic.
 *
 * Online form (longer rows): one thread owns one query row and streams over the keys with an
 * online softmax (Milakov & Gimelshein 2018; Dao et al. 2022), rescaling its running sum and
 * output by exp(m_old − m_new).
 *
 * In both, masked (−∞) scores contribute nothing; a fully masked row gives NaN, as the unfused
 * softmax does.
 */
import type { Node } from "../../../dsl/node.js";
import { sizeOf } from "../../../dsl/host/view.js";
import type { AttentionPlan } from "../../plan.js";
import { KernelWriter, notComputable } from "../expr.js";
import { linearIndex } from "../../../dsl/lowering/indexing.js";
import { assemble, spread, unravelInto, type GeneratedKernel } from "./common.js";

const WORKGROUP = 64;

export function attentionKernel(plan: AttentionPlan, realized: ReadonlySet<Node>, name: string, workgroupBytes = 16384): GeneratedKernel {
  const att = plan.attention;
  const r = plan.root.shape.length;
  const floats = att.values.shape[r - 2]! + att.scores.inputs[0]!.shape[r - 1]! + ROW_THREADS;
  return floats * 4 <= workgroupBytes ? rowAttention(plan, realized, name) : onlineAttention(plan, realized, name);
}

const ROW_THREADS = 64;

/** The operands and sizes both forms need: out [...batch, Lq, Dv] = softmax(A·B) V. */
function attentionDims(plan: AttentionPlan) {
  const { root } = plan;
  const att = plan.attention;
  const [a, b] = att.scores.inputs as [Node, Node];
  const v = att.values;
  const r = root.shape.length;
  const lq = root.shape[r - 2]!;
  const batchShape = root.shape.slice(0, -2);
  return { root, att, a, b, v, lq, dv: root.shape[r - 1]!, d: a.shape[r - 1]!, lk: v.shape[r - 2]!, batchShape, rows: sizeOf(batchShape) * lq };
}

function rowAttention(plan: AttentionPlan, realized: ReadonlySet<Node>, name: string): GeneratedKernel {
  const { root, att, a, b, v, lq, dv, d, lk, batchShape, rows } = attentionDims(plan);
  const T = ROW_THREADS;

  const w = new KernelWriter(realized, root, plan.inPlace);
  w.open("");
  w.line(`let row = i32(wid.x + wid.y * nwg.x);`);
  w.line(`if (row >= ${rows}i) { return; }`);
  const rowIdx = unravelInto(w, "row", [...batchShape, lq], "q");
  const batch = rowIdx.slice(0, -1);
  const qi = rowIdx[rowIdx.length - 1]!;
  w.open(`for (var kd = i32(lid); kd < ${d}i; kd += ${T}i)`);
  w.line(`qrow[kd] = ${w.value(a, [...batch, qi, "kd"])};`);
  w.close();
  w.line(`workgroupBarrier();`);
  // Scores (and the row maximum) into workgroup memory.
  w.line(`var mloc = -wg_inf();`);
  w.open(`for (var j = i32(lid); j < ${lk}i; j += ${T}i)`);
  w.line(`var s = 0.0;`);
  w.open(`for (var kd = 0i; kd < ${d}i; kd++)`);
  w.line(`s = fma(qrow[kd], ${w.value(b, [...batch, "kd", "j"])}, s);`);
  w.close();
  w.provide(att.scores, (index) => {
    if (index.some((x, k) => x !== [...batch, qi, "j"][k])) throw notComputable(att.scores);
    return "s";
  });
  w.line(`let t = ${w.value(att.logits, [...batch, qi, "j"])};`);
  w.line(`probs[j] = t;`);
  w.line(`mloc = max(mloc, t);`);
  w.close();
  const reduce = (local: string, combine: (x: string, y: string) => string, result: string) => {
    w.line(`scratch[lid] = ${local};`);
    w.line(`workgroupBarrier();`);
    w.open(`for (var st = ${T / 2}u; st > 0u; st = st >> 1u)`);
    w.line(`if (lid < st) { scratch[lid] = ${combine("scratch[lid]", "scratch[lid + st]")}; }`);
    w.line(`workgroupBarrier();`);
    w.close();
    w.line(`let ${result} = scratch[0];`);
    w.line(`workgroupBarrier();`);
  };
  reduce("mloc", (x, y) => `max(${x}, ${y})`, "mx");
  w.line(`var lloc = 0.0;`);
  w.open(`for (var j = i32(lid); j < ${lk}i; j += ${T}i)`);
  w.line(`let p = select(exp(probs[j] - mx), 0.0, mx == -wg_inf());`);
  w.line(`probs[j] = p;`);
  w.line(`lloc = lloc + p;`);
  w.close();
  reduce("lloc", (x, y) => `(${x} + ${y})`, "l");
  w.open(`for (var c = i32(lid); c < ${dv}i; c += ${T}i)`);
  w.line(`var acc = 0.0;`);
  w.open(`for (var j = 0i; j < ${lk}i; j++)`);
  w.line(`acc = fma(probs[j], ${w.value(v, [...batch, "j", "c"])}, acc);`);
  w.close();
  w.store(linearIndex([...batch, qi, "c"], root.shape), "acc / l");
  w.close();
  const body = w.close();
  for (const n of att.absorbed) w.fused.add(n);
  const shared = [`var<workgroup> probs: array<f32, ${lk}>;`, `var<workgroup> qrow: array<f32, ${d}>;`, `var<workgroup> scratch: array<f32, ${T}>;`];
  return {
    name,
    wgsl: assemble(
      w,
      plan,
      name,
      `@compute @workgroup_size(${T})\nfn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3u) {`,
      body,
      shared,
    ),
    bindings: w.bindings.map((x) => x.node),
    workgroups: spread(rows),
    plan,
    fused: [...w.fused],
    flops: 2 * rows * lk * (d + dv),
  };
}

function onlineAttention(plan: AttentionPlan, realized: ReadonlySet<Node>, name: string): GeneratedKernel {
  const { root, att, a, b, v, lq, dv, d, lk, batchShape, rows } = attentionDims(plan);
  const w = new KernelWriter(realized, root, plan.inPlace);
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
    if (index.some((x, k) => x !== [...batch, qi, "j"][k])) throw notComputable(att.scores);
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
