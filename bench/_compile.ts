import { workload, workloadProgram } from "../src/cli/workloads.js";
import { compileProgram } from "../src/runtime/webgpu/jit.js";
import { gpu } from "../src/runtime/webgpu/device.js";
const ctx = await gpu();
const program = workloadProgram(workload(process.argv[2] ?? "train-step:16"));
const c0 = process.cpuUsage();
const t = performance.now();
const prog = await compileProgram(program, { context: ctx, ...(process.env.TILING ? { dotTiling: JSON.parse(process.env.TILING) } : {}) });
const wall = (performance.now() - t) / 1000;
const cpu = process.cpuUsage(c0);
console.log(`kernels ${prog.graph.kernels.length} wall ${wall.toFixed(1)} s cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
import { sizeOf } from "../src/dsl/host/view.js";
import { fromFlat } from "../src/dsl/host/array.js";
const inputs = program.inputs.map((node) => fromFlat(node.dtype === "int32" ? new Int32Array(sizeOf(node.shape)) : new Float32Array(sizeOf(node.shape)), node.dtype, node.shape));
if (process.env.FIRST_PROFILE) {
  const t = await prog.profile(inputs, 1);
  const byKind = new Map<string, [number, number]>();
  for (const k of t) { const e = byKind.get(k.kind) ?? [0, 0]; e[0] += k.milliseconds; e[1]++; byKind.set(k.kind, e); }
  console.log([...byKind].map(([k, [ms, n]]) => `${k}: ${n} kernels ${(ms / 1000).toFixed(1)} s`).join("; "));
  if (process.env.SHOW) console.log(prog.graph.kernels.find((k) => k.name === process.env.SHOW)!.wgsl);
  console.log(t.sort((a, b) => b.milliseconds - a.milliseconds).slice(0, 12).map((k) => `${k.name} ${k.milliseconds.toFixed(0)}`).join(", "));
}
for (let i = 0; i < 2; i++) {
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  await prog.run(inputs);
  const c2 = process.cpuUsage(c1);
  console.log(`run ${i}: wall ${((performance.now() - t1) / 1000).toFixed(1)} s cpu ${((c2.user + c2.system) / 1e6).toFixed(1)} s`);
}
process.exit(0);
