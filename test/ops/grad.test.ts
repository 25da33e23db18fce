/**
 * Reverse-mode gradients against central finite differences (checkGradients: both in float64,
 * output contracted with a fixed random cotangent) for every differentiable primitive, with
 * random shapes and parameters from fast-check. Inputs stay tiny (≤ ~60 elements) and numRuns
 * small so the file runs in seconds.
 *
 * Tolerance: checkGradients' defaults (eps 1e-5, atol 1e-6, rtol 1e-5; worst ≤ 1 passes), except
 * where a function's scalar constants are float32 literals that the f64 check cannot see past
 * (e.g. erf's 2/√π, rounded to f32 by `full`): relative error ≈ 3e-8 there, still far below 1e-5.
 *
 * The last block enumerates the registry: every primitive must be either grad-tested here or
 * shown to contribute no gradient, so a new primitive without a gradient test fails.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { bind } from "../../src/dsl/bind.js";
import { checkGradients, type GradCheckOptions, type GradInput } from "../../src/dsl/gradcheck.js";
import type { VjpContext, VjpResult } from "../../src/dsl/ops/def.js";
import type { OpName } from "../../src/dsl/ops/params.js";
import { registry } from "../../src/dsl/ops/registry.js";
import { data, toNested } from "../../src/dsl/realize.js";
import { Tensor, type AnyTensor } from "../../src/dsl/tensor.js";
import { grad, jit, valueAndGrad } from "../../src/dsl/transforms.js";
import { Key } from "../../src/dsl/random/threefry.js";
import { bt, expectClose, factorShape, ft, it32, prod, range, shapeArb } from "./helpers.js";

/** Primitives with a finite-difference gradient test below. */
const GRAD_TESTED = new Set<OpName>();
/** Primitives shown to contribute no gradient. */
const NO_GRAD_TESTED = new Set<OpName>();

type Fn = (...xs: AnyTensor[]) => AnyTensor;
interface Check {
  readonly f: Fn;
  readonly inputs: readonly GradInput[];
  readonly options?: GradCheckOptions;
}

function expectGradOk({ f, inputs, options }: Check): void {
  const res = checkGradients(f, inputs, options);
  if (!(res.worst <= 1)) expect.fail(`gradient check failed: worst ${res.worst} at ${res.where}`);
}

/** Register a property-based gradient test for `op`. */
function gradProperty<T>(op: OpName, title: string, arb: fc.Arbitrary<T>, build: (sample: T) => Check, numRuns = 12): void {
  GRAD_TESTED.add(op);
  it(`${op}: ${title}`, () => {
    fc.assert(
      fc.property(arb, (sample) => expectGradOk(build(sample))),
      { numRuns },
    );
  });
}

const dbl = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const vals = (n: number, min = -2, max = 2) => fc.array(dbl(min, max), { minLength: n, maxLength: n });
/** Values with |v| in [lo, hi] and random sign. */
const awayFromZero = (n: number, lo: number, hi: number) =>
  fc.array(fc.tuple(dbl(lo, hi), fc.boolean()), { minLength: n, maxLength: n }).map((xs) => xs.map(([v, s]) => (s ? v : -v)));
const small = shapeArb(0, 3, 1, 4); // ≤ 64 elements
const input = (shape: readonly number[], data: readonly number[]): GradInput => ({ shape, data });
const sampled = (shape: fc.Arbitrary<number[]>, elems: (n: number) => fc.Arbitrary<number[]>) =>
  shape.chain((s) => elems(prod(s)).map((d) => input(s, d)));

/** A pair of broadcast-compatible shapes (rank ≤ 3, dims ≤ 3) and their broadcast. */
const pairArb = shapeArb(0, 3, 1, 3).chain((out) =>
  fc.tuple(fc.constant(out), fc.nat(out.length), fc.nat(out.length), fc.nat(2 ** out.length - 1), fc.nat(2 ** out.length - 1)).map(([o, ra, rb, ma, mb]) => {
    const squeeze = (r: number, mask: number) => o.slice(o.length - r).map((d, i) => ((mask >> i) & 1 ? 1 : d));
    return { a: squeeze(ra, ma), b: squeeze(rb, mb), out: o };
  }),
);

