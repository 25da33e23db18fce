/**
 * @file Random expression graphs for compiler tests (fast-check). A recipe is a list of steps;
 * each step applies one op family to values drawn from the pool of earlier values, so values
 * are shared (fan-out, common subexpressions) and graphs are DAGs, not trees.
 *
 * Every value has shape [B, N, N] or a keepDims reduction of it ([B|1, N|1, N|1]), so any two
 * values broadcast. Steps are chosen to keep |values| ≲ 1 and the functions continuous (no
 * comparison whose outcome could flip under rounding decides between unrelated values), so a
 * fixed absolute tolerance is meaningful when CPU and GPU round differently.
 */
import fc from "fast-check";
import * as core from "../../src/dsl/core.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { mulberry32 } from "../../src/dsl/random/mulberry32.js";

export interface Step {
  /** Op family (taken modulo the number of families). */
  readonly kind: number;
  /** Variant within the family. */
  readonly variant: number;
  /** Operand picks (modulo the pool size). */
  readonly a: number;
  readonly b: number;
  /** Axis picks (bit masks / indices). */
  readonly axes: number;
}

export interface GraphRecipe {
  readonly batch: number;
  readonly n: number;
  readonly inputs: number;
  readonly steps: readonly Step[];
  /** Extra outputs besides the last value (pool picks). */
  readonly outputs: readonly number[];
  /** Seed of closed-over weights (matmul, conv). */
  readonly seed: number;
  /** Families allowed (default all). */
  readonly families?: readonly Family[];
}

export const FAMILIES = ["unary", "binary", "reduce", "movement", "contraction", "softmax", "norm", "mask"] as const;
export type Family = (typeof FAMILIES)[number];

export interface RecipeOptions {
  readonly minSteps?: number;
  readonly maxSteps?: number;
  readonly families?: readonly Family[];
  readonly ns?: readonly number[];
  readonly maxBatch?: number;
  /** At most this many matmul/conv steps (they are slow to compile on lavapipe). */
  readonly maxContractions?: number;
  /** Make sure one step is a matmul/conv (the middle one, if none was drawn). */
  readonly requireContraction?: boolean;
}

export function recipeArb(options: RecipeOptions = {}): fc.Arbitrary<GraphRecipe> {
  const step = fc.record({ kind: fc.nat(), variant: fc.nat(), a: fc.nat(), b: fc.nat(), axes: fc.nat() });
  return fc
    .record({
      batch: fc.integer({ min: 1, max: options.maxBatch ?? 3 }),
      n: fc.constantFrom(...(options.ns ?? [3, 4, 16])),
      inputs: fc.integer({ min: 1, max: 3 }),
      steps: fc.array(step, { minLength: options.minSteps ?? 3, maxLength: options.maxSteps ?? 10 }),
      outputs: fc.array(fc.nat(), { maxLength: 2 }),
      seed: fc.nat(),
    })
    .map((r) => {
      const families = options.families ?? FAMILIES;
      // Cap the contractions: later ones become unary steps.
      let budget = options.maxContractions ?? 1;
      const steps = r.steps.map((s) => {
        if (families[s.kind % families.length] !== "contraction") return s;
        if (budget-- > 0) return s;
        return { ...s, kind: families.indexOf("unary") >= 0 ? families.indexOf("unary") : 0 };
      });
      const at = families.indexOf("contraction");
      if (options.requireContraction && at >= 0 && !steps.some((s) => families[s.kind % families.length] === "contraction")) {
        const mid = Math.floor(steps.length / 2);
        steps[mid] = { ...steps[mid]!, kind: at };
      }
      return { ...r, steps, families };
    });
}

/** mulberry32 for closed-over weights. */
const rng = mulberry32;

function weights(next: () => number, shape: readonly number[], scale: number): AnyTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return core.constant(Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale), shape, "float32");
}

export function inputShape(r: GraphRecipe): number[] {
  return [r.batch, r.n, r.n];
}

