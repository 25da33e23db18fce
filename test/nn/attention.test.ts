/**
 * @file Attention against a naive per-head JS implementation: scaledDotProductAttention on
 * [B, H, L, D] (with masks and Lq ≠ Lk), multi-head self-attention (packed projection path)
 * and cross-attention with Lq ≠ Lk in PyTorch's nn.MultiheadAttention parameter layout,
 * additive and causal masks; gradient checks for sdpa, self- and cross-attention.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as core from "../../src/dsl/core.js";
import { causalMask, multiheadAttention, scaledDotProductAttention, selfAttention } from "../../src/dsl/nn/index.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { expectClose, expectGradientsOk, linearNaive, randomTensor, randomValues, size, softmaxNaive, tensor, values } from "./helpers.js";

/**
 * Naive attention for one (batch, head): q [Lq, D], k [Lk, D], v [Lk, Dv] as row-major arrays,
 * mask(i, j) additive. Returns [Lq, Dv].
 */
function attendNaive(q: number[], k: number[], v: number[], lq: number, lk: number, d: number, dv: number, scale: number, mask: (i: number, j: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < lq; i++) {
    const scores = Array.from({ length: lk }, (_, j) => {
      let s = 0;
      for (let t = 0; t < d; t++) s += q[i * d + t]! * k[j * d + t]!;
      return s * scale + mask(i, j);
    });
    const p = softmaxNaive(scores);
    for (let t = 0; t < dv; t++) out.push(p.reduce((acc, pj, j) => acc + pj * v[j * dv + t]!, 0));
  }
  return out;
}

describe("scaledDotProductAttention", () => {
  test("matches naive attention on [B, H, L, D], with and without a mask, Lq ≠ Lk", () => {
    fc.assert(
      fc.property(
        fc.record({
          b: fc.integer({ min: 1, max: 2 }),
          h: fc.integer({ min: 1, max: 3 }),
          lq: fc.integer({ min: 1, max: 4 }),
          lk: fc.integer({ min: 1, max: 4 }),
          d: fc.integer({ min: 1, max: 4 }),
          dv: fc.integer({ min: 1, max: 3 }),
          masked: fc.boolean(),
          seed: fc.nat(),
        }),
        ({ b, h, lq, lk, d, dv, masked, seed }) => {
          const [q, qv] = randomTensor([b, h, lq, d], seed, -2, 2);
          const [k, kv] = randomTensor([b, h, lk, d], seed + 1, -2, 2);
          const [v, vv] = randomTensor([b, h, lk, dv], seed + 2);
          const [m, mv] = randomTensor([lq, lk], seed + 3, -3, 0);
          const y = scaledDotProductAttention(q, k, v, masked ? m : undefined);
          expect(y.shape).toEqual([b, h, lq, dv]);
          const expected: number[] = [];
          for (let g = 0; g < b * h; g++) {
            const part = (arr: number[], rows: number, cols: number) => arr.slice(g * rows * cols, (g + 1) * rows * cols);
            expected.push(
              ...attendNaive(part(qv, lq, d), part(kv, lk, d), part(vv, lk, dv), lq, lk, d, dv, 1 / Math.sqrt(d), (i, j) => (masked ? mv[i * lk + j]! : 0)),
            );
          }
          expectClose(values(y), expected, 1e-5, 1e-4);
        },
      ),
      { numRuns: 30 },
    );
  });

  test("custom scale; causal mask blocks later keys; bool masks are refused", () => {
    const [q, qv] = randomTensor([1, 1, 3, 2], 1);
    const [k, kv] = randomTensor([1, 1, 3, 2], 2);
    const [v, vv] = randomTensor([1, 1, 3, 2], 3);
    expect(values(causalMask(2, 3))).toEqual([0, -Infinity, -Infinity, 0, 0, -Infinity]);
    const y = scaledDotProductAttention(q, k, v, causalMask(3), { scale: 0.3 });
    expectClose(values(y), attendNaive(qv, kv, vv, 3, 3, 2, 2, 0.3, (i, j) => (j > i ? -Infinity : 0)), 1e-5, 1e-4);
    // the first query sees only the first value
    expectClose(values(y).slice(0, 2), vv.slice(0, 2), 1e-6, 0);
    expect(() => scaledDotProductAttention(q, k, v, core.less(core.iota([3, 3], 0), 1))).toThrow(/additive float32/);
  });

  test("gradients w.r.t. q, k and v (with a mask)", () => {
    const mask = tensor([0, -1, 0.5, 0, -2, 0], [2, 3]);
    expectGradientsOk((q, k, v) => scaledDotProductAttention(q!, k!, v!, mask), [
      { shape: [1, 2, 2, 3], data: randomValues(12, 1) },
      { shape: [1, 2, 3, 3], data: randomValues(18, 2) },
      { shape: [1, 2, 3, 2], data: randomValues(12, 3) },
    ]);
  });
});

