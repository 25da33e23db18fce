/**
 * @file Every primitive lowered to WGSL and run on the GPU, against the CPU interpreter, over
 * random shapes (≤ 2k elements) and values. Tolerances:
 *   exact-ish elementwise (neg, add, sub, mul, div, max, sqrt, recip)   atol 1e-6, rtol 1e-6
 *   transcendental (exp, log, sin, cos, tanh, pow)                       atol 1e-6, rtol 2e-6
 *   erf                                                                  atol 1e-6 (absolute)
 *   sums, means, dot, conv   atol 1e-6 + rtol 1e-5 × the magnitude of the sum (Σ|terms|)
 *   ints, bools, comparisons, movement, reduceMax, iota, full, random    bit-exact
 * Each property runs a handful of times (lavapipe compiles every new shape's pipeline, ~0.1 s).
 * The last test enumerates the registry: a primitive without a GPU test here fails it.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { bind } from "../../src/dsl/bind.js";
import type { DType } from "../../src/dsl/dtype.js";
import type { OpName } from "../../src/dsl/ops/params.js";
import { registry } from "../../src/dsl/ops/registry.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { Key } from "../../src/dsl/random/threefry.js";
import { keyTensor } from "../../src/dsl/api/creation.js";
import { describeGpu, expectCpuGpuClose, fcParams, opsRunOnGpu, prod, randomTensor, rng, tensorFrom, type Tolerance } from "./harness.js";

const EXACT: Tolerance = { atol: 0, rtol: 0 };
const ELEMENTWISE: Tolerance = { atol: 1e-6, rtol: 1e-6 };
const TRANSCENDENTAL: Tolerance = { atol: 1e-6, rtol: 2e-6 };
const ERF: Tolerance = { atol: 1e-6, rtol: 0 };
const SUM: Tolerance = { atol: 1e-6, rtol: 1e-5, scale: "abs-inputs" };

const RUNS = Number(process.env.WGT_GPU_RUNS ?? 8);

/** fast-check with the harness's seed and no shrinking by default (each shrink step compiles). */
async function property<T>(arb: fc.Arbitrary<T>, body: (value: T) => Promise<void>, numRuns = RUNS): Promise<void> {
  await fc.assert(fc.asyncProperty(arb, body), { ...fcParams(), numRuns });
}

// ---------------------------------------------------------------- arbitraries

const seedArb = fc.integer({ min: 0, max: 0x7fffffff });

/** A shape of rank [minRank, maxRank] with dims in [1, maxDim], halved until ≤ maxSize elements. */
function shapeArb(minRank = 0, maxRank = 4, maxDim = 9, maxSize = 2048): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank }).map((s) => {
    const dims = [...s];
    while (prod(dims) > maxSize) {
      const i = dims.indexOf(Math.max(...dims));
      dims[i] = Math.max(1, Math.floor(dims[i]! / 2));
    }
    return dims;
  });
}

/** Two shapes that broadcast (numpy rules): suffixes of one shape with some dims squeezed to 1. */
const broadcastPairArb = fc
  .tuple(shapeArb(0, 4, 6, 1024), fc.nat(), fc.nat(), fc.nat(), fc.nat())
  .map(([out, ra, rb, ma, mb]) => {
    const cut = (r: number, mask: number) => out.slice(out.length - (r % (out.length + 1))).map((n, i) => ((mask >> i) & 1 ? 1 : n));
    return { a: cut(ra, ma), b: cut(rb, mb) };
  });

function permutationArb(n: number): fc.Arbitrary<number[]> {
  return fc.array(fc.nat(), { minLength: n, maxLength: n }).map((keys) =>
    keys.map((k, i) => [k, i] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]).map(([, i]) => i),
  );
}

const dtypeArb = fc.constantFrom<DType>("float32", "int32", "bool");

/** Random data with the dtype's usual range (floats [-2, 2), ints [-50, 50], bools). */
const rand = (seed: number, shape: readonly number[], dtype: DType = "float32", lo?: number, hi?: number): AnyTensor =>
  randomTensor(seed, shape, dtype, lo === undefined ? {} : { lo, hi: hi! });

