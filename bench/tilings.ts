/**
 * @file Compare dot tilings through the real compiler on lavapipe (Vulkan): GPU time from
 * timestamp queries, rounds interleaved so machine noise hits all alike; median and best.
 * Sizes: N (square), MxKxN, BxMxKxN (batched); BT=1 stores B as [N, K] (a linear layer's weight).
 * Run: CONFIGS='[{"tm":16,"tn":4,"wx":8,"wy":1,"variant":"subgroup"}]' SIZES=512,1024 npx tsx bench/tilings.ts
 * (without CONFIGS: DOT_CANDIDATES)
 */
import * as c from "../src/dsl/core.js";
import { trace, spec } from "../src/dsl/transforms.js";
import { compileProgram } from "../src/runtime/webgpu/jit.js";
import { fromFlat } from "../src/dsl/host/array.js";
import { gpu } from "../src/runtime/webgpu/device.js";
const ctx = await gpu({ backends: ["vulkan"] });
import { DOT_CANDIDATES } from "../src/runtime/webgpu/dot-tiling.js";
import { type DotTiling } from "../src/compiler/wgsl/kernels/dot.js";
/** "N" (N×N·N×N), "MxKxN", or "BxMxKxN" (a batch of B). */
const shapes = (process.env.SIZES ?? "512").split(",").map((text) => {
  const d = text.split("x").map(Number);
  const [batch, m, k, n] = d.length === 1 ? [1, d[0]!, d[0]!, d[0]!] : d.length === 3 ? [1, ...d] : d;
  return { text, batch: batch!, m: m!, k: k!, n: n! };
});
const configs: DotTiling[] = process.env.CONFIGS ? JSON.parse(process.env.CONFIGS) : DOT_CANDIDATES;
for (const { text, batch, m, k, n } of shapes) {
  const lead = batch > 1 ? [batch] : [];
  const a = fromFlat(Float32Array.from({ length: batch * m * k }, () => Math.random()), "float32", [...lead, m, k]);
  // BT=1: B stored [N, K] and transposed in the program, as a linear layer's weight is.
  const bt = process.env.BT === "1";
  const b = fromFlat(Float32Array.from({ length: batch * k * n }, () => Math.random()), "float32", bt ? [...lead, n, k] : [...lead, k, n]);
  const progs = [];
  for (const t of configs) {
    const prog = await compileProgram(trace((x, y) => c.matmul(x, bt ? c.transpose(y) : y), [spec([...lead, m, k]), spec(bt ? [...lead, n, k] : [...lead, k, n])]), { dotTiling: t, context: ctx });
    await prog.profile([a, b], 1);
    progs.push({ t, prog, ms: [] as number[] });
  }
  const flops = 2 * batch * m * n * k;
  const reps = Number(process.env.REPS ?? (flops >= 2e9 ? 3 : 7));
  for (let r = 0; r < reps; r++) for (const p of progs) p.ms.push((await p.prog.profile([a, b], 1))[0]!.milliseconds);
  for (const p of progs) {
    const s = p.ms.sort((x, y) => x - y);
    const g = (ms: number) => (flops / ms / 1e6).toFixed(2);
    console.log(text.padStart(14), JSON.stringify(p.t).padEnd(80), "median", g(s[s.length >> 1]!), "best", g(s[0]!), "GFLOP/s");
  }
}
process.exit(0);
