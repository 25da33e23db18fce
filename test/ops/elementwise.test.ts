/**
 * Elementwise primitives against JavaScript references, with random shapes (rank 0–4, dims 1–5)
 * and values from fast-check.
 *
 * Tolerances:
 *  - neg, add, sub, mul, div, max, cmplt, cmpeq, where, cast: exact. Inputs are float32 values, and
 *    f64 arithmetic followed by one rounding to f32 (Math.fround) is the correctly rounded f32
 *    result for + − × ÷ (53 ≥ 2·24 + 2 bits, so double rounding is innocuous).
 *  - exp, log, sin, cos, sqrt, recip, tanh, erf, pow: relative 1e-6 (≈ 8 f32 ulps), plus an
 *    absolute 1e-7 for sin/cos whose results pass through 0. The references are Math.* (and an
 *    independent Simpson-rule erf), rounded to f32.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { bind } from "../../src/dsl/bind.js";
import type { DType } from "../../src/dsl/dtype.js";
import { registry } from "../../src/dsl/ops/registry.js";
import { data, toNested } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { erf as erfScalar } from "../../src/dsl/host/special.js";
import {
  broadcastPairArb,
  bt,
  expectClose,
  expectSame,
  f32,
  ft,
  int32,
  it32,
  prod,
  range,
  ravel,
  sampleArb,
  shapeArb,
  tensorOf,
  unravel,
  valuesArb,
} from "./helpers.js";

const RUNS = { numRuns: 40 };
const fr = Math.fround;

/** erf by composite Simpson's rule on 2/√π·e^(−t²) over [0, x]: error < 1e-10 for |x| ≤ 6. */
function erfSimpson(x: number): number {
  const n = 600;
  const h = x / n;
  const f = (t: number) => Math.exp(-t * t);
  let s = f(0) + f(x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(i * h);
  return ((2 / Math.sqrt(Math.PI)) * s * h) / 3;
}

// erf to full double precision (mpmath, 30 digits).
const ERF_TABLE: readonly (readonly [number, number])[] = [
  [0.01, 0.011283415555849618],
  [0.1, 0.1124629160182849],
  [0.5, 0.5204998778130465],
  [1, 0.8427007929497149],
  [1.5, 0.9661051464753108],
  [2, 0.9953222650189527],
  [2.4999, 0.9995928300996666],
  [2.5, 0.999593047982555],
  [2.5001, 0.9995932657565293],
  [3, 0.9999779095030014],
  [3.5, 0.9999992569016276],
  [4, 0.9999999845827421],
  [5, 0.9999999999984626],
  [-0.5, -0.5204998778130465],
  [-2, -0.9953222650189527],
];

interface UnarySpec {
  readonly name: "neg" | "exp" | "log" | "sin" | "cos" | "sqrt" | "recip" | "tanh" | "erf";
  readonly fn: (x: AnyTensor) => AnyTensor;
  readonly ref: (x: number) => number;
  readonly domain: fc.Arbitrary<number>;
  readonly rtol: number;
  readonly atol: number;
}

const UNARY: readonly UnarySpec[] = [
  { name: "neg", fn: core.neg, ref: (x) => -x, domain: f32(-1e30, 1e30), rtol: 0, atol: 0 },
  { name: "exp", fn: core.exp, ref: Math.exp, domain: f32(-80, 80), rtol: 1e-6, atol: 0 },
  { name: "log", fn: core.log, ref: Math.log, domain: f32(1e-30, 1e30).filter((v) => v > 0), rtol: 1e-6, atol: 0 },
  { name: "sin", fn: core.sin, ref: Math.sin, domain: f32(-100, 100), rtol: 1e-6, atol: 1e-7 },
  { name: "cos", fn: core.cos, ref: Math.cos, domain: f32(-100, 100), rtol: 1e-6, atol: 1e-7 },
  { name: "sqrt", fn: core.sqrt, ref: Math.sqrt, domain: f32(0, 1e30), rtol: 1e-6, atol: 0 },
  { name: "recip", fn: core.recip, ref: (x) => 1 / x, domain: f32(-1e30, 1e30, true), rtol: 1e-6, atol: 0 },
  { name: "tanh", fn: core.tanh, ref: Math.tanh, domain: f32(-20, 20), rtol: 1e-6, atol: 0 },
  { name: "erf", fn: core.erf, ref: erfSimpson, domain: f32(-6, 6), rtol: 1e-6, atol: 1e-30 },
];

/** The op's own shape rule applied to abstract inputs. */
function ruleShape(op: keyof ReturnType<typeof registry>, inputs: { shape: number[]; dtype: DType }[], params: object = {}) {
  const def = registry()[op] as unknown as { shape(i: unknown, p: unknown): { shape: readonly number[]; dtype: DType } };
  return def.shape(inputs, params);
}

describe("unary primitives", () => {
  describe.each(UNARY)("$name", ({ name, fn, ref, domain, rtol, atol }) => {
    it("matches the f32-rounded JS reference on random shapes", () => {
      fc.assert(
        fc.property(sampleArb(shapeArb(0, 4, 1, 5), domain), ({ shape, data: xs }) => {
          const y = fn(ft(shape, xs));
          const rule = ruleShape(name, [{ shape, dtype: "float32" }]);
          expect(y.shape).toEqual(shape);
          expect(rule.shape).toEqual(shape);
          expect([y.dtype, rule.dtype]).toEqual(["float32", "float32"]);
          const out = data(y);
          expect(out).toBeInstanceOf(Float32Array);
          expectClose(out, xs.map((x) => fr(ref(x))), { rtol, atol }, name);
        }),
        RUNS,
      );
    });
  });

  it("neg on int32 wraps (−(−2³¹) = −2³¹)", () => {
    fc.assert(
      fc.property(sampleArb(shapeArb(0, 3), fc.oneof(int32(), fc.constant(-(2 ** 31)))), ({ shape, data: xs }) => {
        const y = core.neg(it32(shape, xs));
        expect(y.dtype).toBe("int32");
        expectSame(data(y), xs.map((x) => -x | 0));
      }),
      RUNS,
    );
    expect(Array.from(data(core.neg(it32([1], [-(2 ** 31)]))))).toEqual([-(2 ** 31)]);
  });

  it("erf matches known values (op in f32, rtol 1e-6; scalar kernel in f64, rtol 1e-14)", () => {
    const xs = ERF_TABLE.map(([x]) => x);
    expectClose(data(core.erf(ft([xs.length], xs))), ERF_TABLE.map(([x, v]) => fr(erfOfF32(x, v))), { rtol: 1e-6 }, "erf op");
    for (const [x, v] of ERF_TABLE) expect(Math.abs(erfScalar(x) - v) / Math.abs(v), `erf(${x})`).toBeLessThan(1e-14);
    expect(erfScalar(0)).toBe(0);
    // odd symmetry, limits and NaN
    for (const x of [0.3, 1.7, 2.5, 3.2, 7]) expect(erfScalar(-x)).toBe(-erfScalar(x));
    expect(erfScalar(30)).toBe(1);
    expect(erfScalar(-30)).toBe(-1);
    expect(erfScalar(Infinity)).toBe(1);
    expect(erfScalar(-Infinity)).toBe(-1);
    expect(erfScalar(NaN)).toBeNaN();
  });

  it("erf is continuous and monotone across the series / continued-fraction switch at 2.5", () => {
    let prev = erfScalar(2.49);
    for (let x = 2.49; x <= 2.51; x += 1e-4) {
      const v = erfScalar(x);
      expect(v).toBeGreaterThanOrEqual(prev);
      expect(Math.abs(v - erfSimpson(x))).toBeLessThan(1e-12);
      prev = v;
    }
  });

  it("special values: ±∞, NaN, zeros", () => {
    const xs = [Infinity, -Infinity, NaN, 0, 1e38 * 10];
    const run = (f: (x: AnyTensor) => AnyTensor) => Array.from(data(f(ft([xs.length], xs))));
    expectSame(run(core.exp), [Infinity, 0, NaN, 1, Infinity]);
    expectSame(run(core.log), [Infinity, NaN, NaN, -Infinity, Infinity]);
    expectSame(run(core.sqrt), [Infinity, NaN, NaN, 0, Infinity]);
    expectSame(run(core.recip), [0, -0, NaN, Infinity, 0]);
    expectSame(run(core.tanh), [1, -1, NaN, 0, 1]);
    expectSame(run(core.erf), [1, -1, NaN, 0, 1]);
    expectSame(run(core.sin).slice(0, 3), [NaN, NaN, NaN]);
    expectSame(run(core.neg), [-Infinity, Infinity, NaN, -0, -Infinity]);
    // Results outside the f32 range round to ±∞ / 0 on store, as the GPU would.
    expectSame(data(core.exp(ft([2], [89, -104]))), [Infinity, 0]);
    expectSame(data(core.log(ft([1], [-1]))), [NaN]);
  });

  it("rejects non-float dtypes (except neg on int32)", () => {
    expect(() => core.exp(it32([2], [1, 2]))).toThrow(/exp: dtype int32 is not supported/);
    expect(() => core.sin(bt([2], [1, 0]))).toThrow(/sin: dtype bool is not supported/);
    expect(() => core.neg(bt([1], [1]))).toThrow(/neg: dtype bool/);
  });
});

/** f32 result of erf at the f32 input nearest x, from its f64 table value (erf' ≤ 1.13). */
function erfOfF32(x: number, v: number): number {
  return v + (fr(x) - x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x);
}

// ---------------------------------------------------------------- binary

type BinaryName = "add" | "sub" | "mul" | "div" | "max" | "pow" | "cmplt" | "cmpeq";

interface BinarySpec {
  readonly name: BinaryName;
  readonly fn: (a: AnyTensor | number, b: AnyTensor | number) => AnyTensor;
  readonly float: (a: number, b: number) => number;
  readonly int?: (a: number, b: number) => number;
  readonly fa: fc.Arbitrary<number>;
  readonly fb: fc.Arbitrary<number>;
  readonly rtol: number;
  readonly bool?: boolean;
}

const nanMax = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b);
/** Floats with frequent collisions, so comparisons and max ties are exercised. */
const collide = fc.oneof(f32(-1e6, 1e6), fc.constantFrom(0, 1, -1, 0.5, 3));
/** int32 with frequent overflow and collisions. */
const ints = fc.oneof(int32(), fc.integer({ min: -3, max: 3 }), fc.constantFrom(2 ** 31 - 1, -(2 ** 31), 65536, 46341));