interface MhaValues {
  w: number[];
  b: number[];
  wo: number[];
  bo: number[];
}

/** Naive nn.MultiheadAttention (batch_first): per batch, per head. */
function mhaNaive(q: number[], kv: [number[], number[]], batch: number, lq: number, lk: number, c: number, heads: number, p: MhaValues, mask?: (i: number, j: number) => number): number[] {
  const rows = (from: number) => p.w.slice(from * c * c, (from + 1) * c * c);
  const bias = (from: number) => p.b.slice(from * c, (from + 1) * c);
  const Q = linearNaive(q, rows(0), bias(0), c, c); // [B·Lq, C]
  const K = linearNaive(kv[0], rows(1), bias(1), c, c); // [B·Lk, C]
  const V = linearNaive(kv[1], rows(2), bias(2), c, c);
  const dh = c / heads;
  const merged = new Array<number>(batch * lq * c).fill(0);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      // gather head h: columns h·dh … (h+1)·dh
      const head = (m: number[], len: number) => {
        const out: number[] = [];
        for (let i = 0; i < len; i++) for (let t = 0; t < dh; t++) out.push(m[(b * len + i) * c + h * dh + t]!);
        return out;
      };
      const o = attendNaive(head(Q, lq), head(K, lk), head(V, lk), lq, lk, dh, dh, 1 / Math.sqrt(dh), mask ?? (() => 0));
      for (let i = 0; i < lq; i++) for (let t = 0; t < dh; t++) merged[(b * lq + i) * c + h * dh + t] = o[i * dh + t]!;
    }
  }
  return linearNaive(merged, p.wo, p.bo, c, c);
}

function mhaParams(c: number, seed: number): [MhaValues, { inProjWeight: AnyTensor; inProjBias: AnyTensor; outProj: { weight: AnyTensor; bias: AnyTensor } }] {
  const pv: MhaValues = {
    w: randomValues(3 * c * c, seed),
    b: randomValues(3 * c, seed + 1),
    wo: randomValues(c * c, seed + 2),
    bo: randomValues(c, seed + 3),
  };
  return [
    pv,
    {
      inProjWeight: tensor(pv.w, [3 * c, c]),
      inProjBias: tensor(pv.b, [3 * c]),
      outProj: { weight: tensor(pv.wo, [c, c]), bias: tensor(pv.bo, [c]) },
    },
  ];
}

const mhaCase = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  heads: fc.integer({ min: 1, max: 3 }),
  dh: fc.integer({ min: 1, max: 3 }),
  lq: fc.integer({ min: 1, max: 4 }),
  lk: fc.integer({ min: 1, max: 4 }),
  seed: fc.nat(),
});