// ---------------------------------------------------------------- elementwise

describe("unary", () => {
  const cases: [OpName, (x: AnyTensor) => AnyTensor, (n: number) => fc.Arbitrary<number[]>][] = [
    ["neg", core.neg, (n) => vals(n, -3, 3)],
    ["exp", core.exp, (n) => vals(n, -2, 2)],
    ["log", core.log, (n) => vals(n, 0.3, 3)],
    ["sin", core.sin, (n) => vals(n, -3, 3)],
    ["cos", core.cos, (n) => vals(n, -3, 3)],
    ["sqrt", core.sqrt, (n) => vals(n, 0.3, 3)],
    ["recip", core.recip, (n) => awayFromZero(n, 0.3, 3)],
    ["tanh", core.tanh, (n) => vals(n, -2, 2)],
    ["erf", core.erf, (n) => vals(n, -2.5, 2.5)],
  ];
  for (const [op, fn, elems] of cases) {
    gradProperty(op, "random shape", sampled(small, elems), (x) => ({ f: fn, inputs: [x] }));
  }
  it("erf, tanh, sqrt second derivatives (grad of the gradient graph)", () => {
    for (const [fn, elems] of [
      [core.erf, vals(8, -2, 2)],
      [core.tanh, vals(8, -2, 2)],
      [core.sqrt, vals(8, 0.5, 3)],
      [core.recip, awayFromZero(8, 0.5, 3)],
      [core.log, vals(8, 0.5, 3)],
      [core.sin, vals(8, -3, 3)],
    ] as const) {
      fc.assert(
        fc.property(elems, (xs) => expectGradOk({ f: (x) => grad((y: AnyTensor) => core.sum(core.mul(fn(y), y)))(x), inputs: [input([8], xs)] })),
        { numRuns: 3 },
      );
    }
  });
});

describe("binary (with broadcasting)", () => {
  const binaryCase = (op: OpName, fn: (a: AnyTensor, b: AnyTensor) => AnyTensor, ea: (n: number) => fc.Arbitrary<number[]>, eb: (n: number) => fc.Arbitrary<number[]>) =>
    gradProperty(
      op,
      "broadcast shapes",
      pairArb.chain(({ a, b }) => fc.tuple(ea(prod(a)).map((d) => input(a, d)), eb(prod(b)).map((d) => input(b, d)))),
      ([a, b]) => ({ f: fn, inputs: [a, b] }),
    );
  binaryCase("add", core.add, (n) => vals(n), (n) => vals(n));
  binaryCase("sub", core.sub, (n) => vals(n), (n) => vals(n));
  binaryCase("mul", core.mul, (n) => vals(n), (n) => vals(n));
  binaryCase("div", core.div, (n) => vals(n), (n) => awayFromZero(n, 0.5, 2));
  binaryCase("pow", core.pow, (n) => vals(n, 0.5, 2), (n) => vals(n, -2, 2));
  // max: a on the grid k/10 + 0.03 and b on k/10 + 0.07, so no pair is closer than 0.04 (no ties).
  const grid = (off: number) => (n: number) => fc.array(fc.integer({ min: -10, max: 10 }), { minLength: n, maxLength: n }).map((ks) => ks.map((k) => k / 10 + off));
  binaryCase("max", core.maximum, grid(0.03), grid(0.07));

  it("pow with a constant integer exponent on negative bases (d/da only)", () => {
    fc.assert(
      fc.property(awayFromZero(6, 0.5, 2), (xs) => expectGradOk({ f: (a) => core.pow(a, 3), inputs: [input([6], xs)] })),
      { numRuns: 5 },
    );
  });

  it("pow: d/db is 0 (not NaN) where a ≤ 0, and aᵇ·ln a elsewhere", () => {
    const g = grad((p: { a: AnyTensor; b: AnyTensor }) => core.sum(core.pow(p.a, p.b)))({ a: ft([3], [-2, 0, 2]), b: ft([3], [3, 2, 2]) });
    expectClose(data(g.b), [0, 0, Math.fround(4 * Math.log(2))], { rtol: 1e-6 });
    expectClose(data(g.a), [12, 0, 4], { rtol: 1e-6 });
  });

  it("max splits the cotangent evenly at ties (as JAX does)", () => {
    const g = grad((p: { a: AnyTensor; b: AnyTensor }) => core.sum(core.maximum(p.a, p.b)))({ a: ft([3], [1, 2, 3]), b: ft([3], [1, 5, 0]) });
    expect(Array.from(data(g.a))).toEqual([0.5, 0, 1]);
    expect(Array.from(data(g.b))).toEqual([0.5, 1, 0]);
  });

  it("second derivatives of binary ops (grad of the gradient graph)", () => {
    const R = (shape: readonly number[]) => ft(shape, range(prod(shape)).map((i) => Math.cos(3 * i + 1)));
    for (const fn of [core.mul, core.div, core.pow, core.sub]) {
      fc.assert(
        fc.property(vals(6, 0.5, 2), vals(6, 0.5, 2), (as, bs) =>
          expectGradOk({
            f: (a, b) => {
              const g = grad((p: { a: AnyTensor; b: AnyTensor }) => core.sum(core.mul(fn(p.a, p.b), R([6]))))({ a: a!, b: b! });
              return core.concat([g.a, g.b], 0);
            },
            inputs: [input([6], as), input([6], bs)],
          }),
        ),
        { numRuns: 3 },
      );
    }
  });
});

