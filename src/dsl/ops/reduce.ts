/**
 * @file Shared shape rule and CPU loop of the reductions. The reduced axes are moved last (a
 * view), so each output element folds one contiguous run. Accumulation is in f64 (a JS number)
 * and rounded once on store.
 */
import { require } from "../errors.js";
import type { DType } from "../dtype.js";
import { allocate, fromFlat, materialize, type CpuArray, type Precision } from "../host/array.js";
import { permuteView, sizeOf } from "../host/view.js";
import type { Abstract } from "./def.js";

export function reduceShape(x: Abstract, axes: readonly number[], dtypes: readonly DType[]): Abstract {
  require(dtypes.includes(x.dtype), `dtype ${x.dtype} is not supported (takes ${dtypes.join(", ")})`);
  require(new Set(axes).size === axes.length, `repeated axis in [${axes.join(", ")}]`);
  for (const a of axes) require(Number.isInteger(a) && a >= 0 && a < x.shape.length, `axis ${a} is out of range for rank ${x.shape.length}`);
  return { shape: x.shape.map((n, d) => (axes.includes(d) ? 1 : n)), dtype: x.dtype };
}

export function reduceCpu(
  x: CpuArray,
  axes: readonly number[],
  out: Abstract,
  precision: Precision,
  init: number,
  fold: (acc: number, v: number) => number,
): CpuArray {
  const rank = x.view.shape.length;
  const kept = Array.from({ length: rank }, (_, d) => d).filter((d) => !axes.includes(d));
  const moved = materialize({ ...x, view: permuteView(x.view, [...kept, ...axes]) }, precision);
  const inner = sizeOf(axes.map((a) => x.view.shape[a]!));
  const outer = sizeOf(out.shape);
  const dst = allocate(out.dtype, outer, precision);
  for (let o = 0; o < outer; o++) {
    let acc = init;
    const base = o * inner;
    for (let i = 0; i < inner; i++) acc = fold(acc, moved[base + i]!);
    dst[o] = acc;
  }
  return fromFlat(dst, out.dtype, out.shape);
}
