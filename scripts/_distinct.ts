import { compileGraph } from "/work/main/src/compiler/compile.js";
import { workload, workloadProgram } from "/work/main/src/cli/workloads.js";
const program = workloadProgram(workload(process.argv[2] ?? "train-step:16"));
const graph = compileGraph(program.outputs, { maxStorageBuffers: 8, fusion: "cpu-adapter" });
const code = (w: string) => w.replace(/^\s*\/\/.*$/gm, "");
const byKind = new Map<string, Set<string>>();
const byKindNum = new Map<string, Set<string>>();
for (const k of graph.kernels) {
  const c = code(k.wgsl);
  (byKind.get(k.plan.kind) ?? byKind.set(k.plan.kind, new Set()).get(k.plan.kind)!).add(c);
  (byKindNum.get(k.plan.kind) ?? byKindNum.set(k.plan.kind, new Set()).get(k.plan.kind)!).add(c.replace(/\b\d+(\.\d+)?(e[+-]?\d+)?[fiu]?\b/g, "N"));
}
console.log("kernels", graph.kernels.length);
for (const [kind, s] of byKind) console.log(kind, "distinct", s.size, "without numbers", byKindNum.get(kind)!.size);
