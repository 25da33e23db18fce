/**
 * @file Batched matmul with its epilogue: each thread accumulates a TM×TN block of the output
 * in registers, reading A and B through their (fused, view-folded) expressions, so transposes
 * and broadcast batch dims cost no copies. No workgroup memory by default: on a CPU-backed
 * adapter (lavapipe) workgroup memory is ordinary memory behind barriers, so it only adds
 * barriers; tile sizes are parameters.
 *
 * Templates (`DotTiling.variant`): "loop" (arrays in loops; also the one with a normalisation
 * prologue), and the unrolled "registers", "subgroup" and "workgroup" of `tiledDotKernel`.
 * Choosing: `DEFAULT_DOT_TILING` runs anywhere; `dotTilingFor(ctx)` is a per-adapter table;
 * `tuneDot(ctx)` measures the candidates once per device. Measured on lavapipe (bench/):
 * every per-lane storage load is a scalar load with its own bounds check, so what counts is
 * loads per FMA; sharing A's rows across the 8 SIMD lanes with subgroupBroadcast beats
 * everything else, workgroup memory is 5-10× slower there, and vec4 loads gain nothing
 * (llvmpipe splits them into per-lane scalar loads).
 */
import type { Node } from "../../../dsl/node.js";
import { sizeOf } from "../../../dsl/host/view.js";
import type { DotPlan } from "../../plan.js";
import { KernelWriter } from "../expr.js";
import { linearIndex } from "../../../dsl/lowering/indexing.js";
import { assemble, MAX_GROUPS, unravelInto, writeEpilogue, type GeneratedKernel } from "./common.js";
import { opDef } from "../../../dsl/ops/registry.js";
import type { ReduceLowering } from "../../../dsl/lowering/lowering.js";
import { unravelIndex } from "../../../dsl/lowering/indexing.js";

export interface DotTiling {
  /** Rows and columns of the output each thread computes. */
  readonly tm: number;
  readonly tn: number;
  /** Workgroup size along n (x) and m (y). */
  readonly wx: number;
  readonly wy: number;
  /**
   * The template (see `tiledDotKernel`): "loop" is the original loop-over-arrays kernel;
   * "registers" (the default), "subgroup" and "workgroup" unroll the tile into scalars.
   * A matmul with a normalisation prologue always uses "loop".
   */
  readonly variant?: DotVariant;
  /** subgroup: lanes that share A's rows (≤ the subgroup size; default min(8, tm)). */
  readonly lanes?: number;
  /** workgroup: depth along k of the tiles staged in workgroup memory (default 8). */
  readonly bk?: number;
  /** registers/subgroup: k steps per loop iteration (default 1). */
  readonly unrollK?: number;
  /** Which output dim varies fastest over workgroups: "nm" (default: n, along x) or "mn". */
  readonly order?: "nm" | "mn";
}

/**
 * Safe on any adapter (no subgroups, no workgroup memory). On lavapipe at 512³ it is the
 * fastest such tiling: one 8-lane SIMD row of threads per workgroup, 8×8 accumulators each.
 * `dotTilingFor` / `tuneDot` pick per adapter (subgroups on lavapipe, workgroup tiles on GPUs).
 */
export const DEFAULT_DOT_TILING: DotTiling = { tm: 8, tn: 8, wx: 8, wy: 1, variant: "registers" };

/** The loop template's tiling (and the one a matmul with a prologue uses unless told "loop"). */
export const LOOP_DOT_TILING: DotTiling = { tm: 4, tn: 4, wx: 8, wy: 8, variant: "loop" };

/** The operands and sizes of [...batch, M, K] · [...batch, K, N] (the batch is the z grid). */
function dotDims(c: Node, name: string) {
  const [a, b] = c.inputs as [Node, Node];
  const r = c.shape.length;
  const batchShape = c.shape.slice(0, -2);
  const batch = sizeOf(batchShape);
  if (batch > MAX_GROUPS) throw new Error(`${name}: batch ${batch} exceeds ${MAX_GROUPS} workgroups`);
  return { a, b, r, m: c.shape[r - 2]!, n: c.shape[r - 1]!, k: a.shape[r - 1]!, batchShape, batch };
}

/** The sizes of a matmul kernel: [batch…, m, k] · [batch…, k, n] (a chooser's input: `CompileOptions.chooseDotTiling`). */
export interface DotShape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** The product of the batch dims (1 for a plain matmul). */
  readonly batch: number;
}