describe("where, cast and barrier", () => {
  gradProperty(
    "where",
    "broadcast condition and branches",
    pairArb.chain(({ a, b, out }) =>
      fc.tuple(fc.constant(out), fc.array(fc.boolean(), { minLength: prod(out), maxLength: prod(out) }), vals(prod(a)).map((d) => input(a, d)), vals(prod(b)).map((d) => input(b, d))),
    ),
    ([out, cond, a, b]) => ({ f: (x, y) => core.where(bt(out, cond.map(Number)), x!, y!), inputs: [a, b] }),
  );
  gradProperty("cast", "float32 → float32 is the identity", sampled(small, (n) => vals(n)), (x) => ({
    f: (t) => core.mul(bind("cast", [t!], { dtype: "float32" }), t!),
    inputs: [x],
  }));
  gradProperty("barrier", "the identity on x; `after` (any shape) gets nothing", sampled(small, (n) => vals(n)).chain((x) => vals(3).map((a) => [x, input([3], a)] as const)), ([x, a]) => ({
    f: (t, after) => core.mul(bind("barrier", [t!, core.exp(after!)], {}), t!),
    inputs: [x, a],
  }));
  it("cast through int32 carries no gradient (x · float(int(x)) has gradient trunc(x))", () => {
    // Values sit mid-way between integers, so finite differences never cross a step.
    const xs = [-2.5, -1.4, -0.6, 0.3, 1.7, 2.45];
    expectGradOk({ f: (x) => core.mul(x, core.cast(core.cast(x, "int32"), "float32")), inputs: [input([6], xs)] });
    const g = grad((x: AnyTensor) => core.sum(core.mul(x, core.cast(core.cast(x, "int32"), "float32"))))(ft([6], xs));
    expect(Array.from(data(g))).toEqual([-2, -1, 0, 0, 1, 2]);
  });
});

// ---------------------------------------------------------------- reductions

const axesSample = shapeArb(1, 3, 1, 4).chain((shape) => fc.tuple(fc.constant(shape), fc.subarray(range(shape.length), { minLength: 1 }), fc.boolean()));