const BINARY: readonly BinarySpec[] = [
  { name: "add", fn: core.add, float: (a, b) => a + b, int: (a, b) => (a + b) | 0, fa: f32(-1e30, 1e30), fb: f32(-1e30, 1e30), rtol: 0 },
  { name: "sub", fn: core.sub, float: (a, b) => a - b, int: (a, b) => (a - b) | 0, fa: f32(-1e30, 1e30), fb: f32(-1e30, 1e30), rtol: 0 },
  { name: "mul", fn: core.mul, float: (a, b) => a * b, int: (a, b) => Number(BigInt.asIntN(32, BigInt(a) * BigInt(b))), fa: f32(-1e15, 1e15), fb: f32(-1e15, 1e15), rtol: 0 },
  { name: "div", fn: core.div, float: (a, b) => a / b, int: (a, b) => Number(BigInt.asIntN(32, BigInt(a) / BigInt(b))), fa: f32(-1e15, 1e15), fb: f32(-1e15, 1e15, true), rtol: 0 },
  { name: "max", fn: core.maximum, float: nanMax, int: Math.max, fa: collide, fb: collide, rtol: 0 },
  { name: "pow", fn: core.pow, float: Math.pow, fa: f32(1e-3, 100), fb: f32(-8, 8), rtol: 1e-6 },
  { name: "cmplt", fn: core.less, float: (a, b) => (a < b ? 1 : 0), fa: collide, fb: collide, rtol: 0, bool: true },
  { name: "cmpeq", fn: core.equal, float: (a, b) => (a === b ? 1 : 0), fa: collide, fb: collide, rtol: 0, bool: true },
];

