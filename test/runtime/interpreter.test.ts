/**
 * The CPU interpreter and the transforms around it: buffers are released only after their last
 * use (diamonds, shared subexpressions, outputs that are also intermediates), jit caches per
 * input signature, trace binds named dims, and f64 evaluation differs from f32 only by rounding.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import type { Node } from "../../src/dsl/node.js";
import { data, realize } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { jit, spec, trace } from "../../src/dsl/transforms.js";
import { fromFlat, materialize, type CpuArray } from "../../src/dsl/host/array.js";
import { evaluate } from "../../src/dsl/interpreter.js";
import { expectClose, expectSame, ft, it32, range } from "../ops/helpers.js";

const fr = Math.fround;
const values = (arrs: readonly CpuArray[]) => arrs.map((a) => Array.from(materialize(a)));

describe("evaluate: nothing needed is freed", () => {
  it("diamond: outputs that are also intermediates, listed twice, with a value used twice by one node", () => {
    const a = ft([3], [0.5, -1, 2]);
    const b = core.exp(a);
    const c = core.add(b, b); // b used twice by one node
    const d = core.mul(c, b); // b used again later
    const e = core.sub(d, c);
    const out = evaluate([e.node, b.node, c.node, e.node, a.node]);
    const bv = [0.5, -1, 2].map((v) => fr(Math.exp(v)));
    const cv = bv.map((v) => fr(v + v));
    const dv = cv.map((v, i) => fr(v * bv[i]!));
    const ev = dv.map((v, i) => fr(v - cv[i]!));
    expect(values(out)).toEqual([ev, bv, cv, ev, [0.5, -1, 2]]);
  });

  it("does not modify constant buffers (views share them)", () => {
    const buf = new Float32Array([1, 2, 3, 4, 5, 6]);
    const x = core.constant(buf, [2, 3], "float32");
    const y = core.add(core.flip(x, 1), core.permute(core.permute(x, [1, 0]), [1, 0]));
    evaluate([y.node, core.neg(x).node]);
    expect(Array.from(buf)).toEqual([1, 2, 3, 4, 5, 6]);
    expectSame(data(y), [4, 4, 4, 10, 10, 10]);
  });

  type Op = "add" | "sub" | "mul" | "max" | "neg" | "tanh" | "flip" | "padslice" | "select" | "transpose2";
  const OPS: readonly Op[] = ["add", "sub", "mul", "max", "neg", "tanh", "flip", "padslice", "select", "transpose2"];
  const SHAPE = [2, 3];

  /** Build node i from earlier nodes (tensor and reference in lockstep). */
  function apply(op: Op, a: AnyTensor, b: AnyTensor, ra: number[], rb: number[], rnd: (v: number) => number): [AnyTensor, number[]] {
    const zip = (f: (x: number, y: number) => number) => ra.map((x, i) => rnd(f(x, rb[i]!)));
    switch (op) {
      case "add":
        return [core.add(a, b), zip((x, y) => x + y)];
      case "sub":
        return [core.sub(a, b), zip((x, y) => x - y)];
      case "mul":
        return [core.mul(a, b), zip((x, y) => x * y)];
      case "max":
        return [core.maximum(a, b), zip((x, y) => Math.max(x, y))];
      case "neg":
        return [core.neg(a), ra.map((x) => -x)];
      case "tanh":
        return [core.tanh(a), ra.map((x) => rnd(Math.tanh(x)))];
      case "flip": // reverse each row of [2, 3]
        return [core.flip(a, 1), [ra[2]!, ra[1]!, ra[0]!, ra[5]!, ra[4]!, ra[3]!]];
      case "padslice": // a view of a masked view
        return [core.slice(core.pad(a, [[1, 0], [0, 2]], 9), [1, 0], [3, 3]), [...ra]];
      case "select": // where(a < b, a, b): uses both inputs twice
        return [core.where(core.less(a, b), a, b), ra.map((x, i) => (x < rb[i]! ? x : rb[i]!))];
      case "transpose2":
        return [core.transpose(core.transpose(a)), [...ra]];
    }
  }

  it("random DAGs with shared subexpressions, any subset of nodes as outputs", () => {
    const arb = fc.tuple(
      fc.array(fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 3 }),
      fc.array(fc.tuple(fc.constantFrom(...OPS), fc.nat(), fc.nat()), { minLength: 1, maxLength: 25 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
    );
    fc.assert(
      fc.property(arb, ([leaves, steps, picks]) => {
        const ts: AnyTensor[] = leaves.map((l) => ft(SHAPE, l));
        // Reference values in f32 (rounded after every op) and in f64 (never rounded).
        const refs: number[][] = leaves.map((l) => l.map(fr));
        const refs64: number[][] = leaves.map((l) => l.map(fr));
        for (const [op, i, j] of steps) {
          const [t, r] = apply(op, ts[i % ts.length]!, ts[j % ts.length]!, refs[i % refs.length]!, refs[j % refs.length]!, fr);
          const [, r64] = apply(op, t, t, refs64[i % refs64.length]!, refs64[j % refs64.length]!, (v) => v);
          ts.push(t);
          refs.push(r);
          refs64.push(r64);
        }
        // Always include the last node; the others are random (repeats allowed).
        const outs = [ts.length - 1, ...picks.map((p) => p % ts.length)];
        const got = values(evaluate(outs.map((k) => ts[k]!.node)));
        outs.forEach((k, n) => expectSame(got[n]!, refs[k]!, `node ${k}`));
        // f64 evaluation of the same outputs equals the unrounded reference
        const got64 = values(evaluate(outs.map((k) => ts[k]!.node), { precision: "f64" }));
        outs.forEach((k, n) => expectSame(got64[n]!, refs64[k]!, `f64 node ${k}`));
      }),
      { numRuns: 100 },
    );
  });

  it("realize caches per node and evaluation stops at cached nodes", () => {
    const x = ft([2], [1, 2]);
    const mid = core.mul(x, 3);
    const m1 = realize(mid);
    expect(realize(mid)).toBe(m1);
    const top = core.add(mid, mid);
    expectSame(data(top), [6, 12]);
    let calls = 0;
    const out = evaluate([top.node], {
      known: (n: Node) => {
        if (n === mid.node) {
          calls++;
          return fromFlat(new Float32Array([100, 200]), "float32", [2]);
        }
        return undefined;
      },
    });
    expect(calls).toBeGreaterThan(0);
    expectSame(materialize(out[0]!), [200, 400]); // the known value was used, x·3 was not recomputed
  });

  it("deep chains evaluate without recursion limits", () => {
    let t = ft([1], [0]);
    for (let i = 0; i < 10000; i++) t = core.add(t, 1);
    expectSame(data(t), [10000]);
  });
});

