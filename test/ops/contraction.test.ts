/**
 * dot / matmul and N-d conv against naive loops written here.
 *
 * Tolerance: both sides accumulate in f64 and round once to f32, so
 * |got − ref| ≤ 2⁻²³·|ref| + 1e-12·Σ|terms| (one f32 rounding, plus f64 reassociation).
 * int32 dot is exact (wrapping on store).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { convOutSize } from "../../src/dsl/ops/conv.js";
import { registry } from "../../src/dsl/ops/registry.js";
import { data } from "../../src/dsl/realize.js";
import { expectSame, f32, F32_EPS, ft, it32, prod, range, ravel, shapeArb, unravel, valuesArb } from "./helpers.js";

const RUNS = { numRuns: 40 };

function expectContractionClose(got: ArrayLike<number>, ref: { out: number[]; abs: number[] }, what: string): void {
  expect(got.length, `${what} length`).toBe(ref.out.length);
  ref.out.forEach((r, i) => {
    if (!(Math.abs(got[i]! - r) <= F32_EPS * Math.abs(r) + 1e-12 * ref.abs[i]! + 2 ** -149)) {
      expect.fail(`${what} element ${i}: got ${got[i]}, expected ${r}`);
    }
  });
}

/** Naive batched matmul with numpy batch broadcasting: a [...ba, M, K] · b [...bb, K, N]. */
function naiveMatmul(as: readonly number[], aShape: readonly number[], bs: readonly number[], bShape: readonly number[]) {
  const [m, k] = aShape.slice(-2) as [number, number];
  const n = bShape[bShape.length - 1]!;
  const ba = aShape.slice(0, -2);
  const bb = bShape.slice(0, -2);
  const rank = Math.max(ba.length, bb.length);
  const batch = range(rank).map((d) => Math.max(ba[d - (rank - ba.length)] ?? 1, bb[d - (rank - bb.length)] ?? 1));
  const pick = (shape: readonly number[], idx: readonly number[]) =>
    ravel(shape.map((s, d) => (s === 1 ? 0 : idx[idx.length - shape.length + d]!)), shape);
  const out: number[] = [];
  const abs: number[] = [];
  for (let bi = 0; bi < prod(batch); bi++) {
    const idx = unravel(bi, batch);
    const oa = pick(ba, idx) * m * k;
    const ob = pick(bb, idx) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let t = 0;
        for (let p = 0; p < k; p++) {
          const v = as[oa + i * k + p]! * bs[ob + p * n + j]!;
          s += v;
          t += Math.abs(v);
        }
        out.push(s);
        abs.push(t);
      }
    }
  }
  return { out, abs, shape: [...batch, m, n] };
}

describe("dot / matmul", () => {
  it("dot with equal batch dims equals a triple loop", () => {
    const arb = fc
      .tuple(shapeArb(0, 2, 1, 3), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))
      .chain(([batch, m, k, n]) =>
        fc.tuple(fc.constant({ a: [...batch, m, k], b: [...batch, k, n] }), valuesArb(prod(batch) * m * k, f32(-10, 10)), valuesArb(prod(batch) * k * n, f32(-10, 10))),
      );
    fc.assert(
      fc.property(arb, ([{ a, b }, as, bs]) => {
        const y = core.dot(ft(a, as), ft(b, bs));
        const ref = naiveMatmul(as, a, bs, b);
        expect(y.shape).toEqual(ref.shape);
        expect(registry().dot.shape([{ shape: a, dtype: "float32" }, { shape: b, dtype: "float32" }], {}).shape).toEqual(ref.shape);
        expectContractionClose(data(y), ref, "dot");
      }),
      RUNS,
    );
  });

  it("matmul broadcasts batch dims (numpy rules)", () => {
    const arb = fc
      .tuple(shapeArb(0, 3, 1, 3), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.nat(3), fc.nat(3), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }))
      .chain(([batch, onesA, onesB, dropA, dropB, m, k, n]) => {
        const ba = batch.slice(Math.min(dropA, batch.length)).map((d, i) => (onesA[i] ? 1 : d));
        const bb = batch.slice(Math.min(dropB, batch.length)).map((d, i) => (onesB[i] ? 1 : d));
        const a = [...ba, m, k];
        const b = [...bb, k, n];
        return fc.tuple(fc.constant({ a, b }), valuesArb(prod(a), f32(-10, 10)), valuesArb(prod(b), f32(-10, 10)));
      });
    fc.assert(
      fc.property(arb, ([{ a, b }, as, bs]) => {
        const y = core.matmul(ft(a, as), ft(b, bs));
        const ref = naiveMatmul(as, a, bs, b);
        expect(y.shape).toEqual(ref.shape);
        expectContractionClose(data(y), ref, "matmul");
      }),
      RUNS,
    );
  });

  it("propagates NaN and ∞ like IEEE products (0 · ∞ = NaN; a zero operand is not skipped)", () => {
    expectSame(data(core.matmul(ft([1, 2], [0, 1]), ft([2, 1], [NaN, 2]))), [NaN]);
    expectSame(data(core.matmul(ft([1, 1], [0]), ft([1, 1], [Infinity]))), [NaN]);
    expectSame(data(core.matmul(ft([1, 2], [1, 1]), ft([2, 2], [Infinity, 1, -Infinity, 2]))), [NaN, 3]);
    expectSame(data(core.matmul(ft([1, 2], [2, 0]), ft([2, 1], [Infinity, 5]))), [Infinity]);
  });

  it("operands that are views (transposed, flipped, padded) and int32 (exact, wrapping)", () => {
    const a = ft([3, 2], [1, 2, 3, 4, 5, 6]);
    const y = core.matmul(core.transpose(a), core.flip(a, 0)); // [2,3]·[3,2]
    expectSame(data(y), [1 * 5 + 3 * 3 + 5 * 1, 1 * 6 + 3 * 4 + 5 * 2, 2 * 5 + 4 * 3 + 6 * 1, 2 * 6 + 4 * 4 + 6 * 2]);
    const p = core.pad(a, [[0, 0], [0, 1]], 1); // [3,3] with a column of ones
    expectSame(data(core.matmul(p, core.transpose(p))).slice(0, 3), [1 + 4 + 1, 3 + 8 + 1, 5 + 12 + 1]);
    const big = 2 ** 30;
    expectSame(data(core.matmul(it32([1, 2], [big, 3]), it32([2, 1], [4, 5]))), [15]); // 2³²+15 wraps to 15
  });
});

