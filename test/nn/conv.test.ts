/**
 * @file conv3d and depthwiseConv3d against a naive 3-D loop over random shapes with groups,
 * stride, dilation and padding (a number, per dim, or [lo, hi] pairs); PyTorch weight-layout
 * conversion; initConv3d; gradient checks.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { conv3d, convWeightFromTorch, convWeightToTorch, depthwiseConv3d, initConv3d } from "../../src/dsl/nn/index.js";
import { Key } from "../../src/dsl/random/threefry.js";
import { expectClose, expectGradientsOk, randomTensor, randomValues, size, strides, tensor, values } from "./helpers.js";

interface Conv3dCase {
  n: number;
  s: [number, number, number];
  cin: number;
  cout: number;
  k: [number, number, number];
  stride: [number, number, number];
  dilation: [number, number, number];
  pads: [number, number][];
  groups: number;
}

function outSize(c: Conv3dCase, d: number): number {
  return Math.floor((c.s[d]! + c.pads[d]![0] + c.pads[d]![1] - c.dilation[d]! * (c.k[d]! - 1) - 1) / c.stride[d]!) + 1;
}

/** Naive channels-last grouped 3-D convolution. */
function conv3dNaive(x: readonly number[], w: readonly number[], bias: readonly number[] | undefined, c: Conv3dCase): { out: number[]; shape: number[] } {
  const o = [0, 1, 2].map((d) => outSize(c, d));
  const [cig, cog] = [c.cin / c.groups, c.cout / c.groups];
  const xs = strides([c.n, ...c.s, c.cin]);
  const ws = strides([c.cout, ...c.k, cig]);
  const out: number[] = [];
  for (let b = 0; b < c.n; b++)
    for (let ot = 0; ot < o[0]!; ot++)
      for (let oh = 0; oh < o[1]!; oh++)
        for (let ow = 0; ow < o[2]!; ow++)
          for (let co = 0; co < c.cout; co++) {
            const g = Math.floor(co / cog);
            let acc = bias?.[co] ?? 0;
            for (let kt = 0; kt < c.k[0]; kt++)
              for (let kh = 0; kh < c.k[1]; kh++)
                for (let kw = 0; kw < c.k[2]; kw++) {
                  const pos = [ot, oh, ow].map((oi, d) => oi * c.stride[d]! + [kt, kh, kw][d]! * c.dilation[d]! - c.pads[d]![0]);
                  if (pos.some((p, d) => p < 0 || p >= c.s[d]!)) continue;
                  for (let ci = 0; ci < cig; ci++) {
                    const xi = b * xs[0]! + pos[0]! * xs[1]! + pos[1]! * xs[2]! + pos[2]! * xs[3]! + g * cig + ci;
                    const wi = co * ws[0]! + kt * ws[1]! + kh * ws[2]! + kw * ws[3]! + ci;
                    acc += x[xi]! * w[wi]!;
                  }
                }
            out.push(acc);
          }
  return { out, shape: [c.n, ...o, c.cout] };
}

const triple = (min: number, max: number) => fc.tuple(fc.integer({ min, max }), fc.integer({ min, max }), fc.integer({ min, max }));

const convCase: fc.Arbitrary<Conv3dCase> = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    s: triple(1, 4),
    groups: fc.integer({ min: 1, max: 2 }),
    cig: fc.integer({ min: 1, max: 2 }),
    cog: fc.integer({ min: 1, max: 2 }),
    k: triple(1, 3),
    stride: triple(1, 2),
    dilation: triple(1, 2),
    pads: fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), { minLength: 3, maxLength: 3 }),
  })
  .map(({ cig, cog, ...rest }) => ({ ...rest, cin: cig * rest.groups, cout: cog * rest.groups }) as Conv3dCase)
  .filter((c) => [0, 1, 2].every((d) => outSize(c, d) >= 1));

/** The padding option in one of its three spellings, when the pads allow it. */
function paddingOption(c: Conv3dCase, style: number): number | number[] | [number, number][] {
  const symmetric = c.pads.every(([lo, hi]) => lo === hi);
  if (symmetric && style === 0 && c.pads.every(([lo]) => lo === c.pads[0]![0])) return c.pads[0]![0];
  if (symmetric && style <= 1) return c.pads.map(([lo]) => lo);
  return c.pads;
}

