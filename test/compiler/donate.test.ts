/**
 * Donation (CompileOptions.donate): an output written straight into an input's buffer. Taken
 * only where no kernel reads the input after the writer, and where the writer, if it reads the
 * input, is elementwise and reads it at the element it writes; donated outputs leave the pool.
 * The runtime side (same numbers as the CPU, step after step) is in test/gpu/resident.test.ts.
 */
import { describe, expect, it } from "vitest";
import { compileGraph } from "../../src/compiler/compile.js";
import * as core from "../../src/dsl/core.js";
import { spec, trace, valueAndGrad } from "../../src/dsl/transforms.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import type { Node } from "../../src/dsl/node.js";

const donateAll = (n: number, inputs: readonly Node[]) => new Map(Array.from({ length: n }, (_, i) => [i, inputs[i]!] as const));

describe("donating inputs to outputs", () => {
  it("an SGD update is written over its parameter; the pool shrinks by it", () => {
    const step = (w: AnyTensor, x: AnyTensor) => {
      const [loss, g] = valueAndGrad((v: AnyTensor) => core.mean(core.square(core.tanh(core.matmul(x, v)))))(w);
      return [core.sub(w, core.mul(g, 0.1)), loss] as const;
    };
    const program = trace(step, [spec([64, 32]), spec([16, 64])]);
    const plain = compileGraph(program.outputs);
    const donated = compileGraph(program.outputs, { donate: donateAll(1, program.inputs) });
    expect(donated.aliases.get(donated.outputs[0]!)).toBe(program.inputs[0]);
    expect(plain.aliases.size).toBe(0);
    expect(donated.memory.pooledBytes).toBeLessThan(plain.memory.pooledBytes);
  });

  it("refused when a later kernel reads the input", () => {
    // out1 = w · out0 needs out0 = w + 1 first and reads w again: w must keep its old values.
    const program = trace((w: AnyTensor) => {
      const next = core.add(w, 1);
      return [next, core.matmul(w, next)] as const;
    }, [spec([8, 8])]);
    const graph = compileGraph(program.outputs, { donate: donateAll(1, program.inputs) });
    expect(graph.aliases.size).toBe(0);
    // Donating the product instead is also refused: the matmul reads w at other elements.
    expect(compileGraph(program.outputs, { donate: new Map([[1, program.inputs[0]!]]) }).aliases.size).toBe(0);
  });

  it("refused when the writer reads the input at other elements (a transpose), or is not elementwise", () => {
    const transposed = trace((w: AnyTensor) => [core.add(w, core.transpose(w))] as const, [spec([6, 6])]);
    expect(compileGraph(transposed.outputs, { donate: donateAll(1, transposed.inputs) }).aliases.size).toBe(0);
    const product = trace((w: AnyTensor) => [core.matmul(w, w)] as const, [spec([6, 6])]);
    expect(compileGraph(product.outputs, { donate: donateAll(1, product.inputs) }).aliases.size).toBe(0);
    const shape = trace((w: AnyTensor) => [core.sum(w, 0, true)] as const, [spec([6, 6])]);
    expect(compileGraph(shape.outputs, { donate: donateAll(1, shape.inputs) }).aliases.size).toBe(0);
  });

  it("an input passed straight through is not a kernel output: nothing to donate", () => {
    const program = trace((w: AnyTensor, x: AnyTensor) => [w, core.add(x, 1)] as const, [spec([4]), spec([4])]);
    expect(compileGraph(program.outputs, { donate: donateAll(1, program.inputs) }).aliases.size).toBe(0);
  });
});
