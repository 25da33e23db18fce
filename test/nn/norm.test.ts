/**
 * @file layerNorm and batchNorm against naive JS normalizations: layer rows have mean 0 and
 * variance 1 before the affine map; batch statistics per channel over all other dims; the
 * running-statistic update (momentum, unbiased variance); eval mode; gradient checks.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { batchNorm, layerNorm } from "../../src/dsl/nn/index.js";
import { expectClose, expectGradientsOk, randomTensor, randomValues, tensor, values } from "./helpers.js";

/** Naive layer norm of consecutive rows of length n, with optional per-position γ, β. */
function layerNormNaive(v: readonly number[], n: number, gamma?: readonly number[], beta?: readonly number[], eps = 1e-5): number[] {
  const out: number[] = [];
  for (let r = 0; r < v.length / n; r++) {
    const row = v.slice(r * n, (r + 1) * n);
    const mu = row.reduce((a, b) => a + b, 0) / n;
    const variance = row.reduce((a, b) => a + (b - mu) ** 2, 0) / n;
    row.forEach((z, i) => out.push(((z - mu) / Math.sqrt(variance + eps)) * (gamma?.[i] ?? 1) + (beta?.[i] ?? 0)));
  }
  return out;
}

const shapes = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }).filter((s) => s[s.length - 1]! >= 2);

describe("layerNorm", () => {
  test("without affine: each row has mean ≈ 0 and variance ≈ 1, matching naive", () => {
    fc.assert(
      fc.property(shapes, fc.nat(), (shape, seed) => {
        const [x, v] = randomTensor(shape, seed, -3, 5);
        const n = shape[shape.length - 1]!;
        const y = values(layerNorm(x));
        expectClose(y, layerNormNaive(v, n), 1e-4, 1e-4);
        for (let r = 0; r < y.length / n; r++) {
          const row = y.slice(r * n, (r + 1) * n);
          const mu = row.reduce((a, b) => a + b, 0) / n;
          const variance = row.reduce((a, b) => a + (b - mu) ** 2, 0) / n;
          const rawVar = (() => {
            const raw = v.slice(r * n, (r + 1) * n);
            const m = raw.reduce((a, b) => a + b, 0) / n;
            return raw.reduce((a, b) => a + (b - m) ** 2, 0) / n;
          })();
          // x − μ is rounded to f32 (|x| ≤ 5: ~1e-6 absolute), then divided by √(σ² + ε): a row
          // with little spread magnifies that rounding, so the bound on the mean grows with 1/σ.
          expect(Math.abs(mu)).toBeLessThan(Math.max(1e-5, 4e-6 / Math.sqrt(rawVar + 1e-5)));
          // ε = 1e-5 shrinks the variance a little below 1 when the row's spread is small
          expect(variance).toBeCloseTo(rawVar / (rawVar + 1e-5), 4);
        }
      }),
      { numRuns: 30 },
    );
  });

  test("with weight and bias matches naive (shape preserved)", () => {
    fc.assert(
      fc.property(shapes, fc.nat(), (shape, seed) => {
        const n = shape[shape.length - 1]!;
        const [x, v] = randomTensor(shape, seed);
        const [w, gv] = randomTensor([n], seed + 1, 0.5, 2);
        const [b, bv] = randomTensor([n], seed + 2);
        const y = layerNorm(x, { weight: w, bias: b });
        expect(y.shape).toEqual(shape);
        expectClose(values(y), layerNormNaive(v, n, gv, bv), 1e-4, 1e-4);
      }),
      { numRuns: 30 },
    );
  });

  test("normalizes over the trailing dims the parameters span; custom eps", () => {
    const [x, v] = randomTensor([3, 2, 4], 9);
    const [w, gv] = randomTensor([2, 4], 10);
    expectClose(values(layerNorm(x, { weight: w })), layerNormNaive(v, 8, gv), 1e-4, 1e-4);
    expectClose(values(layerNorm(x, {}, 0.5)), layerNormNaive(v, 4, undefined, undefined, 0.5), 1e-5, 1e-4);
  });

  test("refuses parameters that do not match the trailing dims", () => {
    const [x] = randomTensor([2, 4], 1);
    expect(() => layerNorm(x, { weight: tensor([1, 1, 1], [3]) })).toThrow(/layerNorm/);
  });

  test("gradients w.r.t. input, weight and bias", () => {
    expectGradientsOk((x, w, b) => layerNorm(x!, { weight: w, bias: b }), [
      { shape: [3, 4], data: randomValues(12, 1, -2, 2) },
      { shape: [4], data: randomValues(4, 2, 0.5, 1.5) },
      { shape: [4], data: randomValues(4, 3) },
    ]);
  });
});