describe("binary primitives", () => {
  describe.each(BINARY)("$name", (spec) => {
    it("float32: equal shapes, values vs the f32-rounded JS reference", () => {
      const arb = shapeArb(0, 4, 1, 5).chain((shape) =>
        fc.tuple(fc.constant(shape), valuesArb(prod(shape), spec.fa), valuesArb(prod(shape), spec.fb)),
      );
      fc.assert(
        fc.property(arb, ([shape, as, bs]) => {
          const y = spec.fn(ft(shape, as), ft(shape, bs));
          const rule = ruleShape(spec.name, [{ shape, dtype: "float32" }, { shape, dtype: "float32" }]);
          const dtype = spec.bool ? "bool" : "float32";
          expect([y.shape, y.dtype]).toEqual([shape, dtype]);
          expect([rule.shape, rule.dtype]).toEqual([shape, dtype]);
          const expected = as.map((a, i) => (spec.bool ? spec.float(a, bs[i]!) : fr(spec.float(a, bs[i]!))));
          expectClose(data(y), expected, { rtol: spec.rtol }, spec.name);
        }),
        RUNS,
      );
    });

    if (spec.name !== "pow") {
      it("int32: wrapping / truncating integer semantics", () => {
        const intRef = spec.int ?? spec.float;
        const bArb = spec.name === "div" ? ints.filter((v) => v !== 0) : ints;
        const arb = shapeArb(0, 3, 1, 5).chain((shape) => fc.tuple(fc.constant(shape), valuesArb(prod(shape), ints), valuesArb(prod(shape), bArb)));
        fc.assert(
          fc.property(arb, ([shape, as, bs]) => {
            const y = spec.fn(it32(shape, as), it32(shape, bs));
            expect(y.dtype).toBe(spec.bool ? "bool" : "int32");
            expectSame(data(y), as.map((a, i) => intRef(a, bs[i]!)), spec.name);
          }),
          RUNS,
        );
      });
    }

    it("broadcasting through core equals explicit reshape + expand, and a naive reference", () => {
      fc.assert(
        fc.property(
          broadcastPairArb().chain((p) => fc.tuple(fc.constant(p), valuesArb(prod(p.a), spec.fa), valuesArb(prod(p.b), spec.fb))),
          ({ 0: { a, b, out }, 1: as, 2: bs }) => {
            const ta = ft(a, as);
            const tb = ft(b, bs);
            const y = spec.fn(ta, tb);
            expect(y.shape).toEqual(out);
            const lift = (t: AnyTensor) => core.expand(core.reshape(t, [...new Array<number>(out.length - t.shape.length).fill(1), ...t.shape]), out);
            const explicit = spec.fn(lift(ta), lift(tb));
            expectSame(data(y), data(explicit));
            // Naive: each output index reads the operand at the aligned index, clamped where the dim is 1.
            const at = (shape: number[], vals: number[], idx: number[]) =>
              vals[ravel(shape.map((n, d) => (n === 1 ? 0 : idx[idx.length - shape.length + d]!)), shape)]!;
            const expected = range(prod(out)).map((i) => {
              const idx = unravel(i, out);
              const v = spec.float(at(a, as, idx), at(b, bs, idx));
              return spec.bool ? v : fr(v);
            });
            expectClose(data(y), expected, { rtol: spec.rtol }, `${spec.name} broadcast`);
          },
        ),
        RUNS,
      );
    });
  });

  it("int32 overflow wraps and division truncates toward zero", () => {
    const max = 2 ** 31 - 1;
    const min = -(2 ** 31);
    const i = (xs: number[]) => it32([xs.length], xs);
    expectSame(data(core.add(i([max, min, max]), i([1, -1, max]))), [min, max, -2]);
    expectSame(data(core.sub(i([min, max]), i([1, -1]))), [max, min]);
    expectSame(data(core.mul(i([65536, 46341, max, min]), i([65536, 46341, 2, -1]))), [0, -2147479015, -2, min]);
    expectSame(data(core.div(i([7, -7, 7, -7, 1, min]), i([2, 2, -2, -2, 3, -1]))), [3, -3, -3, 3, 0, min]);
  });

  it("scalar operands lift to the tensor's dtype", () => {
    const x = ft([3], [1, 2, 3]);
    expectSame(data(core.sub(10, x)), [9, 8, 7]);
    expectSame(data(core.div(x, 2)), [0.5, 1, 1.5]);
    const n = it32([3], [1, 2, 3]);
    const y = core.add(n, 2);
    expect(y.dtype).toBe("int32");
    expectSame(data(y), [3, 4, 5]);
    expectSame(data(core.less(x, 2)), [1, 0, 0]);
    expect(core.less(x, 2).dtype).toBe("bool");
    // a fraction never silently becomes an int32
    expect(() => core.add(n, 2.5)).toThrow(/add: 2\.5 is not an int32 value/);
    expect(() => core.maximum(0.5, n)).toThrow(/maximum: 0\.5 is not an int32 value/);
    // against another number a scalar lifts to float32
    const w = core.where(bt([2], [1, 0]), 1, 0);
    expect(w.dtype).toBe("float32");
    expectSame(data(w), [1, 0]);
  });

  it("NaN propagates through max; NaN compares false; NaN ≠ NaN", () => {
    const a = ft([4], [NaN, 1, NaN, -Infinity]);
    const b = ft([4], [1, NaN, NaN, NaN]);
    expectSame(data(core.maximum(a, b)), [NaN, NaN, NaN, NaN]);
    expectSame(data(core.equal(a, a)), [0, 1, 0, 1]);
    expectSame(data(core.less(a, b)), [0, 0, 0, 0]);
    expectSame(data(core.less(b, a)), [0, 0, 0, 0]);
    expectSame(data(core.add(a, 1)), [NaN, 2, NaN, -Infinity]);
    expectSame(data(core.maximum(ft([2], [-Infinity, 3]), ft([2], [-5, Infinity]))), [-5, Infinity]);
  });

  it("cmpeq on bool", () => {
    expectSame(data(core.equal(bt([4], [1, 1, 0, 0]), bt([4], [1, 0, 1, 0]))), [1, 0, 0, 1]);
  });

  it("pow: negative base with integer exponents; non-integer exponent gives NaN; x⁰ = 1", () => {
    const y = core.pow(ft([5], [-2, -2, -0.5, -2, 0]), ft([5], [3, 2, -1, 0.5, 0]));
    expectSame(data(y), [-8, 4, -2, NaN, 1]);
  });
});