describe("reductions", () => {
  gradProperty("reduceSum", "random axes, keepDims both ways", axesSample.chain(([s, axes, keep]) => vals(prod(s)).map((d) => ({ x: input(s, d), axes, keep }))), ({ x, axes, keep }) => ({
    f: (t) => core.sum(t!, axes, keep),
    inputs: [x],
  }));
  // Distinct values 0.37 apart (a shuffled grid), so the argmax is unique and stable under ±eps.
  gradProperty(
    "reduceMax",
    "random axes, distinct values",
    axesSample.chain(([s, axes, keep]) =>
      fc.shuffledSubarray(range(prod(s)), { minLength: prod(s), maxLength: prod(s) }).map((perm) => ({ x: input(s, perm.map((p) => p * 0.37 - 3)), axes, keep })),
    ),
    ({ x, axes, keep }) => ({ f: (t) => core.max(t!, axes, keep), inputs: [x] }),
  );
  it("reduceMax shares the cotangent evenly among ties", () => {
    const g = grad((x: AnyTensor) => core.sum(core.max(x, 1)))(ft([2, 3], [1, 3, 3, 2, 2, 2]));
    expectClose(data(g), [0, 0.5, 0.5, 1 / 3, 1 / 3, 1 / 3], { rtol: 1e-7 });
  });
  it("mean and a second derivative through reduceMax", () => {
    expectGradOk({ f: (x) => core.mean(core.mul(x, x), [0]), inputs: [input([3, 2], [0.1, -0.5, 1.2, 0.7, -1, 2])] });
    expectGradOk({
      f: (x) => grad((y: AnyTensor) => core.sum(core.max(core.mul(y, y), 1)))(x),
      inputs: [input([2, 3], [0.5, -1.3, 0.9, 2.1, -0.2, 1.1])],
    });
  });
});

// ---------------------------------------------------------------- movement

describe("movement", () => {
  gradProperty(
    "reshape",
    "random factorisation",
    small.chain((s) => fc.tuple(vals(prod(s)).map((d) => input(s, d)), fc.array(fc.nat(100), { minLength: 6, maxLength: 6 }))),
    ([x, seeds]) => ({ f: (t) => core.mul(core.reshape(t!, factorShape(prod(x.shape), seeds)), 2), inputs: [x] }),
  );
  gradProperty(
    "permute",
    "random permutation",
    shapeArb(1, 4, 1, 3).chain((s) => fc.tuple(vals(prod(s)).map((d) => input(s, d)), fc.shuffledSubarray(range(s.length), { minLength: s.length, maxLength: s.length }))),
    ([x, perm]) => ({ f: (t) => core.permute(t!, perm), inputs: [x] }),
  );
  gradProperty(
    "expand",
    "size-1 dims broadcast (the VJP sums them)",
    shapeArb(1, 3, 1, 3).chain((s) =>
      fc.tuple(fc.constant(s), fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length })).chain(([full, ones]) => {
        const from = full.map((d, i) => (ones[i] ? 1 : d));
        return vals(prod(from)).map((d) => ({ x: input(from, d), to: full.map((d2, i) => (ones[i] ? d2 + 1 : d2)) }));
      }),
    ),
    ({ x, to }) => ({ f: (t) => core.expand(t!, to), inputs: [x] }),
  );
  gradProperty(
    "slice",
    "random starts / ends / steps",
    shapeArb(1, 3, 1, 5).chain((s) =>
      fc.tuple(
        vals(prod(s)).map((d) => input(s, d)),
        fc.tuple(...s.map((n) => fc.tuple(fc.nat(n - 1), fc.nat(), fc.integer({ min: 1, max: 3 })).map(([a, e, k]) => [a, a + 1 + (e % (n - a)), k] as const))),
      ),
    ),
    ([x, spec]) => ({
      f: (t) => core.slice(t!, spec.map((p) => p[0]), spec.map((p) => p[1]), spec.map((p) => p[2])),
      inputs: [x],
    }),
  );
  gradProperty(
    "pad",
    "random [lo, hi] and value",
    small.chain((s) =>
      fc.tuple(
        vals(prod(s)).map((d) => input(s, d)),
        fc.array(fc.tuple(fc.nat(2), fc.nat(2)), { minLength: s.length, maxLength: s.length }),
        fc.constantFrom(0, -1, 3.5),
      ),
    ),
    ([x, pads, value]) => ({ f: (t) => core.pad(t!, pads, value), inputs: [x] }),
  );
  gradProperty(
    "flip",
    "random axes",
    shapeArb(1, 3, 1, 4).chain((s) => fc.tuple(vals(prod(s)).map((d) => input(s, d)), fc.subarray(range(s.length), { minLength: 1 }))),
    ([x, axes]) => ({ f: (t) => core.flip(t!, axes), inputs: [x] }),
  );
  gradProperty(
    "concat",
    "1–3 inputs along a random axis, one reused",
    shapeArb(1, 3, 1, 3).chain((s) =>
      fc.tuple(fc.constant(s), fc.nat(s.length - 1), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 })).chain(([shape, axis, sizes]) =>
        fc.tuple(fc.constant(axis), fc.tuple(...sizes.map((k) => { const ps = shape.map((d, i) => (i === axis ? k : d)); return vals(prod(ps)).map((d) => input(ps, d)); }))),
      ),
    ),
    ([axis, xs]) => ({ f: (...ts) => core.concat([...ts, ts[0]!], axis), inputs: xs }),
  );
  it("a chain of views with fan-out (pad ∘ flip ∘ slice ∘ permute, used twice)", () => {
    expectGradOk({
      f: (x) => {
        const v = core.pad(core.flip(core.slice(core.permute(x!, [1, 0, 2]), [0, 1, 0], [3, 4, 2], [2, 2, 1]), [0, 2]), [[1, 0], [0, 2], [1, 1]], 0.5);
        return core.mul(v, core.tanh(v));
      },
      inputs: [input([4, 3, 2], range(24).map((i) => Math.sin(i * 1.7)))],
    });
  });
});