describe("jit", () => {
  it("traces once per signature and retraces on new shapes, dtypes, structure and static leaves", () => {
    let calls = 0;
    const f = jit((p: { x: AnyTensor; k: number }, y: AnyTensor) => {
      calls++;
      return core.add(core.mul(p.x, p.k), core.sum(y));
    });
    const x23 = ft([2, 3], range(6));
    const r1 = f({ x: x23, k: 2 }, ft([2], [1, 1]));
    expect(f.traces).toBe(1);
    expectSame(data(r1), range(6).map((v) => 2 * v + 2));
    // same signature, different values: cached program, fresh values
    const r2 = f({ x: ft([2, 3], range(6, 10)), k: 2 }, ft([2], [0, 5]));
    expect([f.traces, calls]).toEqual([1, 1]);
    expectSame(data(r2), range(6, 10).map((v) => 2 * v + 5));
    f({ x: ft([3, 2], range(6)), k: 2 }, ft([2], [1, 1])); // new shape
    expect(f.traces).toBe(2);
    f({ x: x23, k: 3 }, ft([2], [1, 1])); // new static leaf
    expect(f.traces).toBe(3);
    f({ x: x23, k: 2 }, ft([3], [1, 1, 1])); // new shape of the second argument
    expect(f.traces).toBe(4);
    f({ x: x23, k: 2 }, ft([2], [1, 1])); // an old signature
    expect([f.traces, calls]).toEqual([4, 4]);
    const g = jit((a: AnyTensor) => core.add(a, a));
    g(ft([2], [1, 2]));
    expectSame(data(g(it32([2], [1, 2]))), [2, 4]); // new dtype
    expect(g.traces).toBe(2);
  });

  it("returns pytrees of concrete tensors", () => {
    const f = jit((a: AnyTensor) => ({ s: core.sum(a), parts: [core.neg(a), core.mul(a, a)] }));
    const out = f(ft([3], [1, 2, 3]));
    expectSame(data(out.s), [6]);
    expectSame(data(out.parts[0]!), [-1, -2, -3]);
    expectSame(data(out.parts[1]!), [1, 4, 9]);
  });
});

