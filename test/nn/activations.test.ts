/**
 * @file Activations against naive JS: softmax / logSoftmax along any axis (rows sum to 1,
 * stable for large logits), GELU (exact and tanh), quickGELU, SiLU, ReLU, sigmoid; plus
 * finite-difference gradient checks for each.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as core from "../../src/dsl/core.js";
import { gelu, logSoftmax, quickGelu, relu, sigmoid, silu, softmax } from "../../src/dsl/nn/index.js";
import { erfOracle, expectClose, expectGradientsOk, mapLanes, randomTensor, randomValues, softmaxNaive, tensor, values } from "./helpers.js";

const shapeAndAxis = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })
  .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.nat()));

describe("softmax", () => {
  test("matches naive softmax along any axis, and each lane sums to 1", () => {
    fc.assert(
      fc.property(shapeAndAxis, ([shape, axis, seed]) => {
        const [x, v] = randomTensor(shape, seed, -4, 4);
        const got = values(softmax(x, axis));
        expectClose(got, mapLanes(v, shape, axis, softmaxNaive), 1e-6, 1e-5);
        const sums = mapLanes(got, shape, axis, (lane) => lane.map(() => lane.reduce((a, b) => a + b, 0)));
        expectClose(sums, sums.map(() => 1), 1e-5, 0);
      }),
      { numRuns: 30 },
    );
  });

  test("is stable for large logits and keeps the shape", () => {
    const x = tensor([1000, 1001, 1002, -1000, 0, 1000], [2, 3]);
    const y = softmax(x);
    expect(y.shape).toEqual([2, 3]);
    expectClose(values(y), [...softmaxNaive([0, 1, 2]), 0, 0, 1], 1e-6, 1e-5);
  });

  test("logSoftmax matches log of the naive softmax, also where softmax underflows", () => {
    fc.assert(
      fc.property(shapeAndAxis, ([shape, axis, seed]) => {
        const [x, v] = randomTensor(shape, seed, -4, 4);
        const expected = mapLanes(v, shape, axis, (lane) => {
          const m = Math.max(...lane);
          const lse = m + Math.log(lane.reduce((a, b) => a + Math.exp(b - m), 0));
          return lane.map((z) => z - lse);
        });
        expectClose(values(logSoftmax(x, axis)), expected, 1e-5, 1e-5);
      }),
      { numRuns: 30 },
    );
    // softmax(−200 vs 0) underflows to 0 in f32; its log is still exact
    expectClose(values(logSoftmax(tensor([0, -200], [2]))), [0, -200], 1e-5, 1e-6);
  });

  test("gradients", () => {
    const x = { shape: [2, 3], data: randomValues(6, 11, -2, 2) };
    expectGradientsOk((t) => softmax(t), [x]);
    expectGradientsOk((t) => softmax(t, 0), [x]);
    expectGradientsOk((t) => logSoftmax(t), [x]);
    expectGradientsOk((t) => logSoftmax(t, 0), [x]);
  });
});

describe("pointwise activations", () => {
  const v = randomValues(40, 3, -5, 5);
  const x = tensor(v, [5, 8]);
  const sig = (z: number) => 1 / (1 + Math.exp(-z));

  test("gelu (exact) = x·Φ(x)", () => {
    expectClose(values(gelu(x)), v.map((z) => 0.5 * z * (1 + erfOracle(z / Math.SQRT2))), 1e-6, 1e-5);
  });

  test("gelu (tanh approximation)", () => {
    const expected = v.map((z) => 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3))));
    expectClose(values(gelu(x, { approximate: "tanh" })), expected, 1e-6, 1e-5);
    // and it stays within 1e-3 of the exact one
    expectClose(values(gelu(x, { approximate: "tanh" })), values(gelu(x)), 1e-3, 0);
  });

  test("quickGelu = x·σ(1.702x), silu = x·σ(x), sigmoid, relu", () => {
    expectClose(values(quickGelu(x)), v.map((z) => z * sig(1.702 * z)), 1e-6, 1e-5);
    expectClose(values(silu(x)), v.map((z) => z * sig(z)), 1e-6, 1e-5);
    expectClose(values(sigmoid(x)), v.map(sig), 1e-6, 1e-5);
    expectClose(values(relu(x)), v.map((z) => Math.max(z, 0)), 0, 0);
  });

  test("refuse integer tensors", () => {
    const i = core.iota([3], 0);
    expect(() => gelu(i as never)).toThrow(/float32/);
    expect(() => softmax(i as never)).toThrow(/float32/);
  });

  test("gradients", () => {
    const g = { shape: [7], data: randomValues(7, 5, -3, 3) };
    expectGradientsOk((t) => gelu(t), [g]);
    expectGradientsOk((t) => gelu(t, { approximate: "tanh" }), [g]);
    expectGradientsOk((t) => quickGelu(t), [g]);
    expectGradientsOk((t) => silu(t), [g]);
    expectGradientsOk((t) => sigmoid(t), [g]);
  });
});
