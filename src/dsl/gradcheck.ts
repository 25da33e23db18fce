/**
 * @file Gradient checking: reverse-mode gradients against central finite differences, both
 * evaluated by the CPU interpreter in float64 so the comparison is tight (truncation error
 * ~eps², rounding ~1e-16/eps). The function's output is contracted with a fixed random
 * cotangent, so every output element's dependence is checked, not only a sum.
 */
import { backward } from "./autodiff.js";
import { fromFlat, materialize, type CpuArray } from "./host/array.js";
import { uniformFromBits, randomBitsAt } from "./random/threefry.js";
import { sizeOf } from "./host/view.js";
import * as core from "./core.js";
import { trace, spec } from "./transforms.js";
import type { AnyTensor } from "./tensor.js";

export interface GradInput {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

export interface GradCheckResult {
  /** Largest |analytic − numeric| / (atol + rtol·|numeric|) over all elements; ≤ 1 passes. */
  readonly worst: number;
  readonly analytic: Float64Array[];
  readonly numeric: Float64Array[];
  readonly where: string;
}

export interface GradCheckOptions {
  readonly eps?: number;
  readonly atol?: number;
  readonly rtol?: number;
  readonly seed?: number;
}

export function checkGradients(
  f: (...xs: AnyTensor[]) => AnyTensor,
  inputs: readonly GradInput[],
  options: GradCheckOptions = {},
): GradCheckResult {
  const eps = options.eps ?? 1e-5;
  const atol = options.atol ?? 1e-6;
  const rtol = options.rtol ?? 1e-5;
  const seed = options.seed ?? 7;
  const specs = inputs.map((x) => spec(x.shape, "float32"));
  // Scalar objective: Σ f(x) ⊙ r for a fixed random r, and its gradient graph.
  const program = trace(
    (...xs: AnyTensor[]) => {
      const out = f(...xs);
      const n = out.size;
      const r = new Float64Array(n).map((_, i) => uniformFromBits(randomBitsAt(seed, 99, i, n)) * 2 - 1);
      const objective = core.sum(core.mul(out, core.constant(r, out.shape, "float32")));
      return [objective, ...backward(objective, xs)];
    },
    specs,
  );
  const values = inputs.map((x) => Float64Array.from(x.data));
  const run = (vals: Float64Array[]): CpuArray[] =>
    program.run(vals.map((v, i) => fromFlat(v, "float32", inputs[i]!.shape)), "f64");
  const analytic = run(values)
    .slice(1)
    .map((g) => Float64Array.from(materialize(g, "f64")));
  const numeric = values.map((v) => {
    const g = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const keep = v[i]!;
      v[i] = keep + eps;
      const plus = materialize(run(values)[0]!, "f64")[0]!;
      v[i] = keep - eps;
      const minus = materialize(run(values)[0]!, "f64")[0]!;
      v[i] = keep;
      g[i] = (plus - minus) / (2 * eps);
    }
    return g;
  });
  let worst = 0;
  let where = "";
  analytic.forEach((a, k) =>
    a.forEach((x, i) => {
      const n = numeric[k]![i]!;
      const err = Math.abs(x - n) / (atol + rtol * Math.abs(n));
      if (!(err <= worst)) {
        worst = Number.isNaN(err) ? Infinity : err;
        where = `input ${k} [${i} of ${sizeOf(inputs[k]!.shape)}]: analytic ${x}, numeric ${n}`;
      }
    }),
  );
  return { worst, analytic, numeric, where };
}
