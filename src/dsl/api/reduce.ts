/** @file Typed reductions: the result shape drops the axes, or keeps them as 1 with keepDims. */
import * as core from "../core.js";
import type { Tensor } from "../tensor.js";
import type { DType, ReduceShape, Shape } from "../types/index.js";
import type { Checked, Ok } from "./checked.js";

/** [0, 1, …, rank − 1]: reducing with no axes reduces them all. */
type AllAxes<S extends Shape, Acc extends number[] = []> = Acc["length"] extends S["length"] ? Acc : AllAxes<S, [...Acc, Acc["length"]]>;
type Axes<S extends Shape, Ax> = Ax extends number ? [Ax] : Ax extends readonly number[] ? Ax : AllAxes<S>;

export type Reduced<S extends Shape, Ax, K extends boolean> = Ok<ReduceShape<S, Axes<S, Ax>, K>>;

type Reduction = <S extends Shape, D extends DType, const Ax extends number | readonly number[] | undefined = undefined, K extends boolean = false>(
  x: Checked<ReduceShape<S, Axes<S, Ax>, K>, Tensor<S, D>>,
  axes?: Ax,
  keepDims?: K,
) => Tensor<Reduced<S, Ax, K>, D>;

const reduction = (f: (x: never, axes?: never, keepDims?: boolean) => unknown) => f as unknown as Reduction;

/** Sum over `axes` (all when omitted). */
export const sum = reduction(core.sum);
/** Maximum over `axes` (all when omitted). */
export const max = reduction(core.max);
/** Mean over `axes` (all when omitted). */
export const mean = reduction(core.mean);