// ---------------------------------------------------------------- contractions

interface ConvSpec {
  readonly x: number[];
  readonly w: number[];
  readonly stride: number[];
  readonly padding: [number, number][];
  readonly dilation: number[];
  readonly groups: number;
}

/**
 * True when every window along a dim lies inside the low padding (lo > d·(K−1) + (O−1)·s): the
 * output along that dim does not depend on x. The regression test below covers it; the
 * random generator leaves such dims out so its finite differences stay informative.
 */
function windowsInLowPadding(d: { s: number; k: number; stride: number; dil: number; lo: number; hi: number }): boolean {
  const hi = d.hi + Math.max(d.dil * (d.k - 1) + 1 - (d.s + d.lo + d.hi), 0);
  const o = Math.floor((d.s + d.lo + hi - d.dil * (d.k - 1) - 1) / d.stride) + 1;
  return d.lo > d.dil * (d.k - 1) + (o - 1) * d.stride;
}

/** Tiny conv problems (x and w ≤ ~60 elements), rank 1–3, random stride/padding/dilation/groups. */
const convArb: fc.Arbitrary<ConvSpec> = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }))
  .chain(([r, batch, groups, cig, cog]) => {
    const maxS = r === 3 ? 3 : r === 2 ? 4 : 7;
    const maxK = r === 3 ? 2 : 3;
    const dim = fc.record({
      s: fc.integer({ min: 1, max: maxS }),
      k: fc.integer({ min: 1, max: maxK }),
      stride: fc.integer({ min: 1, max: 3 }),
      dil: fc.integer({ min: 1, max: 2 }),
      lo: fc.nat(2),
      hi: fc.nat(2),
    });
    return fc.array(dim, { minLength: r, maxLength: r }).filter((dims) => !dims.some(windowsInLowPadding)).map((dims): ConvSpec => {
      const fixed = dims.map((d) => ({ ...d, hi: d.hi + Math.max(d.dil * (d.k - 1) + 1 - (d.s + d.lo + d.hi), 0) }));
      return {
        x: [r === 3 ? 1 : batch, ...fixed.map((d) => d.s), groups * cig],
        w: [groups * cog, ...fixed.map((d) => d.k), cig],
        stride: fixed.map((d) => d.stride),
        padding: fixed.map((d) => [d.lo, d.hi]),
        dilation: fixed.map((d) => d.dil),
        groups,
      };
    });
  });