describe("conv3d", () => {
  test("matches a naive 3-D loop (groups, stride, dilation, padding, bias)", () => {
    fc.assert(
      fc.property(convCase, fc.integer({ min: 0, max: 2 }), fc.boolean(), fc.nat(), (c, style, withBias, seed) => {
        const [x, xv] = randomTensor([c.n, ...c.s, c.cin], seed);
        const [w, wv] = randomTensor([c.cout, ...c.k, c.cin / c.groups], seed + 1);
        const [b, bv] = randomTensor([c.cout], seed + 2);
        const y = conv3d(x, withBias ? { weight: w, bias: b } : { weight: w }, {
          stride: c.stride,
          dilation: c.dilation,
          padding: paddingOption(c, style),
          groups: c.groups,
        });
        const want = conv3dNaive(xv, wv, withBias ? bv : undefined, c);
        expect(y.shape).toEqual(want.shape);
        expectClose(values(y), want.out, 1e-5, 1e-4);
      }),
      { numRuns: 40 },
    );
  });

  test("symmetric padding as a number equals explicit [lo, hi] pairs", () => {
    const [x] = randomTensor([1, 3, 3, 3, 2], 1);
    const [w] = randomTensor([2, 3, 3, 3, 2], 2);
    expect(values(conv3d(x, { weight: w }, { padding: 1 }))).toEqual(values(conv3d(x, { weight: w }, { padding: [[1, 1], [1, 1], [1, 1]] })));
  });

  test("refuses non-5-D inputs and mismatched bias", () => {
    const [x4] = randomTensor([1, 3, 3, 2], 1);
    const [w] = randomTensor([2, 1, 1, 1, 2], 2);
    const [x] = randomTensor([1, 2, 2, 2, 2], 3);
    expect(() => conv3d(x4 as never, { weight: w })).toThrow(/conv3d/);
    expect(() => conv3d(x, { weight: w, bias: randomTensor([3], 4)[0] })).toThrow(/bias/);
  });

  test("gradients with groups, stride, asymmetric padding and dilation", () => {
    const xShape = [1, 3, 2, 2, 4];
    const wShape = [2, 2, 2, 1, 2];
    expectGradientsOk(
      (x, w, b) => conv3d(x!, { weight: w!, bias: b }, { groups: 2, stride: [2, 1, 1], padding: [[1, 0], [0, 1], [1, 1]], dilation: [1, 2, 1] }),
      [
        { shape: xShape, data: randomValues(size(xShape), 1) },
        { shape: wShape, data: randomValues(size(wShape), 2) },
        { shape: [2], data: randomValues(2, 3) },
      ],
    );
  });
});

describe("depthwiseConv3d", () => {
  test("each channel convolved with its own kernel (naive loop), channel multiplier 1 and 2", () => {
    fc.assert(
      fc.property(convCase, fc.integer({ min: 1, max: 2 }), fc.nat(), (c0, mult, seed) => {
        const ch = c0.cin;
        const c: Conv3dCase = { ...c0, groups: ch, cout: ch * mult };
        const [x, xv] = randomTensor([c.n, ...c.s, ch], seed);
        const [w, wv] = randomTensor([c.cout, ...c.k, 1], seed + 1);
        const [b, bv] = randomTensor([c.cout], seed + 2);
        const y = depthwiseConv3d(x, { weight: w, bias: b }, { stride: c.stride, dilation: c.dilation, padding: c.pads });
        const want = conv3dNaive(xv, wv, bv, c);
        expect(y.shape).toEqual(want.shape);
        expectClose(values(y), want.out, 1e-5, 1e-4);
      }),
      { numRuns: 25 },
    );
  });

  test("refuses a weight that is not [C·m, kT, kH, kW, 1]", () => {
    const [x] = randomTensor([1, 2, 2, 2, 3], 1);
    expect(() => depthwiseConv3d(x, { weight: randomTensor([3, 1, 1, 1, 3], 2)[0] })).toThrow(/depthwiseConv3d/);
  });

  test("gradients", () => {
    const xShape = [1, 3, 3, 3, 2];
    const wShape = [2, 2, 2, 2, 1];
    expectGradientsOk((x, w, b) => depthwiseConv3d(x!, { weight: w!, bias: b }, { padding: 1, stride: 2 }), [
      { shape: xShape, data: randomValues(size(xShape), 4) },
      { shape: wShape, data: randomValues(size(wShape), 5) },
      { shape: [2], data: randomValues(2, 6) },
    ]);
  });
});

