/**
 * API edges a careless user meets: impossible dims are ShapeMismatches naming the op and the
 * dim (never a RangeError from a typed array, never silently accepted), host data that int32
 * cannot hold is refused instead of truncated or wrapped, and `tensor` says what data it takes.
 */
import { describe, expect, it } from "vitest";
import * as wg from "../../src/index.js";

/** A shape the types would reject, as data from outside (a file, a computation) can give one. */
const untyped = (dims: unknown[]): [number] => dims as [number];

describe("API edges", () => {
  it.each([[-1], [1.5], [NaN], [Infinity]])("zeros([%s]) is a ShapeMismatch naming the dim", (d) => {
    expect(() => wg.zeros(untyped([d]))).toThrow(wg.ShapeMismatch);
    expect(() => wg.zeros(untyped([2, d]))).toThrow(/^full: dim 1 is .*: dims must be non-negative integers at /);
  });

  it("a string dim is a name: outside a trace it is a ShapeMismatch saying it is not bound", () => {
    expect(() => wg.zeros(["3"])).toThrow(wg.ShapeMismatch);
    expect(() => wg.zeros([2, "B"])).toThrow(/^full: named dim B in \[2, B\] is not bound: declare it in the specs .* or pass bindings such as \{ B: 2 \} at /);
  });

  it("a reshape to a fractional or negative size is refused the same way", () => {
    expect(() => wg.core.reshape(wg.zeros([6]), untyped([-2, -3]))).toThrow(wg.ShapeMismatch);
    expect(() => wg.core.full(untyped([2.5]), 1, "float32")).toThrow(/dim 0 is 2\.5/);
  });

  it("int32 data that is not an int32 is refused, not truncated or wrapped", () => {
    expect(() => wg.tensor([1.7], [1], "int32")).toThrow(/int32 data must be integers .* element 0 is 1\.7/);
    expect(() => wg.tensor([0, 1e10], [2], "int32")).toThrow(/element 1 is 10000000000/);
    expect(() => wg.tensor([NaN], [1], "int32")).toThrow(/element 0 is NaN/);
    expect(Array.from(wg.data(wg.tensor([-(2 ** 31), 2 ** 31 - 1], [2], "int32")))).toEqual([-(2 ** 31), 2 ** 31 - 1]);
  });

  it("tensor(undefined) and tensor(null) say what data tensor takes", () => {
    expect(() => wg.tensor(undefined as unknown as number)).toThrow(/tensor: data must be a number, a boolean, a \(nested\) array or a typed array, got undefined/);
    expect(() => wg.tensor(null as unknown as number)).toThrow(/got null/);
  });
});

describe("labels known as host data", () => {
  it("a cross-entropy label past the class count is refused, not a finite wrong loss", () => {
    const logits = wg.zeros([2, 3]);
    expect(() => wg.nn.crossEntropy(logits, wg.tensor([0, 3], [2], "int32"))).toThrow(/crossEntropy: label 1 is 3, not a class index in \[0, 3\)/);
    expect(() => wg.nn.crossEntropy(logits, wg.tensor([-1, 0], [2], "int32"))).toThrow(/label 0 is -1/);
    expect(wg.item(wg.nn.crossEntropy(logits, wg.tensor([-1, 0], [2], "int32"), { ignoreIndex: -1 }))).toBeCloseTo(Math.log(3) / 1, 5);
  });
});

describe("derivatives at the edges, as JAX takes them", () => {
  it("relu has derivative 0 at 0 (not the ½ of a tie), keeps NaN, and is 0 at −∞", () => {
    const g = wg.grad((x: wg.AnyTensor) => wg.sum(wg.core.relu(x)))(wg.tensor([-1, 0, 2], [3]));
    expect(Array.from(wg.data(g))).toEqual([0, 0, 1]);
    expect(Array.from(wg.data(wg.core.relu(wg.tensor([NaN, -Infinity, -0, 3], [4]))))).toEqual([NaN, 0, 0, 3]);
  });

  it("d/dx x⁰ is 0 at x = 0 (not 0·0⁻¹ = NaN)", () => {
    const g = wg.grad((x: wg.AnyTensor) => wg.sum(wg.core.pow(x, 0)))(wg.tensor([0, 2], [2]));
    expect(Array.from(wg.data(g))).toEqual([0, 0]);
    const g2 = wg.grad((x: wg.AnyTensor) => wg.sum(wg.core.pow(x, 2)))(wg.tensor([0, 3], [2]));
    expect(Array.from(wg.data(g2))).toEqual([0, 6]);
  });
});