describe("contractions", () => {
  gradProperty(
    "dot",
    "equal batch dims",
    fc.tuple(shapeArb(0, 1, 1, 2), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })).chain(([b, m, k, n]) =>
      fc.tuple(vals(prod(b) * m * k).map((d) => input([...b, m, k], d)), vals(prod(b) * k * n).map((d) => input([...b, k, n], d))),
    ),
    ([a, b]) => ({ f: core.dot, inputs: [a, b] }),
  );
  it("dot: matmul with broadcast batch dims (gradients summed over the broadcast)", () => {
    expectGradOk({ f: core.matmul, inputs: [input([2, 1, 2, 3], range(12).map((i) => Math.sin(i))), input([3, 3, 2], range(18).map((i) => Math.cos(i)))] });
  });
  gradProperty(
    "conv",
    "ranks 1–3, random stride / [lo, hi] padding / dilation / groups",
    convArb.chain((c) => fc.tuple(fc.constant(c), vals(prod(c.x)), vals(prod(c.w)))),
    ([c, xs, ws]) => ({
      f: (x, w) => core.conv(x!, w!, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups }),
      inputs: [input(c.x, xs), input(c.w, ws)],
    }),
    25,
  );
  // Regression: when all windows along a dim fall inside the low padding, the input gradient
  // crops more than the dim holds; padOrCrop clamps that, and the gradient is zero there.
  it("conv: gradient when every window lies in the low padding (x [1,1,1], w [1,1,1], stride 3, padding [[2, 0]])", () => {
    expectGradOk({
      f: (x, w) => core.mul(core.conv(x!, w!, { stride: 3, padding: [[2, 0]] }), 1),
      inputs: [input([1, 1, 1], [0.5]), input([1, 1, 1], [0.25])],
    });
    const g = grad((p: { x: AnyTensor; w: AnyTensor }) => core.sum(core.conv(p.x, p.w, { stride: 3, padding: [[2, 0]] })))({ x: ft([1, 1, 1], [0.5]), w: ft([1, 1, 1], [0.25]) });
    expect([Array.from(data(g.x)), Array.from(data(g.w))]).toEqual([[0], [0]]);
  });

  it("conv: second derivatives (the VJP convolutions differentiated again)", () => {
    const c: ConvSpec = { x: [1, 4, 3, 2], w: [2, 2, 2, 1], stride: [2, 1], padding: [[1, 0], [0, 1]], dilation: [1, 2], groups: 2 };
    const R = ft([1, 2, 2, 2], range(8).map((i) => Math.cos(2 * i)));
    expectGradOk({
      f: (x, w) => {
        const g = grad((p: { x: AnyTensor; w: AnyTensor }) => core.sum(core.mul(core.conv(p.x, p.w, c), R)))({ x: x!, w: w! });
        return core.concat([core.reshape(g.x, [-1]), core.reshape(g.w, [-1])], 0);
      },
      inputs: [input(c.x, range(24).map((i) => Math.sin(i))), input(c.w, range(8).map((i) => Math.sin(3 * i)))],
    });
  });
});

// ---------------------------------------------------------------- higher order, transforms

describe("higher-order gradients", () => {
  it("d²/dx² x³ = 6x and d³/dx³ x³ = 6", () => {
    const xs = [-1.5, -0.25, 0, 0.5, 2];
    const x = ft([5], xs);
    const cube = (w: AnyTensor) => core.sum(core.mul(core.mul(w, w), w));
    const d2 = grad((z: AnyTensor) => core.sum(grad(cube)(z)))(x);
    expectClose(data(d2), xs.map((v) => 6 * v), { rtol: 1e-6 });
    const d3 = grad((y: AnyTensor) => core.sum(grad((z: AnyTensor) => core.sum(grad(cube)(z)))(y)))(x);
    expectClose(data(d3), [6, 6, 6, 6, 6], { rtol: 1e-6 });
  });

  it("d²/dx² sin = −sin, d²/dx² tanh = −2 tanh (1 − tanh²)", () => {
    const xs = [-2, -0.7, 0.1, 1.3];
    const d2 = (f: (t: AnyTensor) => AnyTensor) => data(grad((z: AnyTensor) => core.sum(grad((w: AnyTensor) => core.sum(f(w)))(z)))(ft([4], xs)));
    expectClose(d2(core.sin), xs.map((v) => -Math.sin(v)), { rtol: 1e-5, atol: 1e-6 });
    expectClose(d2(core.tanh), xs.map((v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2)), { rtol: 1e-5, atol: 1e-6 });
  });

  it("jit(grad(f)) equals grad(f); valueAndGrad returns the value too", () => {
    const f = (w: AnyTensor) => core.sum(core.mul(core.exp(w), w));
    const x = ft([2, 2], [0.1, -0.3, 0.7, 1.1]);
    expect(Array.from(data(jit(grad(f))(x)))).toEqual(Array.from(data(grad(f)(x))));
    const [v, g] = valueAndGrad(f)(x);
    const xs = [0.1, -0.3, 0.7, 1.1].map(Math.fround);
    expectClose(data(v), [xs.reduce((s, t) => s + Math.exp(t) * t, 0)], { rtol: 1e-6 });
    expectClose(data(g), xs.map((t) => Math.exp(t) * (1 + t)), { rtol: 1e-6 });
  });

  it("inputs the output does not depend on get zero gradients", () => {
    const g = grad((p: { a: AnyTensor; b: AnyTensor }) => core.sum(core.mul(p.a, 2)))({ a: ft([2], [1, 2]), b: ft([3], [1, 2, 3]) });
    expect(toNested(g.a)).toEqual([2, 2]);
    expect(toNested(g.b)).toEqual([0, 0, 0]);
  });
});