describe("PyTorch weight layout", () => {
  test("[Cout, Cin/g, kT, kH, kW] ↔ [Cout, kT, kH, kW, Cin/g], element by element", () => {
    const torchShape = [3, 2, 2, 3, 1];
    const [wt, v] = randomTensor(torchShape, 8);
    const ours = convWeightFromTorch(wt);
    expect(ours.shape).toEqual([3, 2, 3, 1, 2]);
    const ts = strides(torchShape);
    const got = values(ours);
    const os = strides(ours.shape);
    for (let o = 0; o < 3; o++)
      for (let i = 0; i < 2; i++)
        for (let t = 0; t < 2; t++)
          for (let h = 0; h < 3; h++) expect(got[o * os[0]! + t * os[1]! + h * os[2]! + i]).toBe(v[o * ts[0]! + i * ts[1]! + t * ts[2]! + h * ts[3]!]);
    const back = convWeightToTorch(ours);
    expect(back.shape).toEqual(torchShape);
    expect(values(back)).toEqual(v);
  });

  test("a PyTorch-layout conv (channels-first oracle) equals conv3d on converted weights", () => {
    // Naive channels-first (NCDHW) Conv3d with a [Cout, Cin, kT, kH, kW] weight, no padding.
    const [n, cin, cout, s, k] = [1, 2, 3, [3, 3, 2], [2, 2, 1]];
    const xcf = randomValues(n * cin * size(s), 11);
    const wt = randomValues(cout * cin * size(k), 12);
    const o = s.map((d, i) => d - k[i]! + 1);
    const expected: number[] = []; // channels-last order [N, T, H, W, Cout]
    for (let t = 0; t < o[0]!; t++)
      for (let h = 0; h < o[1]!; h++)
        for (let w = 0; w < o[2]!; w++)
          for (let co = 0; co < cout; co++) {
            let acc = 0;
            for (let ci = 0; ci < cin; ci++)
              for (let a = 0; a < k[0]!; a++)
                for (let b = 0; b < k[1]!; b++)
                  for (let cc = 0; cc < k[2]!; cc++)
                    acc += xcf[((ci * s[0]! + t + a) * s[1]! + h + b) * s[2]! + w + cc]! * wt[(((co * cin + ci) * k[0]! + a) * k[1]! + b) * k[2]! + cc]!;
            expected.push(acc);
          }
    // channels-first data → channels-last tensor
    const xcl: number[] = [];
    for (let t = 0; t < s[0]!; t++) for (let h = 0; h < s[1]!; h++) for (let w = 0; w < s[2]!; w++) for (let ci = 0; ci < cin; ci++) xcl.push(xcf[((ci * s[0]! + t) * s[1]! + h) * s[2]! + w]!);
    const y = conv3d(tensor(xcl, [n, ...s, cin]), { weight: convWeightFromTorch(tensor(wt, [cout, cin, ...k])) });
    expectClose(values(y), expected, 1e-5, 1e-4);
  });

  test("initConv3d: shapes and PyTorch's U(−1/√fanIn, 1/√fanIn) bound", () => {
    const p = initConv3d(Key.fromSeed(1), 4, 6, [3, 3, 3], { groups: 2 });
    expect(p.weight.shape).toEqual([6, 3, 3, 3, 2]);
    expect(p.bias!.shape).toEqual([6]);
    const bound = 1 / Math.sqrt(2 * 27);
    expect(Math.max(...values(p.weight).map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...values(p.bias!).map(Math.abs))).toBeLessThanOrEqual(bound);
    // Literal channels would make this a compile error; sizes known only at run time are checked then.
    const inChannels: number = 3;
    expect(() => initConv3d(Key.fromSeed(1), inChannels, 6, [1, 1, 1], { groups: 2 })).toThrow(/groups/);
  });
});