// ---------------------------------------------------------------- where and cast

describe("where", () => {
  it("selects a where cond else b (random shapes, float32 and int32)", () => {
    const arb = shapeArb(0, 4, 1, 5).chain((shape) => {
      const n = prod(shape);
      return fc.tuple(fc.constant(shape), valuesArb(n, fc.boolean()), valuesArb(n, f32()), valuesArb(n, f32()), fc.constantFrom<DType>("float32", "int32"));
    });
    fc.assert(
      fc.property(arb, ([shape, cs, as, bs, dtype]) => {
        const ai = dtype === "int32" ? as.map(Math.trunc) : as;
        const bi = dtype === "int32" ? bs.map(Math.trunc) : bs;
        const y = core.where(bt(shape, cs.map(Number)), tensorOf(dtype, shape, ai), tensorOf(dtype, shape, bi));
        expect([y.shape, y.dtype]).toEqual([shape, dtype]);
        expectSame(data(y), cs.map((c, i) => (c ? ai[i]! : bi[i]!)));
      }),
      RUNS,
    );
  });

  it("broadcasts condition and branches, lifts scalars, and does not propagate NaN from the unselected branch", () => {
    const cond = core.less(ft([2, 1], [0, 5]), 1); // [[true], [false]]
    const y = core.where(cond, ft([3], [NaN, 2, 3]), -1);
    expect(y.shape).toEqual([2, 3]);
    expect(toNested(y)).toEqual([
      [NaN, 2, 3],
      [-1, -1, -1],
    ]);
    expectSame(data(core.where(bt([2], [0, 1]), ft([2], [NaN, 1]), 7)), [7, 1]);
  });
});