// ---------------------------------------------------------------- non-differentiable primitives

/** Call op's VJP on a real node and return what it hands each input. */
function vjpOf(t: AnyTensor): VjpResult {
  const node = t.node;
  const rule = registry()[node.op].vjp as (ct: AnyTensor, ctx: VjpContext<OpName>) => VjpResult;
  return rule(core.onesLike(t), { inputs: node.inputs.map((n) => new Tensor(n)), out: t, params: node.params as never });
}

function noGrad(op: OpName, title: string, body: () => void): void {
  NO_GRAD_TESTED.add(op);
  it(`${op}: ${title}`, body);
}

describe("non-differentiable primitives contribute nothing", () => {
  const x = ft([4], [0.2, 0.9, -0.4, 1.5]);
  const key = core.constant(new Int32Array([0, 42]), [2], "int32");

  noGrad("cmplt", "a mask from less() is a constant; its VJP returns no tensors", () => {
    expect(data(grad((w: AnyTensor) => core.sum(core.cast(core.less(w, 0.5), "float32")))(x))).toEqual(new Float32Array(4));
    expect(Array.from(data(grad((w: AnyTensor) => core.sum(core.mul(w, core.cast(core.less(w, 0.5), "float32"))))(x)))).toEqual([1, 0, 1, 0]);
    expect(vjpOf(core.less(x, x)).every((g) => g === undefined)).toBe(true);
  });
  noGrad("cmpeq", "equal() is a constant; its VJP returns no tensors", () => {
    expect(data(grad((w: AnyTensor) => core.sum(core.cast(core.equal(w, 0.9), "float32")))(x))).toEqual(new Float32Array(4));
    expect(vjpOf(core.equal(x, x)).every((g) => g === undefined)).toBe(true);
  });
  noGrad("iota", "x · iota has gradient iota", () => {
    expect(Array.from(data(grad((w: AnyTensor) => core.sum(core.mul(w, core.cast(core.iota([4], 0), "float32"))))(x)))).toEqual([0, 1, 2, 3]);
    expect(vjpOf(core.iota([4], 0))).toEqual([]);
  });
  noGrad("random", "x · U(key) has gradient U(key); the int key gets nothing", () => {
    const u = core.randomUniform(key, [4]);
    expect(Array.from(data(grad((w: AnyTensor) => core.sum(core.mul(w, u)))(x)))).toEqual(Array.from(data(u)));
    expect(vjpOf(u)).toEqual([undefined]);
    expectGradOk({ f: (w) => core.mul(w, core.randomUniform(key, [4])), inputs: [input([4], [0.1, 0.2, 0.3, 0.4])] });
  });
  noGrad("full", "x · full(3) has gradient 3", () => {
    expect(Array.from(data(grad((w: AnyTensor) => core.sum(core.mul(w, core.full([4], 3))))(x)))).toEqual([3, 3, 3, 3]);
    expect(vjpOf(core.full([4], 3))).toEqual([]);
  });
  noGrad("constant", "a closed-over constant is not differentiated", () => {
    const c = ft([4], [1, -2, 3, -4]);
    expect(Array.from(data(grad((w: AnyTensor) => core.sum(core.mul(w, c)))(x)))).toEqual([1, -2, 3, -4]);
    expect(vjpOf(c)).toEqual([]);
  });
  noGrad("input", "placeholders are the variables of checkGradients; their VJP is empty", () => {
    expectGradOk({ f: (w) => w!, inputs: [input([3], [1, 2, 3])] });
    expect(registry().input.vjp(core.onesLike(x), { inputs: [], out: x, params: { name: "a", shape: [4], dtype: "float32" } })).toEqual([]);
  });
  it("int and bool inputs receive no gradient even when the rule would give one", () => {
    const n = it32([2], [3, 4]);
    // neg's VJP returns a tensor for an int32 input; backward must drop it (non-float).
    const g = grad((p: { w: AnyTensor; n: AnyTensor }) => core.sum(core.mul(p.w, core.cast(core.neg(p.n), "float32"))))({ w: ft([2], [1, 1]), n });
    expect(Array.from(data(g.w))).toEqual([-3, -4]);
    expect(g.n.dtype).toBe("int32");
    expect(Array.from(data(g.n))).toEqual([0, 0]);
  });
});

