/**
 * @file linear (PyTorch layout, weight [out, in]) against a naive JS x·Wᵀ + b over random
 * leading dims; initLinear's shapes and bounds; gradient checks.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { initLinear, linear, type LinearParams } from "../../src/dsl/nn/index.js";
import { Key } from "../../src/dsl/random/threefry.js";
import { expectClose, expectGradientsOk, linearNaive, randomTensor, randomValues, size, values } from "./helpers.js";

describe("linear", () => {
  test("x·Wᵀ + b over the last dim for any leading dims", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        fc.nat(),
        (lead, inF, outF, withBias, seed) => {
          const [x, xv] = randomTensor([...lead, inF], seed);
          const [w, wv] = randomTensor([outF, inF], seed + 1);
          const [b, bv] = randomTensor([outF], seed + 2);
          const y = linear(x, withBias ? { weight: w, bias: b } : { weight: w });
          expect(y.shape).toEqual([...lead, outF]);
          expectClose(values(y), linearNaive(xv, wv, withBias ? bv : undefined, inF, outF), 1e-5, 1e-5);
        },
      ),
      { numRuns: 40 },
    );
  });

  test("refuses a weight whose in-features differ from the input's last dim", () => {
    const [x] = randomTensor([2, 3], 1);
    const [w] = randomTensor([4, 5], 2);
    expect(() => linear(x, { weight: w })).toThrow(/in-features 5/);
  });

  test("initLinear: PyTorch's U(−1/√in, 1/√in) for weight and bias, deterministic per key", () => {
    const p = initLinear(Key.fromSeed(3), 16, 8);
    expect(p.weight.shape).toEqual([8, 16]);
    expect(p.bias!.shape).toEqual([8]);
    const w = values(p.weight);
    const bound = 1 / Math.sqrt(16);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(values(initLinear(Key.fromSeed(3), 16, 8).weight)).toEqual(w);
    expect(values(initLinear(Key.fromSeed(4), 16, 8).weight)).not.toEqual(w);
    const noBias: LinearParams = initLinear(Key.fromSeed(3), 16, 8, { bias: false });
    expect(noBias.bias).toBeUndefined();
  });

  test("gradients w.r.t. input, weight and bias", () => {
    const shapes = [[2, 2, 3], [4, 3], [4]];
    expectGradientsOk(
      (x, w, b) => linear(x!, { weight: w!, bias: b }),
      shapes.map((shape, i) => ({ shape, data: randomValues(size(shape), 20 + i) })),
    );
  });
});
