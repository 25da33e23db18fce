/**
 * @file crossEntropy (label smoothing, reductions, ignoreIndex, leading dims) and mse against
 * naive JS; gradient checks.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { crossEntropy, mse } from "../../src/dsl/nn/index.js";
import { item } from "../../src/dsl/realize.js";
import { expectClose, expectGradientsOk, intTensor, randomTensor, randomValues, rng, tensor, values } from "./helpers.js";

/** Per-sample PyTorch cross-entropy with label smoothing ε (NaN-free for ignored samples: null). */
function crossEntropyNaive(z: readonly number[], labels: readonly number[], k: number, eps: number, ignore?: number): (number | null)[] {
  return labels.map((y, i) => {
    if (y === ignore) return null;
    const row = z.slice(i * k, (i + 1) * k);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, b) => a + Math.exp(b - m), 0));
    let loss = 0;
    for (let c = 0; c < k; c++) loss -= ((c === y ? 1 - eps : 0) + eps / k) * (row[c]! - lse);
    return loss;
  });
}

describe("crossEntropy", () => {
  test("matches naive PyTorch cross-entropy with label smoothing, for every reduction", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
        fc.integer({ min: 2, max: 6 }),
        fc.constantFrom(0, 0.1, 0.35, 1),
        fc.nat(),
        (lead, k, eps, seed) => {
          const n = lead.reduce((a, b) => a * b, 1);
          const [z, zv] = randomTensor([...lead, k], seed, -3, 3);
          const next = rng(seed + 1);
          const yv = Array.from({ length: n }, () => Math.floor(next() * k));
          const y = intTensor(yv, lead);
          const per = crossEntropyNaive(zv, yv, k, Math.fround(eps)) as number[];
          const got = crossEntropy(z, y, { labelSmoothing: eps, reduction: "none" });
          expect(got.shape).toEqual(lead);
          expectClose(values(got), per, 1e-5, 1e-4);
          const total = per.reduce((a, b) => a + b, 0);
          expect(item(crossEntropy(z, y, { labelSmoothing: eps, reduction: "sum" }))).toBeCloseTo(total, 4);
          const mean = crossEntropy(z, y, { labelSmoothing: eps });
          expect(mean.shape).toEqual([]);
          expect(item(mean)).toBeCloseTo(total / n, 5);
        },
      ),
      { numRuns: 40 },
    );
  });

  test("ignoreIndex: ignored samples add nothing and are not counted in the mean", () => {
    const [z, zv] = randomTensor([5, 3], 9, -2, 2);
    const yv = [2, -100, 0, 1, -100];
    const per = crossEntropyNaive(zv, yv, 3, Math.fround(0.2), -100);
    const kept = per.filter((p): p is number => p !== null);
    const opts = { labelSmoothing: 0.2, ignoreIndex: -100 };
    expect(item(crossEntropy(z, intTensor(yv, [5]), opts))).toBeCloseTo(kept.reduce((a, b) => a + b, 0) / kept.length, 5);
    expectClose(values(crossEntropy(z, intTensor(yv, [5]), { ...opts, reduction: "none" })), per.map((p) => p ?? 0), 1e-5, 1e-4);
  });

  test("refuses float labels and mismatched shapes", () => {
    const [z] = randomTensor([2, 3], 1);
    expect(() => crossEntropy(z, tensor([0, 1], [2]))).toThrow(/int32/);
    expect(() => crossEntropy(z, intTensor([0, 1, 2], [3]))).toThrow(/labels/);
  });

  test("gradients w.r.t. the logits (smoothing, ignoreIndex)", () => {
    const labels = intTensor([1, 3, 0], [3]);
    const logits = { shape: [3, 4], data: randomValues(12, 3, -2, 2) };
    expectGradientsOk((z) => crossEntropy(z!, labels, { labelSmoothing: 0.1 }), [logits]);
    expectGradientsOk((z) => crossEntropy(z!, intTensor([1, -1, 0], [3]), { ignoreIndex: -1 }), [logits]);
  });
});

describe("mse", () => {
  test("mean, sum and elementwise squared error match naive", () => {
    const [p, pv] = randomTensor([3, 5], 1);
    const [t, tv] = randomTensor([3, 5], 2);
    const sq = pv.map((x, i) => (x - tv[i]!) ** 2);
    const total = sq.reduce((a, b) => a + b, 0);
    expect(item(mse(p, t))).toBeCloseTo(total / 15, 6);
    expect(item(mse(p, t, { reduction: "sum" }))).toBeCloseTo(total, 5);
    expectClose(values(mse(p, t, { reduction: "none" })), sq, 1e-6, 1e-5);
    expect(() => mse(p, randomTensor([5, 3], 3)[0])).toThrow(/mse/);
  });

  test("gradients w.r.t. prediction and target", () => {
    expectGradientsOk((p, t) => mse(p!, t!), [
      { shape: [2, 3], data: randomValues(6, 4) },
      { shape: [2, 3], data: randomValues(6, 5) },
    ]);
  });
});
