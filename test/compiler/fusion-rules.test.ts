/**
 * @file The fusion rule list (no GPU): its order, the CPU-adapter set, and the deprecated
 * flags taking a rule out or putting it back; a reduction read at another row than its row
 * kernel's gets a buffer from the schedule (codegen never has to undo a fusion).
 */
import { describe, expect, it } from "vitest";
import { workload, type FunctionWorkload } from "../../src/cli/workloads.js";
import { compileGraph } from "../../src/compiler/compile.js";
import { CPU_ADAPTER_RULES, FUSION_RULES, RULES } from "../../src/compiler/schedule.js";
import { trace } from "../../src/dsl/transforms.js";
import * as core from "../../src/dsl/core.js";
import { Node } from "../../src/dsl/node.js";
import { Tensor } from "../../src/dsl/tensor.js";

const block = workload("block:2,13,64,4") as FunctionWorkload;
const program = trace((...xs) => block.fn(...xs), block.specs);
const kinds = (options: Parameters<typeof compileGraph>[1]) => compileGraph(program.outputs, { maxStorageBuffers: 8, ...options }).kernels.map((k) => k.plan.kind);

describe("fusion rules", () => {
  it("are one ordered list, each with a reason; the CPU-adapter set leaves out attention and prologue and packs transposed operands", () => {
    expect(RULES.map((r) => r.name)).toEqual(["own-buffer", "attention", "epilogue", "prologue", "realize-reduction-operand", "row-phase", "pack-transposed-operand", "computable", "storage-limit"]);
    expect(RULES.every((r) => r.reason.length > 0)).toBe(true);
    expect(FUSION_RULES.map((r) => r.name)).toEqual(["own-buffer", "attention", "epilogue", "prologue", "realize-reduction-operand", "row-phase", "computable", "storage-limit"]);
    expect(CPU_ADAPTER_RULES.map((r) => r.name)).toEqual(["own-buffer", "epilogue", "realize-reduction-operand", "row-phase", "pack-transposed-operand", "computable", "storage-limit"]);
  });

  it("a rule set is selected by name, and the deprecated flags take a rule out or put it back", () => {
    expect(kinds({ fusion: "all" })).toEqual(["dot", "attention", "dot", "dot", "dot"]);
    expect(kinds({ fusion: "cpu-adapter" })).toEqual(kinds({ noAttention: true, noPrologue: true }));
    expect(kinds({ fusion: "cpu-adapter" })).toHaveLength(9);
    expect(kinds({ fusion: "cpu-adapter", noAttention: false, noPrologue: false })).toEqual(kinds({ fusion: "all" }));
  });

  it("a reduction read at another row than its kernel's gets a buffer in the schedule", () => {
    // s[i] summed over j, read back transposed: the row kernel of the result cannot compute it.
    const x = new Tensor(new Node("input", { name: "x", shape: [4, 4], dtype: "float32" }, [], [4, 4], "float32"));
    const s = core.expand(core.sum(x, [1], true), [4, 4]);
    const y = core.add(x, core.permute(s, [1, 0]));
    const compiled = compileGraph([y.node]);
    expect(compiled.kernels.map((k) => k.plan.kind)).toEqual(["row", "elementwise"]);
    for (const k of compiled.kernels) expect(new Set(k.bindings.slice(1))).toEqual(new Set(compiled.schedule.kernels.find((p) => p.root === k.plan.root)?.reads));
  });
});