export function dotShapeOf(plan: DotPlan): DotShape {
  const { m, n, k, batch } = dotDims(plan.contraction, "dot");
  return { m, n, k, batch };
}

export function dotKernel(plan: DotPlan, realized: ReadonlySet<Node>, name: string, tiling: DotTiling = DEFAULT_DOT_TILING): GeneratedKernel {
  const { root } = plan;
  const c = plan.contraction;
  const { a, b, m, n, k, batchShape, batch } = dotDims(c, name);
  if (plan.reductions.length === 0 && (tiling.variant ?? "registers") !== "loop") return tiledDotKernel(plan, realized, name, tiling);
  // With a prologue: the subgroup template takes one row per lane (as many threads as rows,
  // one `arow` per thread); the other variants' shapes are not made for it, the loop is.
  if (plan.reductions.length > 0 && tiling.variant === "subgroup") {
    // as wide as the tiling's lanes, which `dotTilingProblem` checked against the adapter
    const lanes = tiling.lanes ?? 8;
    return tiledDotKernel(plan, realized, name, { tm: lanes, tn: tiling.tn, wx: lanes, wy: 1, variant: "subgroup", lanes, ...(tiling.unrollK ? { unrollK: tiling.unrollK } : {}) });
  }
  if (plan.reductions.length > 0 && tiling.variant !== "loop") tiling = LOOP_DOT_TILING;
  const { tm, tn, wx, wy } = tiling;

  const w = new KernelWriter(realized, root, plan.inPlace);
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
  if (plan.prologueBase) writePrologue(w, plan.reductions, plan.prologueBase, { m, k, rows: tm * wy, threads: wx * wy }, extra);
  const t = w.type(c);
  w.line(`var acc: array<array<${t}, ${tn}>, ${tm}>;`);
  w.line(`var av: array<${t}, ${tm}>;`);
  w.line(`var bv: array<${t}, ${tn}>;`);
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
  w.line(t === "f32" ? `acc[i][j] = fma(av[i], bv[j], acc[i][j]);` : `acc[i][j] = acc[i][j] + av[i] * bv[j];`);
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
  reductions: readonly Node[],
  base: Node,
  dims: { readonly m: number; readonly k: number; readonly rows: number; readonly threads: number },
  extra: string[],
): void {
  const { m, k, rows, threads } = dims;
  const parts = Math.max(1, Math.floor(threads / rows));
  extra.push(`var<workgroup> scratch: array<f32, ${threads}>;`);
  w.line(`let mwg = i32(wid.y) * ${rows}i;`);
  w.line(`let prow = i32(lid) % ${rows}i;`);
  w.line(`let part = i32(lid) / ${rows}i;`);
  w.line(`let pm = min(mwg + prow, ${m - 1}i);`);
  reductions.forEach((r, p) => {
    const lower = opDef(r.op).lower as ReduceLowering;
    extra.push(`var<workgroup> pro${p}: array<f32, ${rows}>;`);
    w.line(`var pacc${p} = ${lower.identity(r.dtype)};`);
    w.open(`if (part < ${parts}i)`);
    w.open(`for (var pk = part; pk < ${k}i; pk += ${parts}i)`);
    // The operand's row-major position (batch bz, row pm, column pk) is the base's too.
    const index = unravelIndex(`((bz * ${m}i + pm) * ${k}i + pk)`, base.shape);
    w.line(`pacc${p} = ${lower.combine(`pacc${p}`, w.value(r.inputs[0]!, index), r.dtype)};`);
    w.close();
    w.close();
    w.line(`scratch[lid] = pacc${p};`);
    w.line(`workgroupBarrier();`);
    w.open(`if (part == 0i)`);
    w.line(`var t = scratch[prow];`);
    w.open(`for (var q = 1i; q < ${parts}i; q++)`);
    w.line(`t = ${lower.combine("t", `scratch[prow + q * ${rows}i]`, r.dtype)};`);
    w.close();
    w.line(`pro${p}[prow] = t;`);
    w.close();
    w.line(`workgroupBarrier();`);
    w.provide(r, () => `pro${p}[${w.inScope("arow") ? "arow" : "prow"}]`);
  });
}

// ------------------------------------------------------------------ tuned templates

/** The unrolled templates' variants (see DotTiling.variant). */
export type DotVariant = "loop" | "registers" | "subgroup" | "workgroup";