// ---------------------------------------------------------------- the checker itself, and coverage

describe("coverage", () => {
  it("checkGradients catches a wrong VJP (exp with a factor 1.001)", () => {
    const table = registry() as unknown as Record<string, { vjp: unknown }>;
    const original = table.exp!;
    table.exp = { ...original, vjp: (ct: AnyTensor, { out }: { out: AnyTensor }) => [core.mul(core.mul(ct, out), 1.001)] };
    try {
      expect(checkGradients(core.exp, [input([3], [0.1, 0.5, -1])]).worst).toBeGreaterThan(1);
    } finally {
      table.exp = original;
    }
    expect(checkGradients(core.exp, [input([3], [0.1, 0.5, -1])]).worst).toBeLessThanOrEqual(1);
  });

  it("every primitive in the registry is grad-tested or shown to contribute nothing", () => {
    const names = Object.keys(registry()) as OpName[];
    const missing = names.filter((n) => !GRAD_TESTED.has(n) && !NO_GRAD_TESTED.has(n));
    expect(missing, "primitives without a gradient test").toEqual([]);
    expect([...GRAD_TESTED].filter((n) => NO_GRAD_TESTED.has(n))).toEqual([]);
    expect(GRAD_TESTED.size + NO_GRAD_TESTED.size).toBe(names.length);
  });

  it("differentiable primitives' VJPs return a cotangent for a float input", () => {
    const x = ft([2, 2], [0.5, 1, 1.5, 2]);
    const sample: Partial<Record<OpName, AnyTensor>> = {
      neg: core.neg(x), exp: core.exp(x), log: core.log(x), sin: core.sin(x), cos: core.cos(x), sqrt: core.sqrt(x),
      recip: core.recip(x), tanh: core.tanh(x), erf: core.erf(x), add: core.add(x, x), sub: core.sub(x, x), mul: core.mul(x, x),
      div: core.div(x, x), max: core.maximum(x, x), pow: core.pow(x, x), where: core.where(core.less(x, 1), x, x),
      cast: bind("cast", [x], { dtype: "float32" }), reduceSum: core.sum(x, 0, true), reduceMax: core.max(x, 0, true),
      reshape: core.reshape(x, [4]), permute: core.permute(x, [1, 0]), expand: core.expand(core.reshape(x, [1, 4]), [2, 4]),
      slice: core.slice(x, [0, 0], [1, 2]), barrier: bind("barrier", [x, core.full([1], 0)], {}), pad: core.pad(x, [[1, 0], [0, 0]]), flip: core.flip(x, 0), concat: core.concat([x, x], 0),
      dot: core.dot(x, x), conv: core.conv(core.reshape(x, [1, 4, 1]), core.reshape(x, [4, 1, 1])),
    };
    for (const op of GRAD_TESTED) {
      const t = sample[op];
      expect(t, `sample for ${op}`).toBeDefined();
      expect(t!.node.op).toBe(op);
      expect(vjpOf(t!).some((g) => g !== undefined), op).toBe(true);
    }
  });
});