describe("cast", () => {
  it("float32 → int32 truncates toward zero, NaN → 0", () => {
    const xs = [2.7, -2.7, 0.5, -0.5, NaN, 1e9, -1e9, 0, -0, 16777216, -2147483648];
    expectSame(data(core.cast(ft([xs.length], xs), "int32")), [2, -2, 0, 0, 0, 1e9, -1e9, 0, 0, 16777216, -2147483648]);
    fc.assert(
      fc.property(sampleArb(shapeArb(0, 4), f32(-2.1e9, 2.1e9)), ({ shape, data: xs }) => {
        const y = core.cast(ft(shape, xs), "int32");
        expect([y.shape, y.dtype]).toEqual([shape, "int32"]);
        expect(ruleShape("cast", [{ shape, dtype: "float32" }], { dtype: "int32" })).toEqual({ shape, dtype: "int32" });
        expectSame(data(y), xs.map((x) => Math.trunc(x)));
      }),
      RUNS,
    );
  });

  it("any non-zero (NaN included) → true; ±0 → false", () => {
    const xs = [0, -0, 1e-45, -3, NaN, Infinity, 0.25];
    expectSame(data(core.cast(ft([xs.length], xs), "bool")), [0, 0, 1, 1, 1, 1, 1]);
    expectSame(data(core.cast(it32([4], [0, 1, -1, 2 ** 31 - 1]), "bool")), [0, 1, 1, 1]);
  });

  it("int32 → float32 rounds to nearest f32; bool → numbers are 0/1", () => {
    fc.assert(
      fc.property(sampleArb(shapeArb(0, 3), int32()), ({ shape, data: xs }) => {
        expectSame(data(core.cast(it32(shape, xs), "float32")), xs.map(fr));
      }),
      RUNS,
    );
    expectSame(data(core.cast(it32([2], [16777217, -16777217]), "float32")), [16777216, -16777216]);
    expectSame(data(core.cast(bt([3], [1, 0, 1]), "float32")), [1, 0, 1]);
    expectSame(data(core.cast(bt([3], [1, 0, 1]), "int32")), [1, 0, 1]);
  });

  it("the cast primitive float32 → float32 is the identity; core.cast to the same dtype is a no-op", () => {
    const x = ft([2, 2], [1.5, -2, NaN, 3]);
    const y = bind("cast", [x], { dtype: "float32" });
    expect(y.node.op).toBe("cast");
    expectSame(data(y), data(x));
    expect(core.cast(x, "float32")).toBe(x);
  });
});