describe("trace", () => {
  it("binds named dims and runs the program on inputs of those shapes", () => {
    const program = trace((a: AnyTensor, b: AnyTensor) => core.matmul(a, b), [spec(["B", 3]), spec([3, "N"])], { B: 2, N: 4 });
    expect(program.inputs.map((n) => n.shape)).toEqual([
      [2, 3],
      [3, 4],
    ]);
    expect(program.outputs[0]!.shape).toEqual([2, 4]);
    const a = range(6);
    const b = range(12).map((v) => v - 5);
    const [out] = program.run([fromFlat(Float32Array.from(a), "float32", [2, 3]), fromFlat(Float32Array.from(b), "float32", [3, 4])]);
    const expected = range(8).map((k) => {
      const [i, j] = [Math.floor(k / 4), k % 4];
      return range(3).reduce((s, p) => s + a[i * 3 + p]! * b[p * 4 + j]!, 0);
    });
    expectSame(materialize(out!), expected);
  });

  it("errors clearly on an unbound named dim, wrong inputs, and computing a traced value", () => {
    expect(() => trace((a: AnyTensor) => a, [spec([2, "N"])], { B: 2 })).toThrow(/trace: input 0: named dim N in \[2, N\] is not bound: .*pass bindings such as \{ N: 2 \}/);
    expect(() => trace((p: { w: AnyTensor }) => p.w, [{ w: spec(["H"]) }])).toThrow(/input 0\.w: named dim H in \[H\] is not bound/);
    const program = trace((a: AnyTensor) => core.neg(a), [spec([2, 3])]);
    expect(() => program.run([])).toThrow(/program: expected 1 inputs, got 0/);
    expect(() => program.run([fromFlat(new Float32Array(6), "float32", [3, 2])])).toThrow(/input "in0": expected float32 \[2, 3\], got float32 \[3, 2\]/);
    expect(() => program.run([fromFlat(new Int32Array(6), "int32", [2, 3])])).toThrow(/expected float32 \[2, 3\], got int32/);
    trace((a: AnyTensor) => {
      expect(() => data(core.neg(a))).toThrow(/cannot compute a traced value: it depends on input "in0"/);
      return a;
    }, [spec([2])]);
  });
});

describe("precision", () => {
  it("single ops: the f32 result is exactly the f64 result rounded once", () => {
    const xs = range(24).map((i) => fr(Math.sin(i * 1.3) * 3));
    const ops: ((t: AnyTensor) => AnyTensor)[] = [
      core.exp,
      core.tanh,
      core.erf,
      (t) => core.sum(t, [1]),
      (t) => core.matmul(t, core.transpose(t)),
      (t) => core.conv(core.reshape(t, [1, 6, 4]), core.reshape(core.slice(t, [0, 0], [2, 4]), [2, 1, 4])),
    ];
    for (const op of ops) {
      const program = trace((a: AnyTensor) => op(a), [spec([6, 4])]);
      const arg = fromFlat(Float32Array.from(xs), "float32", [6, 4]);
      const [o32] = program.run([arg], "f32");
      const [o64] = program.run([arg], "f64");
      expect(materialize(o32!)).toBeInstanceOf(Float32Array);
      expect(materialize(o64!)).toBeInstanceOf(Float64Array);
      expectSame(materialize(o32!), Array.from(materialize(o64!), fr));
    }
  });

  it("chains differ only by accumulated rounding; int outputs are identical", () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -3, max: 3, noNaN: true }), { minLength: 12, maxLength: 12 }), (xs) => {
        const program = trace(
          (a: AnyTensor) => {
            const h = core.tanh(core.add(core.mul(a, a), core.sin(a)));
            const s = core.div(core.exp(h), core.add(core.sum(core.exp(h), [1], true), 1));
            return [core.mean(core.mul(s, core.permute(core.flip(s, 0), [0, 1])), [0]), core.cast(core.less(a, 0), "int32")];
          },
          [spec([3, 4])],
        );
        const arg = fromFlat(Float32Array.from(xs), "float32", [3, 4]);
        const [f32, i32] = program.run([arg], "f32");
        const [f64, i64] = program.run([arg], "f64");
        // Each of ~10 ops adds ≤ 1 f32 rounding (relative 6e-8) amplified by condition numbers ≤ ~10.
        expectClose(materialize(f32!), materialize(f64!), { rtol: 1e-5, atol: 1e-7 });
        expect(materialize(i32!)).toBeInstanceOf(Int32Array);
        expectSame(materialize(i32!), materialize(i64!));
        expectSame(materialize(i32!), xs.map((v) => (v < 0 ? 1 : 0)));
      }),
      { numRuns: 30 },
    );
  });

  it("f64 keeps precision that f32 loses", () => {
    const program = trace((a: AnyTensor) => core.sub(core.add(a, 1e-3), a), [spec([1])]);
    const arg = fromFlat(new Float32Array([1000]), "float32", [1]);
    const v32 = materialize(program.run([arg], "f32")[0]!)[0]!;
    const v64 = materialize(program.run([arg], "f64")[0]!)[0]!;
    expect(v32).toBe(fr(fr(1000 + fr(1e-3)) - 1000));
    expect(Math.abs(v64 - fr(1e-3))).toBeLessThan(1e-12);
    expect(Math.abs(v32 - fr(1e-3))).toBeGreaterThan(1e-6);
  });
});