/** Naive channels-last batch norm: x viewed as [n, C]. */
function batchNormNaive(
  v: readonly number[],
  c: number,
  p: { gamma: number[]; beta: number[]; mean: number[]; var: number[] },
  training: boolean,
  momentum = 0.1,
  eps = 1e-5,
) {
  const n = v.length / c;
  const mu = new Array<number>(c).fill(0);
  const sq = new Array<number>(c).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) mu[j]! += v[i * c + j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) sq[j]! += (v[i * c + j]! - mu[j]!) ** 2;
  const biased = sq.map((s) => s / n);
  const unbiased = sq.map((s) => s / (n - 1));
  const [m, s2] = training ? [mu, biased] : [p.mean, p.var];
  const y = v.map((z, i) => {
    const j = i % c;
    return ((z - m[j]!) / Math.sqrt(s2[j]! + eps)) * p.gamma[j]! + p.beta[j]!;
  });
  const runningMean = training ? p.mean.map((r, j) => (1 - momentum) * r + momentum * mu[j]!) : p.mean;
  const runningVar = training ? p.var.map((r, j) => (1 - momentum) * r + momentum * unbiased[j]!) : p.var;
  return { y, runningMean, runningVar };
}

describe("batchNorm (channels-last)", () => {
  const shapes5 = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }), fc.integer({ min: 1, max: 4 }));

  for (const training of [true, false]) {
    test(`${training ? "training" : "eval"}: output and running statistics match naive`, () => {
      fc.assert(
        fc.property(shapes5, fc.nat(), fc.double({ min: 0.01, max: 0.9, noNaN: true }), ([n, spatial, c], seed, momentum) => {
          const shape = [n + 1, ...spatial, c]; // at least 2 values per channel
          const [x, v] = randomTensor(shape, seed, -2, 3);
          const p = {
            gamma: randomValues(c, seed + 1, 0.5, 2),
            beta: randomValues(c, seed + 2),
            mean: randomValues(c, seed + 3),
            var: randomValues(c, seed + 4, 0.5, 2),
          };
          const { y, state } = batchNorm(
            x,
            { weight: tensor(p.gamma, [c]), bias: tensor(p.beta, [c]) },
            { runningMean: tensor(p.mean, [c]), runningVar: tensor(p.var, [c]) },
            { training, momentum },
          );
          const want = batchNormNaive(v, c, p, training, Math.fround(momentum));
          expect(y.shape).toEqual(shape);
          expectClose(values(y), want.y, 1e-4, 1e-4);
          expectClose(values(state.runningMean), want.runningMean, 1e-5, 1e-4);
          expectClose(values(state.runningVar), want.runningVar, 1e-5, 1e-4);
        }),
        { numRuns: 25 },
      );
    });
  }

  test("default momentum 0.1, no affine parameters, and normalized channels have mean 0 / var 1", () => {
    const [x, v] = randomTensor([4, 3, 2], 77, 1, 4);
    const ones = [1, 1];
    const zeros = [0, 0];
    const { y, state } = batchNorm(x, {}, { runningMean: tensor(zeros, [2]), runningVar: tensor(ones, [2]) }, { training: true });
    const want = batchNormNaive(v, 2, { gamma: ones, beta: zeros, mean: zeros, var: ones }, true);
    expectClose(values(y), want.y, 1e-4, 1e-4);
    expectClose(values(state.runningVar), want.runningVar, 1e-5, 1e-4);
    const out = values(y);
    for (let j = 0; j < 2; j++) {
      const col = out.filter((_, i) => i % 2 === j);
      const mu = col.reduce((a, b) => a + b, 0) / col.length;
      expect(Math.abs(mu)).toBeLessThan(1e-5);
      expect(col.reduce((a, b) => a + (b - mu) ** 2, 0) / col.length).toBeCloseTo(1, 3);
    }
  });

  test("training with one value per channel is refused (as PyTorch)", () => {
    const [x] = randomTensor([1, 3], 1);
    const s = { runningMean: tensor([0, 0, 0], [3]), runningVar: tensor([1, 1, 1], [3]) };
    expect(() => batchNorm(x, {}, s, { training: true })).toThrow(/more than one value/);
    expect(() => batchNorm(x, {}, s, { training: false })).not.toThrow();
  });

  test("gradients in training mode (through the batch statistics) and eval mode", () => {
    const inputs = [
      { shape: [3, 2, 3], data: randomValues(18, 4, -2, 2) },
      { shape: [3], data: randomValues(3, 5, 0.5, 1.5) },
      { shape: [3], data: randomValues(3, 6) },
    ];
    const state = { runningMean: tensor([0.1, -0.2, 0.3], [3]), runningVar: tensor([1, 0.5, 2], [3]) };
    for (const training of [true, false]) {
      expectGradientsOk((x, w, b) => batchNorm(x!, { weight: w, bias: b }, state, { training }).y, inputs);
    }
  });
});
