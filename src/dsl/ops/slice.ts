/**
 * @file slice: a strided window [start, end) with positive step per dim (a view). The VJP puts
 * the cotangent back in place: zeros between strided elements, then zero padding.
 */
import * as core from "../core.js";
import { require } from "../errors.js";
import { sliceView } from "../host/view.js";
import type { AnyTensor } from "../tensor.js";
import type { OpDef } from "./def.js";

export function sliceCounts(starts: readonly number[], ends: readonly number[], steps: readonly number[]): number[] {
  return starts.map((s, d) => Math.max(0, Math.ceil((ends[d]! - s) / steps[d]!)));
}

/** Spread `t` along `axis` so element j lands at j·step (zeros between): [c] → [(c−1)·step + 1]. */
export function interleaveZeros(t: AnyTensor, axis: number, step: number): AnyTensor {
  if (step === 1 || t.shape[axis] === 0) return t;
  const shape = t.shape;
  const c = shape[axis]!;
  const split = core.reshape(t, [...shape.slice(0, axis + 1), 1, ...shape.slice(axis + 1)]);
  const pads = split.shape.map((_, d): [number, number] => (d === axis + 1 ? [0, step - 1] : [0, 0]));
  const spread = core.reshape(core.pad(split, pads), [...shape.slice(0, axis), c * step, ...shape.slice(axis + 1)]);
  return core.sliceAxis(spread, axis, 0, (c - 1) * step + 1);
}

export const slice: OpDef<"slice"> = {
  name: "slice",
  role: "movement",
  arity: 1,
  shape([x], { starts, ends, steps }) {
    const rank = x!.shape.length;
    require(starts.length === rank && ends.length === rank && steps.length === rank, `slice bounds need ${rank} entries each`);
    x!.shape.forEach((n, d) => {
      const [s, e, k] = [starts[d]!, ends[d]!, steps[d]!];
      require(Number.isInteger(k) && k > 0, `step ${k} on dim ${d} must be a positive integer`);
      require(Number.isInteger(s) && Number.isInteger(e) && 0 <= s && s <= e && e <= n, `[${s}, ${e}) is not within dim ${d} of size ${n}`);
    });
    return { shape: sliceCounts(starts, ends, steps), dtype: x!.dtype };
  },
  cpu: ([x], { starts, steps }, out) => ({ ...x!, view: sliceView(x!.view, starts, steps, out.shape) }),
  lower: {
    kind: "movement",
    index: (out, { starts, steps }) => [
      { index: out.map((o, d) => (steps[d] === 1 ? (starts[d] === 0 ? o : `(${o} + ${starts[d]}i)`) : `(${starts[d]}i + ${o} * ${steps[d]}i)`)) },
    ],
  },
  vjp: (ct, { inputs: [x], params: { starts, steps } }) => {
    let spread = ct;
    steps.forEach((k, d) => (spread = interleaveZeros(spread, d, k)));
    const pads = x!.shape.map((n, d): [number, number] => [starts[d]!, n - starts[d]! - spread.shape[d]!]);
    return [core.padOrCrop(spread, pads)];
  },
};