/**
 * The register-tiled templates: every thread keeps tm×tn accumulators in scalars (the k loop
 * is unrolled over the tile, so nothing is indexed dynamically), rows and columns of a thread
 * interleave with the workgroup's (row = block + ly + wy·i, col = block + lx + wx·j: adjacent
 * threads touch adjacent columns), and there is no early return: loads are clamped and stores
 * guarded, so subgroup operations and barriers stay in uniform control flow.
 *
 * - registers: each thread evaluates A's and B's expressions for its own rows and columns.
 * - subgroup: A's tm rows are loaded once per subgroup, lane l taking rows l, l+L, …
 *   (L = `lanes`), and handed to every lane with subgroupBroadcast; B is per lane as before.
 *   On lavapipe every per-lane load is a scalar load with a bounds check per lane, so this
 *   divides A's loads by the lane count; needs wy = 1 and subgroups ≥ L lanes.
 * - workgroup: the workgroup stages a (tm·wy)×bk tile of A and a bk×(tn·wx) tile of B in
 *   workgroup memory (each element evaluated through its expression, zero past K), then
 *   every thread runs bk steps out of it: the classic GPU layout, for adapters with real
 *   shared memory.
 */
/**
 * A workgroup no wider than the matrix: while half the threads across still cover every column,
 * use half (never fewer than one subgroup's lanes). The model's narrow matmuls (n = 32 in the
 * main job) otherwise leave most of a wide tiling's threads idle: on SwiftShader the main job's
 * training step (batch 16) took 1.96 s with 16 threads across and 1.44 s narrowed, the forward
 * 0.56 s and 0.33 s (`npx tsx bench/browser.ts`, one machine, back to back).
 */
function narrowed(tiling: DotTiling, n: number): DotTiling {
  const variant = tiling.variant ?? "registers";
  if (variant !== "subgroup" && variant !== "registers") return tiling;
  const least = variant === "subgroup" ? Math.min(tiling.lanes ?? 8, tiling.tm) : 1;
  let wx = tiling.wx;
  while (wx % 2 === 0 && wx / 2 >= least && tiling.tn * (wx / 2) >= n) wx /= 2;
  return wx === tiling.wx ? tiling : { ...tiling, wx };
}

/**
 * Columns per thread that waste few of the last workgroup's: when tn·wx columns a workgroup
 * leave over a tenth of the padded width idle, the tn (down to half) that pads least. Attention
 * over 197 tokens with tn 8 computes 256 columns for 197; tn 5 computes 200, and the scores
 * product ran 15–25 % faster (`SIZES=96x197x64x197 npx tsx bench/tilings.ts`, interleaved).
 */
export function fitted(tiling: DotTiling, n: number): DotTiling {
  const variant = tiling.variant ?? "registers";
  if (variant !== "subgroup" && variant !== "registers") return tiling;
  const padded = (tn: number) => Math.ceil(n / (tn * tiling.wx)) * tn * tiling.wx;
  if (padded(tiling.tn) - n <= 0.1 * padded(tiling.tn)) return tiling;
  let best = tiling.tn;
  for (let tn = tiling.tn - 1; tn >= Math.ceil(tiling.tn / 2); tn--) if (padded(tn) < padded(best)) best = tn;
  return best === tiling.tn ? tiling : { ...tiling, tn: best };
}