/** Small integers (as any dtype), so comparisons see ties. */
function smallInts(seed: number, shape: readonly number[], dtype: DType): AnyTensor {
  const next = rng(seed);
  const values = Array.from({ length: prod(shape) }, () => Math.floor(next() * 5) - 2);
  return tensorFrom(dtype === "bool" ? values.map((v) => (v > 0 ? 1 : 0)) : values, shape, dtype);
}

// ---------------------------------------------------------------- test table

/** Which test covers each primitive; typed total, so a new primitive without a test fails tsc. */
const COVERED_BY: Record<OpName, string> = {
  constant: "sources: constant",
  input: "sources: input",
  full: "sources: full",
  iota: "sources: iota",
  random: "sources: random",
  neg: "unary: neg",
  exp: "unary: exp",
  log: "unary: log",
  sin: "unary: sin",
  cos: "unary: cos",
  sqrt: "unary: sqrt",
  recip: "unary: recip",
  tanh: "unary: tanh",
  erf: "unary: erf",
  add: "binary: add",
  sub: "binary: sub",
  mul: "binary: mul",
  div: "binary: div",
  max: "binary: max",
  pow: "binary: pow",
  cmplt: "binary: cmplt",
  cmpeq: "binary: cmpeq",
  where: "where",
  cast: "cast",
  reduceSum: "reduce: reduceSum",
  reduceMax: "reduce: reduceMax",
  reshape: "movement: reshape",
  permute: "movement: permute",
  expand: "movement: expand",
  slice: "movement: slice",
  pad: "movement: pad",
  flip: "movement: flip",
  concat: "movement: concat",
  barrier: "movement: barrier",
  dot: "contraction: dot",
  conv: "contraction: conv",
};

interface UnaryCase {
  readonly op: OpName;
  readonly f: (x: AnyTensor) => AnyTensor;
  readonly dtypes: readonly DType[];
  readonly lo: number;
  readonly hi: number;
  readonly tol: Tolerance;
}

const UNARY: readonly UnaryCase[] = [
  { op: "neg", f: core.neg, dtypes: ["float32", "int32"], lo: -100, hi: 100, tol: ELEMENTWISE },
  { op: "exp", f: core.exp, dtypes: ["float32"], lo: -10, hi: 10, tol: TRANSCENDENTAL },
  { op: "log", f: core.log, dtypes: ["float32"], lo: 1e-3, hi: 100, tol: TRANSCENDENTAL },
  { op: "sin", f: core.sin, dtypes: ["float32"], lo: -2 * Math.PI, hi: 2 * Math.PI, tol: TRANSCENDENTAL },
  { op: "cos", f: core.cos, dtypes: ["float32"], lo: -2 * Math.PI, hi: 2 * Math.PI, tol: TRANSCENDENTAL },
  { op: "sqrt", f: core.sqrt, dtypes: ["float32"], lo: 0, hi: 100, tol: ELEMENTWISE },
  { op: "recip", f: core.recip, dtypes: ["float32"], lo: 0.01, hi: 100, tol: ELEMENTWISE },
  { op: "tanh", f: core.tanh, dtypes: ["float32"], lo: -20, hi: 20, tol: TRANSCENDENTAL },
  { op: "erf", f: core.erf, dtypes: ["float32"], lo: -4, hi: 4, tol: ERF },
];

interface BinaryCase {
  readonly op: OpName;
  readonly f: (a: AnyTensor, b: AnyTensor) => AnyTensor;
  readonly dtypes: readonly DType[];
  /** Operand data for a dtype. */
  readonly data: (seed: number, shape: readonly number[], dtype: DType, which: 0 | 1) => AnyTensor;
  readonly tol: Tolerance;
}

const INT32_RANGE = [-(2 ** 31), 2 ** 31 - 1] as const;
const wide = (seed: number, shape: readonly number[], dtype: DType) =>
  dtype === "int32" ? rand(seed, shape, "int32", ...INT32_RANGE) : rand(seed, shape, dtype, -100, 100);