// ---------------------------------------------------------------- conv

interface ConvCase {
  readonly x: number[]; // [N, ...S, Cin]
  readonly w: number[]; // [Cout, ...K, Cin/groups]
  readonly stride: number[];
  readonly padding: [number, number][];
  readonly dilation: number[];
  readonly groups: number;
}

/** Direct N-d convolution, channels-last, with groups, stride, dilation and [lo, hi] padding. */
function naiveConv(c: ConvCase, xs: readonly number[], ws: readonly number[]) {
  const r = c.x.length - 2;
  const [batch, cin] = [c.x[0]!, c.x[r + 1]!];
  const cout = c.w[0]!;
  const S = c.x.slice(1, r + 1);
  const K = c.w.slice(1, r + 1);
  const cig = cin / c.groups;
  const cog = cout / c.groups;
  const O = S.map((s, d) => Math.floor((s + c.padding[d]![0] + c.padding[d]![1] - c.dilation[d]! * (K[d]! - 1) - 1) / c.stride[d]!) + 1);
  const out: number[] = [];
  const abs: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < prod(O); o++) {
      const oi = unravel(o, O);
      for (let co = 0; co < cout; co++) {
        const g = Math.floor(co / cog);
        let s = 0;
        let t = 0;
        for (let k = 0; k < prod(K); k++) {
          const ki = unravel(k, K);
          const ii = oi.map((v, d) => v * c.stride[d]! + ki[d]! * c.dilation[d]! - c.padding[d]![0]);
          if (ii.some((v, d) => v < 0 || v >= S[d]!)) continue;
          for (let ci = 0; ci < cig; ci++) {
            const xv = xs[ravel([b, ...ii, g * cig + ci], c.x)]!;
            const wv = ws[ravel([co, ...ki, ci], c.w)]!;
            s += xv * wv;
            t += Math.abs(xv * wv);
          }
        }
        out.push(s);
        abs.push(t);
      }
    }
  }
  return { out, abs, shape: [batch, ...O, cout] };
}

/** Random valid conv problems: rank 1–3, groups dividing channels (depthwise often), output ≥ 1. */
const convCaseArb: fc.Arbitrary<ConvCase> = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.constantFrom("plain", "depthwise"))
  .chain(([r, batch, groups, perGroupIn, mode]) => {
    const maxS = r === 3 ? 4 : r === 2 ? 6 : 9;
    const dim = fc.record({
      s: fc.integer({ min: 1, max: maxS }),
      k: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 3 }),
      dil: fc.integer({ min: 1, max: 2 }),
      lo: fc.integer({ min: 0, max: 2 }),
      hi: fc.integer({ min: 0, max: 2 }),
    });
    return fc.tuple(fc.array(dim, { minLength: r, maxLength: r }), fc.integer({ min: 1, max: 2 })).map(([dims, perGroupOut]): ConvCase => {
      const [cin, cout] = mode === "depthwise" ? [groups, groups] : [groups * perGroupIn, groups * perGroupOut];
      const fixed = dims.map((d) => {
        // Grow hi padding until the dilated window fits.
        const reach = d.dil * (d.k - 1) + 1;
        const short = reach - (d.s + d.lo + d.hi);
        return { ...d, hi: d.hi + Math.max(short, 0) };
      });
      return {
        x: [batch, ...fixed.map((d) => d.s), cin],
        w: [cout, ...fixed.map((d) => d.k), cin / groups],
        stride: fixed.map((d) => d.stride),
        padding: fixed.map((d) => [d.lo, d.hi]),
        dilation: fixed.map((d) => d.dil),
        groups,
      };
    });
  });