describe("multiheadAttention (nn.MultiheadAttention layout)", () => {
  test("self-attention matches naive per-head attention", () => {
    fc.assert(
      fc.property(mhaCase, ({ batch, heads, dh, lq, seed }) => {
        const c = heads * dh;
        const [x, xv] = randomTensor([batch, lq, c], seed);
        const [pv, params] = mhaParams(c, seed + 10);
        const y = selfAttention(x, params, { numHeads: heads });
        expect(y.shape).toEqual([batch, lq, c]);
        const expected = mhaNaive(xv, [xv, xv], batch, lq, lq, c, heads, pv);
        expectClose(values(y), expected, 1e-5, 1e-4);
        // the packed (q = k = v) path and the separate-projection path agree
        const [x2] = randomTensor([batch, lq, c], seed);
        expectClose(values(multiheadAttention(x, x2, x2, params, { numHeads: heads })), expected, 1e-5, 1e-4);
      }),
      { numRuns: 25 },
    );
  });

  test("cross-attention with Lq ≠ Lk (and distinct key and value) matches naive", () => {
    fc.assert(
      fc.property(mhaCase, ({ batch, heads, dh, lq, lk, seed }) => {
        const c = heads * dh;
        const [q, qv] = randomTensor([batch, lq, c], seed);
        const [k, kv] = randomTensor([batch, lk + 1, c], seed + 1);
        const [v, vv] = randomTensor([batch, lk + 1, c], seed + 2);
        const [pv, params] = mhaParams(c, seed + 10);
        const y = multiheadAttention(q, k, v, params, { numHeads: heads });
        expect(y.shape).toEqual([batch, lq, c]);
        expectClose(values(y), mhaNaive(qv, [kv, vv], batch, lq, lk + 1, c, heads, pv), 1e-5, 1e-4);
      }),
      { numRuns: 25 },
    );
  });

  test("masks: additive [Lq, Lk], per-batch-and-head [B, H, Lq, Lk], causal", () => {
    const [batch, heads, c, lq, lk] = [2, 2, 4, 3, 2];
    const [q, qv] = randomTensor([batch, lq, c], 5);
    const [kv, kvv] = randomTensor([batch, lk, c], 6);
    const [pv, params] = mhaParams(c, 7);
    const [m, mv] = randomTensor([lq, lk], 8, -4, 0);
    expectClose(
      values(multiheadAttention(q, kv, kv, params, { numHeads: heads, mask: m })),
      mhaNaive(qv, [kvv, kvv], batch, lq, lk, c, heads, pv, (i, j) => mv[i * lk + j]!),
      1e-5,
      1e-4,
    );
    // a [B, H, Lq, Lk] mask equal in every batch and head gives the same answer
    const full = core.broadcastTo(m, [batch, heads, lq, lk]);
    expectClose(values(multiheadAttention(q, kv, kv, params, { numHeads: heads, mask: full })), values(multiheadAttention(q, kv, kv, params, { numHeads: heads, mask: m })), 1e-6, 0);
    const [x, xv] = randomTensor([1, 3, c], 9);
    expectClose(
      values(selfAttention(x, params, { numHeads: heads, mask: causalMask(3) })),
      mhaNaive(xv, [xv, xv], 1, 3, 3, c, heads, pv, (i, j) => (j > i ? -Infinity : 0)),
      1e-5,
      1e-4,
    );
  });

  test("shape errors name the problem", () => {
    const [x] = randomTensor([1, 2, 4], 1);
    const [, params] = mhaParams(4, 2);
    expect(() => selfAttention(x, params, { numHeads: 3 })).toThrow(/numHeads 3/);
    const [y] = randomTensor([1, 2, 6], 1);
    expect(() => selfAttention(y, params, { numHeads: 2 })).toThrow(/inProjWeight/);
  });

  const gradParams = (c: number) => [
    { shape: [3 * c, c], data: randomValues(3 * c * c, 31) },
    { shape: [3 * c], data: randomValues(3 * c, 32) },
    { shape: [c, c], data: randomValues(c * c, 33) },
    { shape: [c], data: randomValues(c, 34) },
  ];
  const asParams = (w: AnyTensor, b: AnyTensor, wo: AnyTensor, bo: AnyTensor) => ({ inProjWeight: w, inProjBias: b, outProj: { weight: wo, bias: bo } });

  test("gradients: self-attention w.r.t. input and all parameters", () => {
    const c = 4;
    expectGradientsOk(
      (x, w, b, wo, bo) => selfAttention(x!, asParams(w!, b!, wo!, bo!), { numHeads: 2 }),
      [{ shape: [1, 3, c], data: randomValues(3 * c, 30, -1.5, 1.5) }, ...gradParams(c)],
    );
  });

  test("gradients: cross-attention (Lq = 3, Lk = 2) w.r.t. query, key, value and in-projection, with a mask", () => {
    const c = 4;
    const mask = tensor([0, -1, 0.5, 0, -2, 0], [3, 2]);
    const [, fixed] = mhaParams(c, 40);
    const inputs = [
      { shape: [2, 3, c], data: randomValues(6 * c, 41, -1.5, 1.5) },
      { shape: [2, 2, c], data: randomValues(4 * c, 42, -1.5, 1.5) },
      { shape: [2, 2, c], data: randomValues(4 * c, 43, -1.5, 1.5) },
      { shape: [3 * c, c], data: randomValues(3 * c * c, 44) },
    ];
    expectGradientsOk((q, k, v, w) => multiheadAttention(q!, k!, v!, { ...fixed, inProjWeight: w! }, { numHeads: 2, mask }), inputs);
    expect(size(inputs[0]!.shape)).toBe(24);
  });
});
