/**
 * Kernel counts of the CLI's workloads under the two fusion settings (`npx tsx
 * scripts/kernel-counts.ts`): all fusions, and the CPU-adapter rule set (attention as separate
 * kernels, no layerNorm prologue, long-k transposed weights packed: B/16's forward has 16 such
 * packs, 165 → 181: `npx tsx scripts/kernel-counts.ts uniformerv2`). A refactor of the
 * schedule must keep these the same or fewer.
 */
import { compileGraph } from "../src/compiler/compile.js";
import { workload, workloadProgram } from "../src/cli/workloads.js";
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["matmul:256", "layernorm:64,32", "copy:1000", "attention:2,64,32", "block:2,16,64,4", "train-step:2"];
for (const name of names) {
  const program = workloadProgram(workload(name));
  const counts = [false, true].map((software) => {
    const started = performance.now();
    const graph = compileGraph(program.outputs, { maxStorageBuffers: software ? 8 : 10, fusion: software ? "cpu-adapter" : "all" });
    return `${graph.kernels.length} kernels (${((performance.now() - started) / 1000).toFixed(2)} s)`;
  });
  console.log(`${name.padEnd(20)} all fusions: ${counts[0]}   CPU-adapter rules: ${counts[1]}`);
}