const withValues = (c: ConvCase) => fc.tuple(fc.constant(c), valuesArb(prod(c.x), f32(-4, 4)), valuesArb(prod(c.w), f32(-4, 4)));

describe("conv", () => {
  it("1-D, 2-D and 3-D with random stride / [lo, hi] padding / dilation / groups equal direct loops", () => {
    fc.assert(
      fc.property(convCaseArb.chain(withValues), ([c, xs, ws]) => {
        const y = core.conv(ft(c.x, xs), ft(c.w, ws), { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });
        const ref = naiveConv(c, xs, ws);
        expect(y.shape).toEqual(ref.shape);
        expectContractionClose(data(y), ref, `conv ${JSON.stringify(c)}`);
      }),
      { numRuns: 60 },
    );
  });

  it("output size follows ⌊(S + lo + hi − d·(K − 1) − 1) / s⌋ + 1", () => {
    fc.assert(
      fc.property(convCaseArb, (c) => {
        const y = core.conv(ft(c.x, new Array<number>(prod(c.x)).fill(0)), ft(c.w, new Array<number>(prod(c.w)).fill(0)), c);
        const r = c.x.length - 2;
        const expected = range(r).map((d) => {
          const [lo, hi] = c.padding[d]!;
          return Math.floor((c.x[d + 1]! + lo + hi - c.dilation[d]! * (c.w[d + 1]! - 1) - 1) / c.stride[d]!) + 1;
        });
        expect(y.shape).toEqual([c.x[0], ...expected, c.w[0]]);
        expected.forEach((o, d) => expect(convOutSize(c.x[d + 1]!, c.w[d + 1]!, c.stride[d]!, c.padding[d]!, c.dilation[d]!)).toBe(o));
      }),
      RUNS,
    );
  });

  it("depthwise (groups = Cin = Cout) convolves each channel with its own filter", () => {
    // x [1, 4, 2]: channel 0 = 1,2,3,4; channel 1 = 10,20,30,40. w [2, 2, 1]: ch0 [1, 1], ch1 [1, -1].
    const x = ft([1, 4, 2], [1, 10, 2, 20, 3, 30, 4, 40]);
    const w = ft([2, 2, 1], [1, 1, 1, -1]);
    const y = core.conv(x, w, { groups: 2 });
    expect(y.shape).toEqual([1, 3, 2]);
    expectSame(data(y), [3, -10, 5, -10, 7, -10]);
  });

  it("option forms: scalar stride/padding/dilation, per-dim arrays, and [lo, hi] pairs agree", () => {
    const c: ConvCase = { x: [2, 5, 6, 2], w: [3, 2, 3, 2], stride: [2, 2], padding: [[1, 1], [1, 1]], dilation: [1, 1], groups: 1 };
    const x = ft(c.x, range(prod(c.x)).map((i) => Math.sin(i)));
    const w = ft(c.w, range(prod(c.w)).map((i) => Math.cos(i)));
    const ref = data(core.conv(x, w, { stride: [2, 2], padding: [[1, 1], [1, 1]], dilation: [1, 1] }));
    expectSame(data(core.conv(x, w, { stride: 2, padding: 1, dilation: 1 })), ref);
    expectSame(data(core.conv(x, w, { stride: [2, 2], padding: [1, 1] })), ref);
    expectContractionClose(ref, naiveConv(c, Array.from(data(x)), Array.from(data(w))), "forms");
  });

  it("a 1×1 conv is a matmul over channels", () => {
    const x = ft([2, 3, 4], range(24).map((i) => i / 7));
    const w = ft([5, 1, 4], range(20).map((i) => (i % 3) - 1));
    const y = core.conv(x, w);
    const mm = core.matmul(core.reshape(x, [6, 4]), core.transpose(core.reshape(w, [5, 4])));
    expect(y.shape).toEqual([2, 3, 5]);
    const a = data(y);
    const b = data(mm);
    for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(F32_EPS * Math.abs(b[i]!) + 1e-6);
  });
});
