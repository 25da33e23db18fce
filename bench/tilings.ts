/**
 * @file Compare dot tilings through the real compiler on lavapipe (Vulkan): GPU time from
 * timestamp queries, rounds interleaved so machine noise hits all alike; median and best.
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
const sizes = (process.env.SIZES ?? "512").split(",").map(Number);
const configs: DotTiling[] = process.env.CONFIGS ? JSON.parse(process.env.CONFIGS) : DOT_CANDIDATES;
for (const n of sizes) {
  const a = fromFlat(Float32Array.from({ length: n * n }, () => Math.random()), "float32", [n, n]);
  const b = fromFlat(Float32Array.from({ length: n * n }, () => Math.random()), "float32", [n, n]);
  const progs = [];
  for (const t of configs) {
    const prog = await compileProgram(trace((x, y) => c.matmul(x, y), [spec([n, n]), spec([n, n])]), { dotTiling: t, context: ctx });
    await prog.profile([a, b], 1);
    progs.push({ t, prog, ms: [] as number[] });
  }
  const reps = Number(process.env.REPS ?? (n >= 1024 ? 3 : 7));
  for (let r = 0; r < reps; r++) for (const p of progs) p.ms.push((await p.prog.profile([a, b], 1))[0]!.milliseconds);
  for (const p of progs) {
    const s = p.ms.sort((x, y) => x - y);
    const g = (ms: number) => (2 * n ** 3 / ms / 1e6).toFixed(2);
    console.log(String(n).padStart(5), JSON.stringify(p.t).padEnd(80), "median", g(s[s.length >> 1]!), "best", g(s[0]!), "GFLOP/s");
  }
}
process.exit(0);
