/**
 * @file WGT_DEBUG levels (read once from the environment):
 *   1  kernels per compiled program, and each run's wall time
 *   2  the graph after each pass
 *   3  the WGSL of every kernel
 *   4  every rewrite-rule firing
 */
import { topoSort, type Node } from "../dsl/node.js";

export const DEBUG_LEVEL = Number((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.WGT_DEBUG ?? 0) || 0;

export function debug(level: number, message: () => string): void {
  if (DEBUG_LEVEL >= level) console.error(`[wgtensor] ${message()}`);
}

export function showGraph(outputs: readonly Node[]): string {
  return topoSort(outputs)
    .map((n) => `  %${n.id} = ${n.op}(${n.inputs.map((i) => `%${i.id}`).join(", ")}) ${JSON.stringify(n.params).slice(0, 80)} : ${n.dtype}[${n.shape.join("x")}]`)
    .join("\n");
}
