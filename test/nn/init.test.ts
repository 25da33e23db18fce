/**
 * @file Initializers: ranges and moments of uniform / normal / truncated normal draws, erfinv
 * against an independent erf, Glorot/He bounds and fans for linear and conv layouts,
 * determinism per key.
 */
import { describe, expect, test } from "vitest";
import * as core from "../../src/dsl/core.js";
import {
  erfinv,
  fans,
  kaimingNormal,
  kaimingUniform,
  keyTensor,
  normal,
  ones,
  truncNormal,
  uniform,
  xavierNormal,
  xavierUniform,
  zeros,
} from "../../src/dsl/nn/index.js";
import { Key } from "../../src/dsl/random/threefry.js";
import { erfOracle, expectClose, expectGradientsOk, tensor, values } from "./helpers.js";

const key = Key.fromSeed(2024);
const N = 8000;

function moments(v: readonly number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, std: Math.sqrt(variance) };
}

describe("init", () => {
  test("zeros and ones", () => {
    expect(values(zeros([2, 3]))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(values(ones([2]))).toEqual([1, 1]);
    expect(zeros([2, 3]).dtype).toBe("float32");
  });

  test("uniform: in [lo, hi), mean ≈ midpoint, deterministic per key, Key ≡ key tensor", () => {
    const v = values(uniform(key, [N], -3, 5));
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...v)).toBeLessThan(5);
    const { mean, std } = moments(v);
    expect(Math.abs(mean - 1)).toBeLessThan(0.1); // se ≈ 8/√12/√N ≈ 0.026
    expect(Math.abs(std - 8 / Math.sqrt(12))).toBeLessThan(0.05);
    expect(values(uniform(key, [N], -3, 5))).toEqual(v);
    expect(values(uniform(keyTensor(key), [N], -3, 5))).toEqual(v);
    expect(values(uniform(key.split(2)[0]!, [N], -3, 5))).not.toEqual(v);
  });

  test("normal (Box–Muller): mean, std and the 1σ / 2σ masses", () => {
    const v = values(normal(key, [N], 2, 0.5));
    const { mean, std } = moments(v);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.1); // se ≈ 0.022
    expect(Math.abs(std - 2)).toBeLessThan(0.08);
    const within = (s: number) => v.filter((x) => Math.abs(x - 0.5) < 2 * s).length / N;
    expect(Math.abs(within(1) - 0.6827)).toBeLessThan(0.025);
    expect(Math.abs(within(2) - 0.9545)).toBeLessThan(0.015);
    expect(v.every(Number.isFinite)).toBe(true);
  });

  test("erfinv inverts an independent erf on (−1, 1)", () => {
    const u = Array.from({ length: 199 }, (_, i) => Math.fround(-0.99 + i * 0.01));
    u.push(0.999, -0.9999, 0.99999);
    const x = values(erfinv(tensor(u, [u.length])));
    expectClose(x.map(erfOracle), u.map(Math.fround), 1e-6, 1e-6);
  });

  test("erfinv gradient", () => {
    expectGradientsOk((t) => erfinv(t), [{ shape: [5], data: [-0.9, -0.3, 0.05, 0.6, 0.97] }]);
  });

  test("truncNormal: inside [mean + lo·std, mean + hi·std] with the truncated normal's moments", () => {
    const [std, mean, lo, hi] = [0.5, 1, -2, 1];
    const v = values(truncNormal(key, [N], { std, mean, lo, hi }));
    expect(Math.min(...v)).toBeGreaterThanOrEqual(mean + lo * std - 1e-6);
    expect(Math.max(...v)).toBeLessThanOrEqual(mean + hi * std + 1e-6);
    // moments of N(0,1) truncated to [a, b]
    const phi = (z: number) => Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
    const Phi = (z: number) => 0.5 * (1 + erfOracle(z / Math.SQRT2));
    const Z = Phi(hi) - Phi(lo);
    const m1 = (phi(lo) - phi(hi)) / Z;
    const var1 = 1 + (lo * phi(lo) - hi * phi(hi)) / Z - m1 * m1;
    const got = moments(v);
    expect(Math.abs(got.mean - (mean + std * m1))).toBeLessThan(0.03);
    expect(Math.abs(got.std - std * Math.sqrt(var1))).toBeLessThan(0.03);
    // default ±2σ
    const d = values(truncNormal(key, [N]));
    expect(Math.max(...d.map(Math.abs))).toBeLessThanOrEqual(2);
  });

  test("fans follow the [out, ...K, in] layouts", () => {
    expect(fans([8, 16])).toEqual({ fanIn: 16, fanOut: 8 });
    expect(fans([6, 3, 3, 3, 2])).toEqual({ fanIn: 54, fanOut: 162 });
    expect(() => fans([4])).toThrow(/rank/);
  });

  test("xavier and kaiming: bounds and standard deviations", () => {
    const shape = [40, 50] as const;
    const xb = Math.sqrt(6 / 90);
    const xu = values(xavierUniform(key, shape));
    expect(Math.max(...xu.map(Math.abs))).toBeLessThanOrEqual(xb);
    expect(Math.max(...xu.map(Math.abs))).toBeGreaterThan(0.95 * xb);
    expect(Math.abs(moments(values(xavierNormal(key, shape, { gain: 2 }))).std - 2 * Math.sqrt(2 / 90))).toBeLessThan(0.01);
    const kb = Math.SQRT2 * Math.sqrt(3 / 50);
    const ku = values(kaimingUniform(key, shape));
    expect(Math.max(...ku.map(Math.abs))).toBeLessThanOrEqual(kb);
    expect(Math.max(...ku.map(Math.abs))).toBeGreaterThan(0.95 * kb);
    expect(Math.abs(moments(values(kaimingNormal(key, shape))).std - Math.SQRT2 / Math.sqrt(50))).toBeLessThan(0.01);
    // explicit fans override the shape's
    const custom = values(kaimingUniform(key, [3], { fanIn: 12, gain: 1 }));
    expect(Math.max(...custom.map(Math.abs))).toBeLessThanOrEqual(0.5);
  });

  test("initializers build constant-valued graphs (no inputs): usable inside traced code", () => {
    const w = normal(key, [2, 2]);
    expect(core.add(w, 1).shape).toEqual([2, 2]);
  });
});