const BINARY: readonly BinaryCase[] = [
  { op: "add", f: core.add, dtypes: ["float32", "int32"], data: wide, tol: ELEMENTWISE },
  { op: "sub", f: core.sub, dtypes: ["float32", "int32"], data: wide, tol: ELEMENTWISE },
  { op: "mul", f: core.mul, dtypes: ["float32", "int32"], data: wide, tol: ELEMENTWISE },
  {
    op: "div",
    f: core.div,
    dtypes: ["float32", "int32"],
    // Divisors away from zero: integer division by zero differs (see the report in the summary).
    data: (seed, shape, dtype, which) =>
      which === 0 ? wide(seed, shape, dtype) : randomTensor(seed, shape, dtype, { lo: -1000, hi: 1000, awayFromZero: dtype === "int32" ? 1 : 0.01 }),
    tol: ELEMENTWISE,
  },
  { op: "max", f: core.maximum, dtypes: ["float32", "int32"], data: (s, sh, d) => smallIntsOrWide(s, sh, d), tol: ELEMENTWISE },
  {
    op: "pow",
    f: core.pow,
    dtypes: ["float32"],
    // Positive bases: WGSL's pow is exp2(y·log2 x), undefined for x < 0 (see the summary).
    data: (seed, shape, dtype, which) => (which === 0 ? rand(seed, shape, dtype, 0.1, 10) : rand(seed, shape, dtype, -3, 3)),
    tol: TRANSCENDENTAL,
  },
  { op: "cmplt", f: core.less, dtypes: ["float32", "int32"], data: (s, sh, d) => smallIntsOrWide(s, sh, d), tol: EXACT },
  { op: "cmpeq", f: core.equal, dtypes: ["float32", "int32", "bool"], data: smallInts, tol: EXACT },
];

/** Half the time small integers (ties), else wide values. */
function smallIntsOrWide(seed: number, shape: readonly number[], dtype: DType): AnyTensor {
  return seed % 2 === 0 ? smallInts(seed, shape, dtype) : wide(seed, shape, dtype);
}

// ---------------------------------------------------------------- conv parameters

interface ConvCase {
  readonly x: number[];
  readonly w: number[];
  readonly stride: number[];
  readonly padding: [number, number][];
  readonly dilation: number[];
  readonly groups: number;
}

function convArb(rank: 1 | 2 | 3): fc.Arbitrary<ConvCase> {
  const maxK = rank === 3 ? 2 : 3;
  const dim = fc.record({
    k: fc.integer({ min: 1, max: maxK }),
    stride: fc.integer({ min: 1, max: 3 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    lo: fc.integer({ min: 0, max: 2 }),
    hi: fc.integer({ min: 0, max: 2 }),
    extra: fc.integer({ min: 0, max: rank === 3 ? 2 : 5 }),
  });
  return fc
    .record({
      n: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 3 }),
      depthwise: fc.boolean(),
      cig: fc.integer({ min: 1, max: 3 }),
      cog: fc.integer({ min: 1, max: 3 }),
      dims: fc.array(dim, { minLength: rank, maxLength: rank }),
    })
    .map(({ n, groups, depthwise, cig, cog, dims }) => {
      const perGroupIn = depthwise ? 1 : cig;
      const spatial = dims.map(({ k, dilation, lo, hi, extra }) => Math.max(1, dilation * (k - 1) + 1 - lo - hi) + extra);
      return {
        x: [n, ...spatial, groups * perGroupIn],
        w: [groups * cog, ...dims.map((d) => d.k), perGroupIn],
        stride: dims.map((d) => d.stride),
        padding: dims.map((d): [number, number] => [Math.min(d.lo, d.dilation * (d.k - 1)), Math.min(d.hi, d.dilation * (d.k - 1))]),
        dilation: dims.map((d) => d.dilation),
        groups,
      };
    });
}

// ---------------------------------------------------------------- tests

/** Tests of this file that ran (passed or not), by name. */
const ranTests = new Set<string>();