function tiledDotKernel(plan: DotPlan, realized: ReadonlySet<Node>, name: string, requested: DotTiling): GeneratedKernel {
  const c = plan.contraction;
  const { a, b, m, n, k, batchShape, batch } = dotDims(c, name);
  const tiling = plan.reductions.length > 0 ? requested : narrowed(fitted(requested, n), n);
  const { tm, tn, wx, wy } = tiling;
  const variant = tiling.variant ?? "registers";
  const lanes = Math.min(tiling.lanes ?? 8, tm);
  const unroll = Math.max(1, Math.min(tiling.unrollK ?? 1, k));
  const bk = Math.max(1, Math.min(tiling.bk ?? 8, k));
  if (variant === "subgroup" && (wy !== 1 || tm % lanes !== 0)) throw new Error(`${name}: the subgroup dot needs wy = 1 and tm a multiple of lanes (tm ${tm}, wy ${wy}, lanes ${lanes})`);
  const prologue = plan.reductions.length > 0;
  if (prologue && !(variant === "subgroup" && tm === lanes && wx >= tm && tiling.order !== "mn")) {
    throw new Error(`${name}: a matmul prologue needs the subgroup variant with tm = lanes ≤ wx (or the loop template)`);
  }
  const bm = tm * wy;
  const bn = tn * wx;
  const groupsN = Math.ceil(n / bn);
  const groupsM = Math.ceil(m / bm);
  const mFast = tiling.order === "mn";

  const w = new KernelWriter(realized, plan.root, plan.inPlace);
  const extra: string[] = [];
  w.open("");
  w.line(`let lx = i32(lid3.x);`);
  w.line(`let ly = i32(lid3.y);`);
  w.line(`let nblk = i32(wid.${mFast ? "y" : "x"}) * ${bn}i;`);
  w.line(`let mblk = i32(wid.${mFast ? "x" : "y"}) * ${bm}i;`);
  w.line(`let bz = i32(wid.z);`);
  const batchIdx = unravelInto(w, "bz", batchShape, "z");
  // The per-row reductions of a normalised left operand (see writePrologue): row l of the
  // workgroup's tm rows is thread l's, and lane l loads that row, so `arow` is the lane's.
  if (plan.prologueBase) writePrologue(w, plan.reductions, plan.prologueBase, { m, k, rows: tm, threads: wx }, extra);
  // Rows and columns this thread owns, clamped for loading.
  const rowOf = (i: number) => (wy === 1 ? `mblk + ${i}i` : `mblk + ly + ${wy * i}i`);
  const colOf = (j: number) => `nblk + lx + ${wx * j}i`;
  for (let j = 0; j < tn; j++) w.line(`let bn${j} = min(${colOf(j)}, ${n - 1}i);`);
  if (variant === "registers") for (let i = 0; i < tm; i++) w.line(`let am${i} = min(${rowOf(i)}, ${m - 1}i);`);
  if (variant === "subgroup") {
    w.line(`let lane = i32(sgid) % ${lanes}i;`);
    for (let q = 0; q < tm / lanes; q++) w.line(`let al${q} = min(mblk + lane + ${lanes * q}i, ${m - 1}i);`);
    if (prologue) w.line(`let arow = al0 - mwg;`);
  }
  // Accumulators in the contraction's type (f32, or i32 for an int32 matmul).
  const t = w.type(c);
  const zero = t === "f32" ? "0.0f" : `${t}(0)`;
  for (let i = 0; i < tm; i++) for (let j = 0; j < tn; j++) w.line(`var c${i}_${j}: ${t} = ${zero};`);

  const fmas = (av: (i: number) => string, bv: (j: number) => string) => {
    const bs = Array.from({ length: tn }, (_, j) => bv(j));
    for (let i = 0; i < tm; i++) {
      const ai = av(i);
      for (let j = 0; j < tn; j++) w.line(t === "f32" ? `c${i}_${j} = fma(${ai}, ${bs[j]}, c${i}_${j});` : `c${i}_${j} = c${i}_${j} + ${ai} * ${bs[j]};`);
    }
  };
  // One k step reading the operands through their expressions.
  const step = (kk: string) => {
    const bv = (j: number) => w.value(b, [...batchIdx, kk, `bn${j}`]);
    if (variant === "subgroup") {
      const shared = Array.from({ length: tm / lanes }, (_, q) => w.value(a, [...batchIdx, `al${q}`, kk]));
      const av = (i: number) => {
        const name = w.fresh("a");
        w.line(`let ${name} = subgroupBroadcast(${shared[Math.floor(i / lanes)]}, ${i % lanes}u);`);
        return name;
      };
      fmas(av, bv);
    } else {
      fmas((i) => w.value(a, [...batchIdx, `am${i}`, kk]), bv);
    }
  };
  const kLoop = (from: string, to: number, steps: number, body: (kk: (u: number) => string) => void, named = true) => {
    w.open(`for (var k0 = ${from}; k0 < ${to}i; k0 += ${steps}i)`);
    if (named) for (let u = 1; u < steps; u++) w.line(`let k${u} = k0 + ${u}i;`);
    body((u) => (u === 0 ? "k0" : `k${u}`));
    w.close();
  };

  if (variant === "workgroup") {
    const threads = wx * wy;
    extra.push(`var<workgroup> tileA: array<${t}, ${bk * bm}>;`, `var<workgroup> tileB: array<${t}, ${bk * bn}>;`);
    w.line(`let li = i32(lidx);`);
    kLoop("0i", k, bk, () => {
      // A tile, stored k-major ([bk][bm]); consecutive threads read consecutive k of a row.
      for (let u = 0; u * threads < bk * bm; u++) {
        w.open(bk * bm % threads === 0 || (u + 1) * threads <= bk * bm ? "" : `if (li + ${u * threads}i < ${bk * bm}i)`);
        w.line(`let ta${u} = li + ${u * threads}i;`);
        w.line(`let ka${u} = k0 + ta${u} % ${bk}i;`);
        w.line(`let ra${u} = min(mblk + ta${u} / ${bk}i, ${m - 1}i);`);
        w.line(`let kc${u} = min(ka${u}, ${k - 1}i);`);
        const v = w.value(a, [...batchIdx, `ra${u}`, `kc${u}`]);
        w.line(`tileA[(ta${u} % ${bk}i) * ${bm}i + ta${u} / ${bk}i] = select(${zero}, ${v}, ka${u} < ${k}i);`);
        w.close();
      }
      // B tile, [bk][bn]; consecutive threads read consecutive columns.
      for (let u = 0; u * threads < bk * bn; u++) {
        w.open(bk * bn % threads === 0 || (u + 1) * threads <= bk * bn ? "" : `if (li + ${u * threads}i < ${bk * bn}i)`);
        w.line(`let tb${u} = li + ${u * threads}i;`);
        w.line(`let kb${u} = k0 + tb${u} / ${bn}i;`);
        w.line(`let cb${u} = min(nblk + tb${u} % ${bn}i, ${n - 1}i);`);
        w.line(`let kd${u} = min(kb${u}, ${k - 1}i);`);
        const v = w.value(b, [...batchIdx, `kd${u}`, `cb${u}`]);
        w.line(`tileB[tb${u}] = select(${zero}, ${v}, kb${u} < ${k}i);`);
        w.close();
      }
      w.line(`workgroupBarrier();`);
      w.open(`for (var kt = 0i; kt < ${bk}i; kt++)`);
      const shared = (expr: string) => {
        const name = w.fresh("t");
        w.line(`let ${name} = ${expr};`);
        return name;
      };
      fmas(
        (i) => shared(`tileA[kt * ${bm}i + ${wy === 1 ? `${i}i` : `ly + ${wy * i}i`}]`),
        (j) => shared(`tileB[kt * ${bn}i + lx + ${wx * j}i]`),
      );
      w.close();
      w.line(`workgroupBarrier();`);
    }, false);
  } else {
    const main = k - (k % unroll);
    if (main > 0) kLoop("0i", main, unroll, (kk) => Array.from({ length: unroll }, (_, u) => step(kk(u))));
    if (main < k) kLoop(`${main}i`, k, 1, (kk) => step(kk(0)));
  }

  // Epilogue: the accumulators into an array, one guarded store (with the fused chain) each.
  w.line(`var acc = array<${t}, ${tm * tn}>(${Array.from({ length: tm * tn }, (_, x) => `c${Math.floor(x / tn)}_${x % tn}`).join(", ")});`);
  w.open(`for (var i = 0i; i < ${tm}i; i++)`);
  w.line(`let om = ${wy === 1 ? "mblk + i" : `mblk + ly + ${wy}i * i`};`);
  w.line(`if (om >= ${m}i) { break; }`);
  w.open(`for (var j = 0i; j < ${tn}i; j++)`);
  w.line(`let on = nblk + lx + ${wx}i * j;`);
  w.open(`if (on < ${n}i)`);
  w.line(`let pos = ${linearIndex([...batchIdx, "om", "on"], c.shape)};`);
  writeEpilogue(w, plan, `acc[i * ${tn}i + j]`, "pos");
  w.close();
  w.close();
  w.close();
  const body = w.close();
  const builtins = [
    "@builtin(workgroup_id) wid: vec3u",
    "@builtin(local_invocation_id) lid3: vec3u",
    ...(variant === "workgroup" ? ["@builtin(local_invocation_index) lidx: u32"] : []),
    ...(prologue ? ["@builtin(local_invocation_index) lid: u32"] : []),
    ...(variant === "subgroup" ? ["@builtin(subgroup_invocation_id) sgid: u32"] : []),
  ];
  const wgsl = assemble(w, plan, name, `@compute @workgroup_size(${wx}, ${wy}, 1)\nfn main(${builtins.join(", ")}) {`, body, extra);
  return {
    name,
    wgsl: variant === "subgroup" ? `enable subgroups;\n${wgsl}` : wgsl,
    bindings: w.bindings.map((x) => x.node),
    workgroups: mFast ? [groupsM, groupsN, batch] : [groupsN, groupsM, batch],
    plan,
    fused: [...w.fused],
    flops: 2 * batch * m * n * k,
  };
}
