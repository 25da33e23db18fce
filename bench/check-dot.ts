/**
 * @file Correctness of every matmul template against the CPU interpreter: odd shapes, batches,
 * a transposed operand, a broadcast batch, fused operand expressions and a fused epilogue.
 * Run: npx tsx bench/check-dot.ts   (exits 1 on any mismatch; WGT_BACKEND=vulkan|opengles picks the
 * backend; CHECK_QUICK=1 tries only the default, the adapter's table entry and the loop template)
 */
import * as wg from "../src/index.js";
import * as c from "../src/dsl/core.js";
import * as nn from "../src/dsl/nn/index.js";
import { gpu } from "../src/runtime/webgpu/device.js";
import { gpuJit } from "../src/runtime/webgpu/jit.js";
import { DEFAULT_DOT_TILING, type DotTiling } from "../src/compiler/wgsl/kernels/dot.js";
import { DOT_CANDIDATES, dotTilingFits, dotTilingFor } from "../src/runtime/webgpu/dot-tiling.js";

const ctx = await gpu();
const key = wg.Key.fromSeed(7);
let seed = 0;
const rand = (shape: number[]) => wg.normal(key.split(100)[seed++ % 100]!, shape);

type Case = { name: string; args: wg.AnyTensor[]; f: (...xs: wg.AnyTensor[]) => wg.AnyTensor };
const cases: Case[] = [
  { name: "37x53x29", args: [rand([37, 29]), rand([29, 53])], f: (a, b) => c.matmul(a!, b!) },
  { name: "batch3 17x9x33", args: [rand([3, 17, 33]), rand([3, 33, 9])], f: (a, b) => c.matmul(a!, b!) },
  { name: "transposed B (x·yᵀ) 40x31x23", args: [rand([40, 23]), rand([31, 23])], f: (a, b) => c.matmul(a!, c.transpose(b!)) },
  { name: "transposed A (xᵀ·y) 19x45x27", args: [rand([27, 19]), rand([27, 45])], f: (a, b) => c.matmul(c.transpose(a!), b!) },
  { name: "broadcast batch [2,3]x[1,...]", args: [rand([2, 3, 13, 21]), rand([1, 1, 21, 11])], f: (a, b) => c.matmul(a!, b!) },
  { name: "fused operand exp(a)·(b*2)", args: [rand([33, 17]), rand([17, 35])], f: (a, b) => c.matmul(c.exp(c.mul(a!, 0.25)), c.mul(b!, 2)) },
  { name: "epilogue relu(ab + bias)", args: [rand([29, 64]), rand([64, 47]), rand([47])], f: (a, b, bias) => c.relu(c.add(c.matmul(a!, b!), bias!)) },
  { name: "tiny 1x1x1", args: [rand([1, 1]), rand([1, 1])], f: (a, b) => c.matmul(a!, b!) },
  { name: "exact 64x64x64", args: [rand([64, 64]), rand([64, 64])], f: (a, b) => c.matmul(a!, b!) },
  { name: "k=5 (< unroll, < bk) 70x66", args: [rand([70, 5]), rand([5, 66])], f: (a, b) => c.matmul(a!, b!) },
  // Matmuls whose left operand is normalised (a per-row prologue in the loop template).
  { name: "layerNorm(x)·w 45x37x96", args: [rand([45, 96]), rand([96, 37])], f: (a, b) => c.matmul(nn.layerNorm(a as never), b!) },
  { name: "int32 matmul 21x19x34", args: [rand([21, 34]), rand([34, 19])], f: (a, b) => c.matmul(c.cast(c.mul(a!, 10), "int32"), c.cast(c.mul(b!, 10), "int32")) },
  { name: "softmax(x)·v 3x50x40x24", args: [rand([3, 50, 40]), rand([3, 40, 24])], f: (a, b) => c.matmul(nn.softmax(a as never), b!) },
];

const extraTilings: DotTiling[] = [
  { tm: 4, tn: 4, wx: 8, wy: 8, variant: "loop" },
  { tm: 8, tn: 4, wx: 8, wy: 1, variant: "registers", unrollK: 4, order: "mn" },
  { tm: 16, tn: 4, wx: 8, wy: 1, variant: "subgroup", lanes: 8, unrollK: 2, order: "mn" },
  { tm: 12, tn: 4, wx: 8, wy: 1, variant: "subgroup", lanes: 4 },
  { tm: 4, tn: 8, wx: 8, wy: 4, variant: "workgroup", bk: 4 },
  { tm: 3, tn: 5, wx: 6, wy: 5, variant: "workgroup", bk: 7 },
];
const tilings: DotTiling[] = [
  DEFAULT_DOT_TILING,
  dotTilingFor(ctx),
  ...DOT_CANDIDATES,
  ...extraTilings,
].filter((t, i) => dotTilingFits(ctx, t) && (!process.env.CHECK_QUICK || i < 2 || t.variant === "loop"));

let worst = 0;
let failures = 0;
for (const t of tilings) {
  for (const cs of cases) {
    const cpu = wg.data(wg.jit(cs.f)(...cs.args));
    const out = await gpuJit(cs.f, { dotTiling: t, context: ctx })(...cs.args);
    const got = wg.data(out);
    let err = 0;
    let mag = 1e-6;
    cpu.forEach((v, i) => {
      err = Math.max(err, Math.abs(v - got[i]!));
      mag = Math.max(mag, Math.abs(v));
    });
    const rel = err / mag;
    worst = Math.max(worst, rel);
    if (!(rel <= 1e-4) || got.length !== cpu.length) {
      failures++;
      console.log(`FAIL ${JSON.stringify(t)} ${cs.name}: max abs err ${err} (rel ${rel.toExponential(2)})`);
    }
  }
}
console.log(`backend ${ctx.backend}: ${ctx.info.description}`);
console.log(`${tilings.length} tilings x ${cases.length} cases, worst relative error ${worst.toExponential(2)}`);
console.log(`${tilings.length * cases.length - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
