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
  w.line(`if (n0 >= ${n}i || m0 >= ${m}i) { return; }`);
  w.line(`let bz = i32(gid.z);`);
  const batchIdx = unravelInto(w, "bz", batchShape, "z");
  w.line(`var acc: array<array<f32, ${tn}>, ${tm}>;`);
  w.line(`var av: array<f32, ${tm}>;`);
  w.line(`var bv: array<f32, ${tn}>;`);
  w.open(`for (var kk = 0i; kk < ${k}i; kk++)`);
  w.open(`for (var i = 0i; i < ${tm}i; i++)`);
  w.line(`let am = min(m0 + i, ${m - 1}i);`);
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
    wgsl: assemble(w, plan, name, `@compute @workgroup_size(${wx}, ${wy}, 1)\nfn main(@builtin(global_invocation_id) gid: vec3u) {`, body),
    bindings: w.bindings.map((x) => x.node),
    workgroups: [Math.ceil(n / (tn * wx)), Math.ceil(m / (tm * wy)), batch],
    plan,
    fused: [...w.fused],
    flops: 2 * batch * m * n * k,
  };
}
