/**
 * @file Where a cold start goes: compile a workload (default the main job's training step), then
 * time each kernel's first dispatch, which on lavapipe includes llvmpipe's shader compile (it
 * compiles a pipeline's code at its first dispatch, on the queue's one thread), summed by kernel
 * kind with the slowest kernels, then two more runs of the whole program.
 * Run: MESA_SHADER_CACHE_DISABLE=true npx tsx bench/cold-start.ts [WORKLOAD] (SHOW=k12_dot prints that kernel's WGSL)
 */
import { workload, workloadProgram } from "../src/cli/workloads.js";
import { compileProgram } from "../src/runtime/webgpu/jit.js";
import { gpu } from "../src/runtime/webgpu/device.js";
import { sizeOf } from "../src/dsl/host/view.js";
import { fromFlat } from "../src/dsl/host/array.js";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ctx = await gpu();
const program = workloadProgram(workload(process.argv[2] ?? "train-step:16"));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const prog = await compileProgram(program, { context: ctx, ...(process.env.DOT_TILING ? { dotTiling: JSON.parse(process.env.DOT_TILING) } : {}) });
const cpu1 = process.cpuUsage(cpu0);
const shaders = new Set(prog.graph.kernels.map((k) => k.wgsl.replace(/^\s*\/\/.*$/gm, ""))).size;
console.log(`compileProgram: ${prog.graph.kernels.length} kernels, ${shaders} distinct shaders, ${seconds(performance.now() - t0)} (CPU ${seconds((cpu1.user + cpu1.system) / 1e3)})`);

const inputs = program.inputs.map((node) => fromFlat(node.dtype === "int32" ? new Int32Array(sizeOf(node.shape)) : new Float32Array(sizeOf(node.shape)), node.dtype, node.shape));
const first = await prog.profile(inputs, 1);
const byKind = new Map<string, { ms: number; kernels: number }>();
for (const k of first) {
  const e = byKind.get(k.kind) ?? { ms: 0, kernels: 0 };
  byKind.set(k.kind, { ms: e.ms + k.milliseconds, kernels: e.kernels + 1 });
}
console.log(`first dispatches: ${[...byKind].map(([kind, e]) => `${kind} ${e.kernels} kernels ${seconds(e.ms)}`).join("; ")}`);
console.log(`slowest: ${[...first].sort((a, b) => b.milliseconds - a.milliseconds).slice(0, 8).map((k) => `${k.name} ${k.milliseconds.toFixed(0)} ms`).join(", ")}`);
if (process.env.SHOW) console.log(prog.graph.kernels.find((k) => k.name === process.env.SHOW)?.wgsl ?? `no kernel ${process.env.SHOW}`);
for (let i = 0; i < 2; i++) {
  const t = performance.now();
  await prog.run(inputs);
  console.log(`run ${i + 1}: ${seconds(performance.now() - t)}`);
}
prog.dispose();
process.exit(0);
