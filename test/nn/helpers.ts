/**
 * @file Shared test helpers for the nn composites: a seeded host RNG for test data, tensors
 * from plain arrays, element-wise comparison with readable failures, a gradient-check
 * assertion, and small naive (plain JS) building blocks the oracles use.
 */
import { expect } from "vitest";
import * as core from "../../src/dsl/core.js";
import { checkGradients } from "../../src/dsl/gradcheck.js";
import { data } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { mulberry32 } from "../../src/dsl/random/mulberry32.js";

/** mulberry32: a small seeded generator for test inputs (independent of the DSL's RNG). */
export const rng = mulberry32;

/** n values uniform in [lo, hi), already rounded to float32 (what the tensor will hold). */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): number[] {
  const next = rng(seed);
  return Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * next()));
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function tensor(values: readonly number[], shape: readonly number[]): AnyTensor {
  if (values.length !== size(shape)) throw new Error(`tensor: ${values.length} values for shape [${shape}]`);
  return core.constant(Float32Array.from(values), shape, "float32");
}

export function intTensor(values: readonly number[], shape: readonly number[]): AnyTensor {
  return core.constant(Int32Array.from(values), shape, "int32");
}

/** A random float32 tensor and its values. */
export function randomTensor(shape: readonly number[], seed: number, lo = -1, hi = 1): [AnyTensor, number[]] {
  const v = randomValues(size(shape), seed, lo, hi);
  return [tensor(v, shape), v];
}

export function values(t: AnyTensor): number[] {
  return Array.from(data(t));
}

/** |a − e| ≤ atol + rtol·|e| for every element; fails naming the first bad index. */
export function expectClose(actual: readonly number[], expected: readonly number[], atol = 1e-5, rtol = 1e-4): void {
  expect(actual.length, "length").toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    const ok = a === e || Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) expect.fail(`element ${i}: got ${a}, expected ${e} (of ${expected.length})`);
  }
}

/** Finite-difference gradient check on tiny inputs: worst error ≤ 1. */
export function expectGradientsOk(f: (...xs: AnyTensor[]) => AnyTensor, inputs: readonly { shape: readonly number[]; data: ArrayLike<number> }[]): void {
  for (const x of inputs) expect(size(x.shape), "gradcheck inputs must stay tiny").toBeLessThanOrEqual(64);
  const { worst, where } = checkGradients(f, inputs);
  expect(worst, where).toBeLessThanOrEqual(1);
}

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Apply `fn` to every 1-D lane along `axis` (values gathered, results scattered back). */
export function mapLanes(v: readonly number[], shape: readonly number[], axis: number, fn: (lane: number[]) => number[]): number[] {
  const a = axis < 0 ? axis + shape.length : axis;
  const st = strides(shape);
  const n = shape[a]!;
  const out = new Array<number>(v.length).fill(NaN);
  for (let base = 0; base < v.length; base++) {
    // a lane starts where the axis coordinate is 0
    if (Math.floor(base / st[a]!) % n !== 0) continue;
    const idx = Array.from({ length: n }, (_, i) => base + i * st[a]!);
    const res = fn(idx.map((i) => v[i]!));
    idx.forEach((i, j) => (out[i] = res[j]!));
  }
  return out;
}

/** Naive row-major matrix product of [m, k] · [k, n] arrays. */
export function matmulNaive(a: readonly number[], b: readonly number[], m: number, k: number, n: number): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) out[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
  return out;
}

/**
 * erf by the Abramowitz–Stegun 7.1.26 rational approximation, refined: |error| < 1.5e-7, which
 * is below float32 resolution at the scales tested. Independent of the interpreter's erf.
 */
export function erfOracle(x: number): number {
  const s = Math.sign(x);
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return s * y;
}

export function softmaxNaive(lane: readonly number[]): number[] {
  const m = Math.max(...lane);
  const e = lane.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

/** Naive x·Wᵀ + b on rows of length inF; weight [outF, inF]. */
export function linearNaive(x: readonly number[], w: readonly number[], b: readonly number[] | undefined, inF: number, outF: number): number[] {
  const rows = x.length / inF;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = b?.[o] ?? 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i]! * w[o * inF + i]!;
      out.push(s);
    }
  }
  return out;
}
