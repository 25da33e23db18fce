/**
 * @file Batched matmul with its epilogue: each thread accumulates a TM×TN block of the output
 * in registers, reading A and B through their (fused, view-folded) expressions, so transposes
 * and broadcast batch dims cost no copies. No workgroup memory by default: on a CPU-backed
 * adapter (lavapipe) it only adds barriers (DESIGN.md §4); tile sizes are parameters.
 */
import type { Node } from "../../../dsl/node.js";
import { sizeOf } from "../../../runtime/cpu/view.js";
import type { KernelPlan } from "../../schedule.js";
import { KernelWriter } from "../expr.js";
import { linearIndex } from "../indexing.js";
import { assemble, MAX_GROUPS, unravelInto, writeEpilogue, type GeneratedKernel } from "./common.js";
import { opDef } from "../../../dsl/ops/registry.js";
import type { ReduceLowering } from "../../lowering.js";
import { unravelIndex } from "../indexing.js";

export interface DotTiling {
  /** Rows and columns of the output each thread computes. */
  readonly tm: number;
  readonly tn: number;
  /** Workgroup size along n (x) and m (y). */
  readonly wx: number;
  readonly wy: number;
}

export const DEFAULT_DOT_TILING: DotTiling = { tm: 4, tn: 4, wx: 8, wy: 8 };

export function dotKernel(plan: KernelPlan, realized: ReadonlySet<Node>, name: string, tiling: DotTiling = DEFAULT_DOT_TILING): GeneratedKernel {
  const { root } = plan;
  const c = plan.contraction!;
  const [a, b] = c.inputs as [Node, Node];
  const r = c.shape.length;
  const [m, n] = [c.shape[r - 2]!, c.shape[r - 1]!];
  const k = a.shape[r - 1]!;
  const batchShape = c.shape.slice(0, -2);
  const batch = sizeOf(batchShape);
  if (batch > MAX_GROUPS) throw new Error(`${name}: batch ${batch} exceeds ${MAX_GROUPS} workgroups`);
  const { tm, tn, wx, wy } = tiling;

  const w = new KernelWriter(realized, root);
  w.open("");
  w.line(`let n0 = i32(gid.x) * ${tn}i;`);
  w.line(`let m0 = i32(gid.y) * ${tm}i;`);
  const phases = plan.reductions;
  // With a prologue the workgroup cooperates (barriers), so no thread may leave early;
  // loads are clamped and stores guarded either way.
  if (phases.length === 0) w.line(`if (n0 >= ${n}i || m0 >= ${m}i) { return; }`);
  w.line(`let bz = i32(gid.z);`);
  const batchIdx = unravelInto(w, "bz", batchShape, "z");
  const extra: string[] = [];
  if (phases.length > 0) {
    if (batchShape.length > 0) throw new Error(`${name}: a matmul prologue needs a 2-D matmul`);
    writePrologue(w, plan, { m, k, rows: tm * wy, threads: wx * wy }, extra);
  }
  w.line(`var acc: array<array<f32, ${tn}>, ${tm}>;`);
  w.line(`var av: array<f32, ${tm}>;`);
  w.line(`var bv: array<f32, ${tn}>;`);
  w.open(`for (var kk = 0i; kk < ${k}i; kk++)`);
  w.open(`for (var i = 0i; i < ${tm}i; i++)`);
  w.line(`let am = min(m0 + i, ${m - 1}i);`);
  if (phases.length > 0) w.line(`let arow = clamp(am - mwg, 0i, ${tm * wy - 1}i);`);
  w.line(`av[i] = ${w.value(a, [...batchIdx, "am", "kk"])};`);
  w.close();
  w.open(`for (var j = 0i; j < ${tn}i; j++)`);
  w.line(`let bn = min(n0 + j, ${n - 1}i);`);
  w.line(`bv[j] = ${w.value(b, [...batchIdx, "kk", "bn"])};`);
  w.close();
  w.open(`for (var i = 0i; i < ${tm}i; i++)`);
  w.open(`for (var j = 0i; j < ${tn}i; j++)`);
  w.line(`acc[i][j] = fma(av[i], bv[j], acc[i][j]);`);
  w.close();
  w.close();
  w.close();
  w.open(`for (var i = 0i; i < ${tm}i; i++)`);
  w.line(`let om = m0 + i;`);
  w.line(`if (om >= ${m}i) { break; }`);
  w.open(`for (var j = 0i; j < ${tn}i; j++)`);
  w.line(`let on = n0 + j;`);
  w.line(`if (on >= ${n}i) { break; }`);
  w.line(`let pos = ${linearIndex([...batchIdx, "om", "on"], c.shape)};`);
  writeEpilogue(w, plan, "acc[i][j]", "pos");
  w.close();
  w.close();
  const body = w.close();
  return {
    name,
    wgsl: assemble(
      w,
      plan,
      name,
      `@compute @workgroup_size(${wx}, ${wy}, 1)\nfn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {`,
      body,
      extra,
    ),
    bindings: w.bindings.map((x) => x.node),
    workgroups: [Math.ceil(n / (tn * wx)), Math.ceil(m / (tm * wy)), batch],
    plan,
    fused: [...w.fused],
    flops: 2 * batch * m * n * k,
  };
}

/**
 * The prologue: per-row reductions of the left operand (layerNorm's mean and variance),
 * computed once per workgroup for its rows. Threads split each row's K elements, combine
 * partial results in workgroup memory, and leave one value per row in `pro<k>[row]`: read
 * as `pro<k>[prow]` by later phases and as `pro<k>[arow]` by the main loop's operand loads.
 */
function writePrologue(
  w: KernelWriter,
  plan: KernelPlan,
  dims: { readonly m: number; readonly k: number; readonly rows: number; readonly threads: number },
  extra: string[],
): void {
  const { m, k, rows, threads } = dims;
  const base = plan.prologueBase!;
  const parts = Math.max(1, Math.floor(threads / rows));
  extra.push(`var<workgroup> scratch: array<f32, ${threads}>;`);
  w.line(`let mwg = i32(wid.y) * ${rows}i;`);
  w.line(`let prow = i32(lid) % ${rows}i;`);
  w.line(`let part = i32(lid) / ${rows}i;`);
  w.line(`let pm = min(mwg + prow, ${m - 1}i);`);
  plan.reductions.forEach((r, p) => {
    const lower = opDef(r.op).lower as ReduceLowering;
    extra.push(`var<workgroup> pro${p}: array<f32, ${rows}>;`);
    w.line(`var pacc${p} = ${lower.identity(r.dtype)};`);
    w.open(`if (part < ${parts}i)`);
    w.open(`for (var pk = part; pk < ${k}i; pk += ${parts}i)`);
    const index = unravelIndex(`(pm * ${k}i + pk)`, base.shape);
    w.line(`pacc${p} = ${lower.combine(`pacc${p}`, w.value(r.inputs[0]!, index))};`);
    w.close();
    w.close();
    w.line(`scratch[lid] = pacc${p};`);
    w.line(`workgroupBarrier();`);
    w.open(`if (part == 0i)`);
    w.line(`var t = scratch[prow];`);
    w.open(`for (var q = 1i; q < ${parts}i; q++)`);
    w.line(`t = ${lower.combine("t", `scratch[prow + q * ${rows}i]`)};`);
    w.close();
    w.line(`pro${p}[prow] = t;`);
    w.close();
    w.line(`workgroupBarrier();`);
    w.provide(r, () => `pro${p}[${w.inScope("arow") ? "arow" : "prow"}]`);
  });
}
