/**
 * @file Compare dot tilings by the wall time of whole runs (for adapters without timestamp
 * queries, e.g. Dawn's GLES backend): BK=opengles SIZES=1024 CONFIGS='[…]' npx tsx bench/tilings-wall.ts
 */
import * as c from "../src/dsl/core.js";
import { trace, spec } from "../src/dsl/transforms.js";
import { compileProgram } from "../src/runtime/webgpu/jit.js";
import { gpu } from "../src/runtime/webgpu/device.js";
import { fromFlat } from "../src/dsl/host/array.js";
import { type DotTiling } from "../src/compiler/wgsl/kernels/dot.js";
const ctx = await gpu(process.env.BK ? { backends: [process.env.BK as "vulkan"] } : {});
console.log(ctx.backend, ctx.info.description, [...ctx.device.features].join(","));
const sizes = (process.env.SIZES ?? "512").split(",").map(Number);
const configs: DotTiling[] = JSON.parse(process.env.CONFIGS!);
for (const n of sizes) {
  const a = fromFlat(Float32Array.from({ length: n * n }, () => Math.random()), "float32", [n, n]);
  const b = fromFlat(Float32Array.from({ length: n * n }, () => Math.random()), "float32", [n, n]);
  const progs = [];
  for (const t of configs) {
    const prog = await compileProgram(trace((x, y) => c.matmul(x, y), [spec([n, n]), spec([n, n])]), { dotTiling: t, context: ctx });
    const t0 = performance.now();
    await prog.run([a, b]);
    const first = performance.now() - t0;
    progs.push({ t, prog, ms: [] as number[], first });
  }
  const reps = Number(process.env.REPS ?? 5);
  for (let r = 0; r < reps; r++) for (const p of progs) { const t0 = performance.now(); await p.prog.run([a, b]); p.ms.push(performance.now() - t0); }
  for (const p of progs) {
    const s = p.ms.sort((x, y) => x - y);
    const g = (ms: number) => (2 * n ** 3 / ms / 1e6).toFixed(2);
    console.log(String(n).padStart(5), JSON.stringify(p.t).padEnd(75), "median", g(s[s.length >> 1]!), "best", g(s[0]!), "GFLOP/s e2e; first run", p.first.toFixed(0), "ms");
  }
}
process.exit(0);