/** Build the function a recipe describes: inputs [B, N, N] → a list of outputs. */
export function buildGraph(r: GraphRecipe): (...xs: AnyTensor[]) => AnyTensor[] {
  const families = r.families ?? FAMILIES;
  const full = inputShape(r);
  const [B, N] = [r.batch, r.n];
  return (...xs: AnyTensor[]) => {
    const next = rng(r.seed);
    const pool: AnyTensor[] = [...xs];
    const pick = (i: number) => pool[i % pool.length]!;
    const whole = (t: AnyTensor) => core.broadcastTo(t, full);
    const axesOf = (mask: number) => {
      const list = [0, 1, 2].filter((d) => (mask >> d) & 1);
      return list.length > 0 ? list : [2];
    };
    for (const s of r.steps) {
      const family = families[s.kind % families.length]!;
      const x = pick(s.a);
      const y = pick(s.b);
      let out: AnyTensor;
      switch (family) {
        case "unary": {
          const ops: ((t: AnyTensor) => AnyTensor)[] = [
            core.tanh,
            core.sin,
            core.cos,
            core.neg,
            core.erf,
            (t) => core.exp(core.sub(t, 1)),
            (t) => core.log(core.mul(core.add(t, 3), 0.5)),
            (t) => core.recip(core.add(t, 2)),
            (t) => core.sqrt(core.add(core.square(t), 0.01)),
            (t) => core.sigmoid(t),
          ];
          out = ops[s.variant % ops.length]!(x);
          break;
        }
        case "binary": {
          const ops: ((a: AnyTensor, b: AnyTensor) => AnyTensor)[] = [
            (a, b) => core.mul(core.add(a, b), 0.5),
            (a, b) => core.mul(core.sub(a, b), 0.5),
            core.mul,
            core.maximum,
            (a, b) => core.div(a, core.add(core.square(b), 1)),
            (a, b) => core.where(core.less(a, b), a, b),
            (a, b) => core.tanh(core.pow(core.mul(core.add(a, 3), 0.25), b)),
          ];
          out = ops[s.variant % ops.length]!(x, y);
          break;
        }
        case "reduce": {
          const axes = axesOf(s.axes);
          const count = axes.reduce((n, d) => n * x.shape[d]!, 1);
          const ops: ((t: AnyTensor) => AnyTensor)[] = [
            (t) => core.mean(t, axes, true),
            (t) => core.max(t, axes, true),
            (t) => core.mul(core.sum(t, axes, true), 1 / count),
            // A reduction read back by an elementwise op of the same rows: x − mean.
            (t) => core.mul(core.sub(t, core.mean(t, axes, true)), 0.5),
          ];
          out = ops[s.variant % ops.length]!(x);
          break;
        }
        case "movement": {
          const t = whole(x);
          const axis = s.axes % 3;
          const ops: (() => AnyTensor)[] = [
            () => core.flip(t, axesOf(s.axes)),
            () => core.transpose(t),
            // A non-contiguous view reshaped: a scramble of the elements, same shape.
            () => core.reshape(core.permute(t, [2, 0, 1]), full),
            () => {
              const len = full[axis]!;
              if (len < 2) return core.flip(t, [axis]);
              return core.pad(core.sliceAxis(t, axis, 1, len), full.map((_, d): [number, number] => (d === axis ? [0, 1] : [0, 0])), 0.5);
            },
            () => {
              const len = full[axis]!;
              const cut = Math.max(1, Math.floor(len / 2));
              if (cut >= len) return core.neg(t);
              return core.concat([core.sliceAxis(t, axis, 0, cut), core.sliceAxis(whole(y), axis, cut, len)], axis);
            },
            () => core.sliceAxis(core.concat([t, core.flip(t, [axis])], axis), axis, 0, 2 * full[axis]!, 2),
          ];
          out = ops[s.variant % ops.length]!();
          break;
        }
        case "contraction": {
          const ops: (() => AnyTensor)[] = [
            () => core.mul(core.matmul(whole(x), whole(y)), 1 / N),
            () => core.mul(core.matmul(whole(x), weights(next, [N, N], 1)), 1 / N),
            () => core.mul(core.matmul(core.transpose(whole(x)), whole(y)), 1 / N),
            // Depthwise 1-D conv over [batch B, length N, channels N], "same" padding.
            () => core.mul(core.conv(whole(x), weights(next, [N, 3, 1], 1), { padding: 1, groups: N }), 1 / 3),
            // 2-D conv on [B, N, N, 1] with a 3×3 kernel.
            () => core.reshape(core.mul(core.conv(core.reshape(whole(x), [B, N, N, 1]), weights(next, [1, 3, 3, 1], 1), { padding: 1 }), 1 / 9), full),
          ];
          out = ops[s.variant % ops.length]!();
          break;
        }
        case "softmax": {
          const axis = s.axes % 3;
          const t = whole(x);
          const e = core.exp(core.sub(t, core.max(t, axis, true)));
          out = core.div(e, core.sum(e, axis, true));
          break;
        }
        case "norm": {
          const axis = s.axes % 3;
          const t = whole(x);
          const centred = core.sub(t, core.mean(t, axis, true));
          const normed = core.mul(centred, core.rsqrt(core.add(core.mean(core.square(centred), axis, true), 1e-3)));
          out = core.tanh(core.mul(normed, 0.5));
          break;
        }
        case "mask": {
          // An int path: iota comparisons (exact) select between a value and a constant.
          const rows = core.iota(full, 1);
          const cols = core.iota(full, 2);
          // Causal (col ≤ row) or even rows (integer division and multiplication).
          const keep = s.variant % 2 === 0 ? core.less(cols, core.add(rows, 1)) : core.equal(core.mul(core.div(rows, 2), 2), rows);
          out = core.where(keep, whole(x), core.cast(core.iota(full, 0), "float32"));
          out = core.mul(out, 1 / B);
          break;
        }
      }
      pool.push(out);
    }
    const last = pool[pool.length - 1]!;
    return [last, ...r.outputs.map((i) => pool[i % pool.length]!).filter((t) => t !== last)];
  };
}

/** Random input values for a recipe (in [-1, 1]). */
export function recipeInputs(r: GraphRecipe, make: (seed: number, shape: readonly number[]) => AnyTensor): AnyTensor[] {
  return Array.from({ length: r.inputs }, (_, i) => make(r.seed + 17 * i + 1, inputShape(r)));
}
