/**
 * @file dropout and dropPath: the zero fraction is ≈ rate, kept values are scaled by
 * 1/(1 − rate), the mask is the documented rule (u < 1 − rate, u the key's uniform stream) and
 * deterministic per key, evaluation and rate 0 are the identity; gradient checks with a fixed key.
 */
import { describe, expect, test } from "vitest";
import * as core from "../../src/dsl/core.js";
import { dropPath, dropout, keyTensor } from "../../src/dsl/nn/index.js";
import { Key, randomBitsAt, uniformFromBits } from "../../src/dsl/random/threefry.js";
import { expectClose, expectGradientsOk, randomTensor, randomValues, values } from "./helpers.js";

const key = Key.fromSeed(42);

describe("dropout", () => {
  test("zeros ≈ rate of the elements and scales the rest by 1/(1 − rate)", () => {
    for (const rate of [0.1, 0.5, 0.8]) {
      const n = 10000;
      const [x, v] = randomTensor([100, 100], 1, 0.5, 1.5);
      const y = values(dropout(x, rate, key, true));
      const zeros = y.filter((z) => z === 0).length / n;
      expect(Math.abs(zeros - rate), `rate ${rate}: zero fraction ${zeros}`).toBeLessThan(0.02);
      const scale = 1 / (1 - rate);
      y.forEach((z, i) => {
        if (z !== 0) expect(Math.abs(z - v[i]! * scale)).toBeLessThanOrEqual(1e-6 * Math.abs(z));
      });
    }
  });

  test("the mask is element i kept iff u_i < 1 − rate, u the key's uniform stream", () => {
    const rate = 0.3;
    const n = 257;
    const [x, v] = randomTensor([n], 2, 1, 2);
    const y = values(dropout(x, rate, key, true));
    const expected = v.map((z, i) => (uniformFromBits(randomBitsAt(key.k0, key.k1, i, n)) < 1 - Math.fround(rate) ? z / (1 - rate) : 0));
    expectClose(y, expected, 0, 1e-6);
  });

  test("deterministic for a key; a Key and its key tensor agree; other keys differ", () => {
    const [x] = randomTensor([6, 7], 3);
    const a = values(dropout(x, 0.5, key));
    expect(values(dropout(x, 0.5, key))).toEqual(a);
    expect(values(dropout(x, 0.5, keyTensor(key)))).toEqual(a);
    expect(values(dropout(x, 0.5, key.split(2)[1]!))).not.toEqual(a);
  });

  test("identity in eval and at rate 0; rate 1 drops everything; bad rates are refused", () => {
    const [x, v] = randomTensor([3, 4], 4);
    expect(dropout(x, 0.5, key, false)).toBe(x);
    expect(dropout(x, 0, key, true)).toBe(x);
    expect(values(dropout(x, 1, key, true))).toEqual(v.map(() => 0));
    expect(() => dropout(x, 1.5, key)).toThrow(/rate/);
    expect(() => dropout(x, 0.5, core.iota([2], 0, "float32"))).toThrow(/int32 \[2\]/);
  });

  test("gradient with a fixed key is the mask scaled by 1/(1 − rate)", () => {
    const k = keyTensor(Key.fromSeed(7));
    expectGradientsOk((x) => dropout(x, 0.4, k, true), [{ shape: [4, 5], data: randomValues(20, 5) }]);
  });
});

describe("dropPath (stochastic depth)", () => {
  test("drops whole samples along the leading dim, ≈ rate of them, and scales the kept ones", () => {
    const rate = 0.25;
    const [x, v] = randomTensor([4000, 3], 6, 0.5, 1.5);
    const y = values(dropPath(x, rate, key, true));
    let dropped = 0;
    for (let s = 0; s < 4000; s++) {
      const row = y.slice(3 * s, 3 * s + 3);
      if (row.every((z) => z === 0)) dropped++;
      else row.forEach((z, j) => expect(Math.abs(z - v[3 * s + j]! / (1 - rate))).toBeLessThanOrEqual(1e-6 * Math.abs(z)));
    }
    expect(Math.abs(dropped / 4000 - rate)).toBeLessThan(0.03);
  });

  test("one draw per sample for any rank; identity in eval and at rate 0", () => {
    const [x] = randomTensor([6, 2, 3, 2], 7);
    const y = values(dropPath(x, 0.5, key, true));
    for (let s = 0; s < 6; s++) {
      const block = y.slice(12 * s, 12 * s + 12);
      expect(block.every((z) => z === 0) || block.every((z) => z !== 0)).toBe(true);
    }
    expect(dropPath(x, 0.5, key, false)).toBe(x);
    expect(dropPath(x, 0, key, true)).toBe(x);
  });

  test("gradient with a fixed key", () => {
    const k = keyTensor(Key.fromSeed(3));
    expectGradientsOk((x) => dropPath(x, 0.5, k, true), [{ shape: [6, 2, 2], data: randomValues(24, 8) }]);
  });
});