describeGpu("primitives on the GPU match the CPU interpreter", () => {
  afterEach(({ task }) => {
    ranTests.add(task.name);
  });

  // ---- elementwise

  for (const c of UNARY) {
    it(COVERED_BY[c.op], async () => {
      for (const dtype of c.dtypes) {
        await property(fc.tuple(shapeArb(), seedArb), async ([shape, seed]) => {
          const lo = dtype === "int32" ? Math.max(c.lo, -1000) : c.lo;
          await expectCpuGpuClose(c.f, [rand(seed, shape, dtype, lo, c.hi)], c.tol, `${c.op} ${dtype} [${shape}]`);
        }, Math.ceil(RUNS / c.dtypes.length) + 1);
      }
    });
  }

  it("unary: erf is accurate near 0 and in the tails", async () => {
    const xs = [0, 1e-8, -1e-8, 1e-4, 0.49999, 0.5, 0.50001, 1, -1, 2, 3, 3.9, 5, -5, 10, -10];
    await expectCpuGpuClose(core.erf, [tensorFrom(xs, [xs.length], "float32")], ERF, "erf edges");
  });

  for (const c of BINARY) {
    it(COVERED_BY[c.op], async () => {
      for (const dtype of c.dtypes) {
        await property(fc.tuple(broadcastPairArb, seedArb), async ([{ a, b }, seed]) => {
          const x = c.data(seed, a, dtype, 0);
          const y = c.data(seed + 1, b, dtype, 1);
          await expectCpuGpuClose(c.f, [x, y], c.tol, `${c.op} ${dtype} [${a}] [${b}]`);
        }, Math.ceil(RUNS / c.dtypes.length) + 1);
      }
    });
  }

  it("binary: int32 wraps on overflow like the CPU (add, sub, mul, neg)", async () => {
    const a = tensorFrom([2 ** 31 - 1, -(2 ** 31), 65536, -(2 ** 31), 123456789], [5], "int32");
    const b = tensorFrom([1, -1, 65536, 1, 987654321], [5], "int32");
    await expectCpuGpuClose((x: AnyTensor, y: AnyTensor) => [core.add(x, y), core.sub(x, y), core.mul(x, y), core.neg(x)], [a, b], EXACT, "int wrap");
  });

  it(COVERED_BY.where, async () => {
    await property(fc.tuple(broadcastPairArb, dtypeArb, seedArb, fc.boolean()), async ([{ a, b }, dtype, seed, scalarElse]) => {
      // cond [a], then-branch [b], else-branch [b] or a scalar: all broadcast together.
      const cond = rand(seed, a, "bool");
      const yes = rand(seed + 1, b, dtype);
      const no = scalarElse ? tensorFrom([dtype === "bool" ? 1 : 7], [], dtype) : rand(seed + 2, b, dtype);
      await expectCpuGpuClose((c: AnyTensor, x: AnyTensor, y: AnyTensor) => core.where(c, x, y), [cond, yes, no], EXACT, `where ${dtype} [${a}] [${b}]`);
    });
  });

  it(COVERED_BY.cast, async () => {
    const dtypes: DType[] = ["float32", "int32", "bool"];
    await property(fc.tuple(shapeArb(0, 3), seedArb), async ([shape, seed]) => {
      const next = rng(seed);
      // Floats within int32 range with exact zeros and integral values among them; ints with zeros.
      const floats = Array.from({ length: prod(shape) }, () => {
        const r = next();
        return r < 0.2 ? 0 : r < 0.4 ? Math.round((next() - 0.5) * 20) : Math.fround((next() - 0.5) * 2000);
      });
      const sources: AnyTensor[] = [tensorFrom(floats, shape, "float32"), smallInts(seed, shape, "int32"), rand(seed, shape, "bool")];
      const f = (...xs: AnyTensor[]) => xs.flatMap((x) => dtypes.filter((d) => d !== x.dtype).map((d) => core.cast(x, d)));
      await expectCpuGpuClose(f, sources, EXACT, `cast [${shape}]`);
    }, Math.max(4, RUNS / 2));
  });

  // ---- reductions

  const axesArb = (rank: number) => fc.subarray(Array.from({ length: rank }, (_, i) => i), { minLength: 1 });
  const reduceArb = shapeArb(1, 4).chain((shape) => fc.tuple(fc.constant(shape), axesArb(shape.length), fc.boolean(), seedArb));

  it(COVERED_BY.reduceSum, async () => {
    for (const dtype of ["float32", "int32"] as const) {
      await property(reduceArb, async ([shape, axes, keep, seed]) => {
        // int32 sums wrap around (full-range values) exactly like the CPU's.
        const x = dtype === "int32" ? rand(seed, shape, dtype, ...INT32_RANGE) : rand(seed, shape, dtype);
        await expectCpuGpuClose((t: AnyTensor) => core.sum(t, axes, keep), [x], dtype === "int32" ? EXACT : SUM, `sum ${dtype} [${shape}] axes [${axes}]`);
      }, Math.max(3, RUNS / 2) + 1);
    }
  });

  it("reduce: mean", async () => {
    await property(reduceArb, async ([shape, axes, keep, seed]) => {
      await expectCpuGpuClose((t: AnyTensor) => core.mean(t, axes, keep), [rand(seed, shape)], SUM, `mean [${shape}] axes [${axes}]`);
    }, Math.max(4, RUNS / 2));
  });

  it(COVERED_BY.reduceMax, async () => {
    for (const dtype of ["float32", "int32"] as const) {
      await property(reduceArb, async ([shape, axes, keep, seed]) => {
        const x = dtype === "int32" ? rand(seed, shape, dtype, ...INT32_RANGE) : rand(seed, shape, dtype, -1e4, 1e4);
        await expectCpuGpuClose((t: AnyTensor) => core.max(t, axes, keep), [x], EXACT, `max ${dtype} [${shape}] axes [${axes}]`);
      }, Math.max(3, RUNS / 2));
    }
  });

  it("reduce: all-negative floats and -inf reach reduceMax's identity correctly", async () => {
    const x = tensorFrom([-Infinity, -Infinity, -3e38, -1, -Infinity, -Infinity], [2, 3], "float32");
    await expectCpuGpuClose((t: AnyTensor) => [core.max(t, 1), core.max(t, 0), core.max(t)], [x], EXACT, "max of -inf");
  });

  // ---- movement (bit-exact, every dtype)

  it(COVERED_BY.reshape, async () => {
    const arb = shapeArb(1, 4).chain((shape) =>
      fc.tuple(fc.constant(shape), permutationArb(shape.length), fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(), { minLength: 12, maxLength: 12 }), dtypeArb, seedArb, fc.boolean()),
    );
    await property(arb, async ([shape, perm, rank, picks, dtype, seed, permuteFirst]) => {
      // A target of the same size: the size's prime factors dealt at random into `rank` dims.
      const target = new Array<number>(rank).fill(1);
      let rest = prod(shape);
      for (let p = 2, i = 0; rest > 1; ) {
        if (rest % p === 0) {
          target[picks[i++ % picks.length]! % rank]! *= p;
          rest /= p;
        } else p++;
      }
      // Reshaping a permuted (non-contiguous) view reads through the permutation.
      const f = (x: AnyTensor) => core.reshape(permuteFirst ? core.permute(x, perm) : x, target);
      await expectCpuGpuClose(f, [rand(seed, shape, dtype)], EXACT, `reshape ${dtype} [${shape}] perm [${perm}] → [${target}]`);
    });
  });

  it("movement: reshape of a permuted view, then computed on (non-contiguous reads)", async () => {
    const x = rand(5, [2, 3, 4, 5]);
    const f = (t: AnyTensor) => core.add(core.reshape(core.permute(t, [2, 0, 3, 1]), [8, 15]), core.reshape(core.transpose(core.reshape(t, [6, 20])), [8, 15]));
    await expectCpuGpuClose(f, [x], ELEMENTWISE, "reshape∘permute");
  });

  it(COVERED_BY.permute, async () => {
    const arb = shapeArb(1, 4).chain((shape) => fc.tuple(fc.constant(shape), permutationArb(shape.length), dtypeArb, seedArb));
    await property(arb, async ([shape, perm, dtype, seed]) => {
      await expectCpuGpuClose((x: AnyTensor) => core.permute(x, perm), [rand(seed, shape, dtype)], EXACT, `permute ${dtype} [${shape}] [${perm}]`);
    });
  });

  it(COVERED_BY.expand, async () => {
    const arb = shapeArb(1, 4, 6, 1024).chain((out) =>
      fc.tuple(fc.constant(out), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }), fc.integer({ min: 0, max: out.length }), dtypeArb, seedArb),
    );
    await property(arb, async ([out, ones, lift, dtype, seed]) => {
      // Squeeze some dims to 1 and drop `lift` leading dims: expand (and a rank lift) restores them.
      const small = out.map((n, d) => (ones[d] ? 1 : n)).slice(lift);
      const f = (x: AnyTensor) => core.broadcastTo(x, out);
      await expectCpuGpuClose(f, [rand(seed, small, dtype)], EXACT, `expand ${dtype} [${small}] → [${out}]`);
    });
  });

  it(COVERED_BY.slice, async () => {
    const arb = shapeArb(1, 4).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.tuple(...shape.map((n) => fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: 3 })))),
        dtypeArb,
        seedArb,
      ),
    );
    await property(arb, async ([shape, bounds, dtype, seed]) => {
      const starts = bounds.map(([a, b]) => Math.min(a, b));
      const ends = bounds.map(([a, b]) => Math.max(a, b) + 1);
      const steps = bounds.map(([, , s]) => s);
      await expectCpuGpuClose((x: AnyTensor) => core.slice(x, starts, ends, steps), [rand(seed, shape, dtype)], EXACT, `slice ${dtype} [${shape}] ${starts}:${ends}:${steps}`);
    });
  });

  it(COVERED_BY.pad, async () => {
    const arb = shapeArb(0, 4, 6, 1024).chain((shape) =>
      fc.tuple(fc.constant(shape), fc.array(fc.tuple(fc.nat(2), fc.nat(2)), { minLength: shape.length, maxLength: shape.length }), dtypeArb, seedArb, fc.constantFrom(1.5, -7, 3, 1)),
    );
    await property(arb, async ([shape, pads, dtype, seed, value]) => {
      const fill = dtype === "bool" ? 1 : dtype === "int32" ? Math.trunc(value) : value;
      await expectCpuGpuClose((x: AnyTensor) => core.pad(x, pads, fill), [rand(seed, shape, dtype)], EXACT, `pad ${dtype} [${shape}] ${JSON.stringify(pads)} value ${fill}`);
    });
  });

  it(COVERED_BY.flip, async () => {
    const arb = shapeArb(1, 4).chain((shape) => fc.tuple(fc.constant(shape), fc.subarray(Array.from({ length: shape.length }, (_, i) => i), { minLength: 1 }), dtypeArb, seedArb));
    await property(arb, async ([shape, axes, dtype, seed]) => {
      await expectCpuGpuClose((x: AnyTensor) => core.flip(x, axes), [rand(seed, shape, dtype)], EXACT, `flip ${dtype} [${shape}] [${axes}]`);
    });
  });

  it(COVERED_BY.concat, async () => {
    const arb = shapeArb(1, 4, 6, 512).chain((shape) =>
      fc.tuple(fc.constant(shape), fc.nat(shape.length - 1), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }), dtypeArb, seedArb),
    );
    await property(arb, async ([shape, axis, sizes, dtype, seed]) => {
      const parts = sizes.map((s, i) => rand(seed + i, shape.map((n, d) => (d === axis ? s : n)), dtype));
      await expectCpuGpuClose((...xs: AnyTensor[]) => core.concat(xs, axis), parts, EXACT, `concat ${dtype} axis ${axis} sizes [${sizes}]`);
    });
  });

  it(COVERED_BY.barrier, async () => {
    // x through a barrier on y (never read): as an output (a copy), and fused into a kernel.
    const f = (x: AnyTensor, y: AnyTensor) => {
      const b = bind("barrier", [x, y], {});
      return [b, core.add(core.permute(bind("barrier", [x, y], {}), [1, 0]), 1)];
    };
    await expectCpuGpuClose(f, [rand(21, [3, 5]), rand(22, [7])], EXACT, "barrier");
  });

  // ---- sources

  it(COVERED_BY.constant, async () => {
    const c = rand(11, [3, 5]);
    const ci = rand(12, [5], "int32");
    await expectCpuGpuClose((x: AnyTensor) => ({ sum: core.add(x, c), int: core.mul(core.cast(x, "int32"), ci), alone: c }), [rand(13, [3, 5], "float32", -50, 50)], ELEMENTWISE, "constant");
  });

  it(COVERED_BY.input, async () => {
    await property(fc.tuple(shapeArb(), dtypeArb, seedArb), async ([shape, dtype, seed]) => {
      // An input returned as is (the output is the input's buffer), and one read by a kernel.
      await expectCpuGpuClose((x: AnyTensor, y: AnyTensor) => [x, core.permute(y, [...y.shape.keys()].reverse())], [rand(seed, shape, dtype), rand(seed + 1, shape, dtype)], EXACT, `input ${dtype}`);
    }, Math.max(3, RUNS / 2));
  });

  it(COVERED_BY.full, async () => {
    const specials = [0, 1, -2.5, 3e38, 1e-40, Infinity, -Infinity, NaN];
    const f = (x: AnyTensor) => [
      ...specials.map((v) => core.full([2, 3], v)),
      core.full([4], -7, "int32"),
      core.full([2, 2], 1, "bool"),
      core.full([], 0, "bool"),
      core.add(x, core.full([3], 0.25)),
      core.where(core.less(x, 0), core.full([2, 3], Infinity), core.full([2, 3], NaN)),
    ];
    await expectCpuGpuClose(f, [rand(1, [2, 3])], EXACT, "full");
  });

  it(COVERED_BY.iota, async () => {
    const arb = shapeArb(1, 4).chain((shape) => fc.tuple(fc.constant(shape), fc.nat(shape.length - 1), fc.constantFrom<DType>("int32", "float32")));
    await property(arb, async ([shape, axis, dtype]) => {
      await expectCpuGpuClose(() => [core.iota(shape, axis, dtype), core.add(core.iota(shape, axis, dtype), core.full([], 1, dtype))], [], EXACT, `iota ${dtype} [${shape}] axis ${axis}`);
    }, Math.max(4, RUNS / 2));
  });

  it(COVERED_BY.random, async () => {
    // The key is a program input: an input-free random() would be folded on the CPU at compile time.
    await property(fc.tuple(shapeArb(0, 4), fc.integer({ min: 0, max: 2 ** 31 - 1 })), async ([shape, seed]) => {
      const key = keyTensor(Key.fromSeed(seed).split(3)[seed % 3]!);
      // Same key → identical floats (bit-exact), in a kernel of their own and fused into math.
      const f = (k: AnyTensor) => [core.randomUniform(k, shape), core.mul(core.randomUniform(k, shape), 2)];
      const c = await expectCpuGpuClose(f, [key], EXACT, `random [${shape}]`);
      expect(c.worst).toBe(0);
    }, Math.max(4, RUNS / 2));
  });

  // ---- contractions

  it(COVERED_BY.dot, async () => {
    const arb = fc.record({
      batch: shapeArb(0, 2, 3),
      dropA: fc.nat(2),
      dropB: fc.nat(2),
      onesA: fc.nat(3),
      onesB: fc.nat(3),
      m: fc.integer({ min: 1, max: 13 }),
      k: fc.integer({ min: 1, max: 17 }),
      n: fc.integer({ min: 1, max: 13 }),
      transA: fc.boolean(),
      transB: fc.boolean(),
      seed: seedArb,
    });
    await property(arb, async ({ batch, dropA, dropB, onesA, onesB, m, k, n, transA, transB, seed }) => {
      // Broadcast batch dims: each side drops leading dims and squeezes some to 1.
      const side = (drop: number, ones: number) => batch.slice(Math.min(drop, batch.length)).map((d, i) => ((ones >> i) & 1 ? 1 : d));
      const [ba, bb] = [side(dropA, onesA), side(dropB, onesB)];
      // Transposed operands are permuted views of the stored data.
      const a = rand(seed, transA ? [...ba, k, m] : [...ba, m, k]);
      const b = rand(seed + 1, transB ? [...bb, n, k] : [...bb, k, n]);
      const f = (x: AnyTensor, y: AnyTensor) => core.matmul(transA ? core.transpose(x) : x, transB ? core.transpose(y) : y);
      await expectCpuGpuClose(f, [a, b], SUM, `matmul [${a.shape}]${transA ? "ᵀ" : ""} · [${b.shape}]${transB ? "ᵀ" : ""}`);
    }, Math.max(3, RUNS / 2)); // each matmul shape costs lavapipe seconds of shader compile
  });

  // Regression: the dot templates once accumulated int32 in f32 with fma (WGSL did not compile).
  it("contraction: dot of int32 matches the CPU (exact)", async () => {
    const a = rand(3, [2, 3, 5], "int32", -1000, 1000);
    const b = rand(4, [2, 5, 4], "int32", -1000, 1000);
    await expectCpuGpuClose(core.dot, [a, b], EXACT, "int32 dot");
  });

  it(COVERED_BY.conv, async () => {
    for (const rank of [1, 2, 3] as const) {
      await property(fc.tuple(convArb(rank), seedArb), async ([c, seed]) => {
        const f = (x: AnyTensor, w: AnyTensor) => core.conv(x, w, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });
        await expectCpuGpuClose(f, [rand(seed, c.x), rand(seed + 1, c.w)], SUM, `conv${rank}d x [${c.x}] w [${c.w}] ${JSON.stringify(c)}`);
      }, Math.max(2, Math.round((RUNS * (5 - rank)) / 8)));
    }
  });

  it("contraction: depthwise conv with a channel multiplier", async () => {
    const x = rand(8, [2, 7, 6, 4]);
    const w = rand(9, [8, 3, 3, 1]);
    await expectCpuGpuClose((a: AnyTensor, b: AnyTensor) => core.conv(a, b, { groups: 4, padding: 1, stride: [2, 1] }), [x, w], SUM, "depthwise");
  });

  // ---- edge cases

  it("zero-size tensors: elementwise, movement and a sum over an empty axis", async () => {
    const empty = tensorFrom([], [0, 3], "float32");
    await expectCpuGpuClose((x: AnyTensor) => [core.exp(x), core.sum(x, 0), core.max(core.pad(x, [[1, 1], [0, 0]], 2), 0), core.concat([x, core.full([2, 3], 1)], 0)], [empty], EXACT, "zero-size");
  });

  it("non-finite values pass through elementwise ops and movement like on the CPU", async () => {
    const x = tensorFrom([Infinity, -Infinity, NaN, 0, -0, 1e-45, 3.4e38, -3.4e38], [8], "float32");
    const f = (t: AnyTensor) => [core.add(t, 1), core.mul(t, 2), core.neg(t), core.flip(t, 0), core.pad(t, [[1, 1]], -Infinity), core.exp(t), core.less(t, 0), core.equal(t, t)];
    await expectCpuGpuClose(f, [x], ELEMENTWISE, "non-finite");
  });

  // ---- where WGSL leaves the result open (NaN, pow of a non-positive base, out-of-range casts),
  // the kernels spell out the CPU interpreter's semantics (JAX's where WGSL is silent).

  it("max and reduceMax propagate NaN on the GPU as on the CPU", async () => {
    const a = tensorFrom([NaN, 1, 2], [3], "float32");
    const b = tensorFrom([1, NaN, 0], [3], "float32");
    await expectCpuGpuClose((x: AnyTensor, y: AnyTensor) => [core.maximum(x, y), core.max(x)], [a, b], EXACT, "NaN max");
  });

  it("pow with a negative or zero base matches the CPU (Math.pow)", async () => {
    const a = tensorFrom([-2, -2, 0, 0, -2, -0.5, 2], [7], "float32");
    const b = tensorFrom([2, 3, 0, -1, 0.5, -3, 0], [7], "float32");
    await expectCpuGpuClose(core.pow, [a, b], TRANSCENDENTAL, "pow");
  });

  it("float→int32 casts saturate (NaN → 0) and float→bool of NaN is true, on the GPU as on the CPU", async () => {
    const x = tensorFrom([3e9, -3e9, 2147483520, NaN, Infinity, -Infinity, -2.7, 2.7], [8], "float32");
    await expectCpuGpuClose((t: AnyTensor) => [core.cast(t, "int32"), core.cast(t, "bool")], [x], EXACT, "cast saturation");
  });

  it("tanh and a reduced max keep NaN NaN", async () => {
    const x = tensorFrom([NaN, 1, -20, 20], [4], "float32");
    await expectCpuGpuClose((t: AnyTensor) => [core.tanh(t), core.max(core.reshape(t, [2, 2]), [1])], [x], TRANSCENDENTAL, "NaN tanh");
  });

  // ---- coverage: every primitive whose test ran went through the GPU compiler

  it("every primitive tested here was compiled for and run on the GPU", () => {
    const names = Object.keys(registry()) as OpName[];
    // Only primitives whose covering test ran (a -t filter may leave some out).
    const missing = names.filter((n) => ranTests.has(COVERED_BY[n]) && !opsRunOnGpu.has(n));
    expect(missing, "primitives never compiled for the GPU").toEqual([]);
    expect(ranTests.size).toBeGreaterThan(0);
  });
});

describe("GPU primitive coverage", () => {
  it("every primitive in the registry has a GPU test in this file", () => {
    const untested = (Object.keys(registry()) as OpName[]).filter((n) => !(n in COVERED_BY));
    expect(untested, "primitives without a GPU test").toEqual([]);
  });
});
