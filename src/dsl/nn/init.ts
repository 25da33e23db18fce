/**
 * @file Parameter initializers from a PRNG key. Each draw is a graph over the counter-based
 * `random` primitive (uniform [0, 1)), so the same key gives the same values on every backend:
 *   uniform(lo, hi)   lo + (hi − lo)·u
 *   normal(μ, σ)      μ + σ·√(−2 ln u₁)·cos(2π u₂)          (Box–Muller, u₁ ∈ (0, 1])
 *   truncNormal       μ + σ·√2·erfinv(erf(a/√2) + (erf(b/√2) − erf(a/√2))·u), clipped to [a, b]
 *   xavier (Glorot)   bound = gain·√(6 / (fanIn + fanOut)),  std = gain·√(2 / (fanIn + fanOut))
 *   kaiming (He)      bound = gain·√(3 / fanIn),             std = gain / √fanIn
 * Fans follow this package's weight layouts, which put the output features first and the
 * input features last: linear [out, in] and conv [Cout, ...K, Cin/groups] both give
 *   fanIn = ∏ shape[1:],  fanOut = shape[0] · ∏ shape[1:-1]
 * (the same numbers PyTorch computes for its [out, in, ...K] layouts).
 * Each returns `Tensor<S>` for the literal sizes it is given: `normal(key, [2, 3])` is
 * `Tensor<[2, 3]>`.
 */
import * as core from "../core.js";
import { sizeOf } from "../host/view.js";
import type { AnyTensor } from "../tensor.js";
import { erf as erfScalar } from "../host/special.js";
import type { Mutable } from "../api/checked.js";
import { fromCore, keyTensor, type Float, type KeyLike } from "./common.js";

/** Concrete sizes. */
export type Sizes = readonly number[];

export function zeros<const S extends Sizes>(shape: S): Float<Mutable<S>> {
  return fromCore(core.full(shape, 0, "float32"));
}

export function ones<const S extends Sizes>(shape: S): Float<Mutable<S>> {
  return fromCore(core.full(shape, 1, "float32"));
}

/** Uniform in [lo, hi). */
export function uniform<const S extends Sizes>(key: KeyLike, shape: S, lo = 0, hi = 1): Float<Mutable<S>> {
  const u = core.randomUniform(keyTensor(key, "uniform"), shape);
  return fromCore(lo === 0 && hi === 1 ? u : core.add(core.mul(u, hi - lo), lo));
}

/** Two independent uniform [0, 1) tensors of `shape` from one draw of [2, ...shape]. */
function uniformPair(key: KeyLike, shape: Sizes, op: string): [AnyTensor, AnyTensor] {
  const u = core.randomUniform(keyTensor(key, op), [2, ...shape]);
  const half = (i: number) => core.reshape(core.sliceAxis(u, 0, i, i + 1), shape);
  return [half(0), half(1)];
}

/** Normal with mean `mean` and standard deviation `std` (Box–Muller). */
export function normal<const S extends Sizes>(key: KeyLike, shape: S, std = 1, mean = 0): Float<Mutable<S>> {
  const [a, b] = uniformPair(key, shape, "normal");
  const u1 = core.sub(1, a); // (0, 1]: ln u₁ is finite
  const radius = core.sqrt(core.mul(core.log(u1), -2));
  const z = core.mul(radius, core.cos(core.mul(b, 2 * Math.PI)));
  return fromCore(core.add(core.mul(z, std), mean));
}

/**
 * erf⁻¹ on (−1, 1), M. Giles' single-precision approximation ("Approximating the erfinv
 * function", GPU Computing Gems, 2011): a polynomial in w = −ln(1 − x²), one for the centre
 * (w < 5) and one in √w for the tails.
 */
export function erfinv(x: AnyTensor): AnyTensor {
  const horner = (coefs: readonly number[], t: AnyTensor): AnyTensor =>
    coefs.slice(1).reduce<AnyTensor>((p, c) => core.add(core.mul(p, t), c), core.full(t.shape, coefs[0]!, "float32"));
  const w = core.neg(core.log(core.mul(core.sub(1, x), core.add(1, x))));
  const centre = horner(
    [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 2.1858087e-4, -1.25372503e-3, -4.17768164e-3, 2.46640727e-1, 1.50140941],
    core.sub(w, 2.5),
  );
  const tail = horner(
    [-2.00214257e-4, 1.00950558e-4, 1.34934322e-3, -3.67342844e-3, 5.73950773e-3, -7.6224613e-3, 9.43887047e-3, 1.00167406, 2.83297682],
    core.sub(core.sqrt(w), 3),
  );
  return core.mul(core.where(core.less(w, 5), centre, tail), x);
}

export interface TruncNormalOptions {
  readonly std?: number;
  readonly mean?: number;
  /** Bounds in units of `std` around `mean` (as JAX's `truncated_normal`); default ±2. */
  readonly lo?: number;
  readonly hi?: number;
}

/** Normal truncated to [mean + lo·std, mean + hi·std], by inverting the CDF. */
export function truncNormal<const S extends Sizes>(key: KeyLike, shape: S, options: TruncNormalOptions = {}): Float<Mutable<S>> {
  const { std = 1, mean = 0, lo = -2, hi = 2 } = options;
  if (!(lo < hi)) throw new RangeError(`truncNormal: lo ${lo} must be below hi ${hi}`);
  const [a, b] = [erfScalar(lo * Math.SQRT1_2), erfScalar(hi * Math.SQRT1_2)];
  const u = core.randomUniform(keyTensor(key, "truncNormal"), shape);
  const z = core.mul(erfinv(core.add(core.mul(u, b - a), a)), Math.SQRT2);
  const clipped = core.minimum(core.maximum(z, lo), hi);
  return fromCore(core.add(core.mul(clipped, std), mean));
}

export interface Fans {
  readonly fanIn: number;
  readonly fanOut: number;
}

/** fanIn and fanOut of a weight in this package's layouts ([out, ...K, in]). */
export function fans(shape: Sizes): Fans {
  if (shape.length < 2) throw new RangeError(`fans: a weight needs rank >= 2, got [${shape.join(", ")}]`);
  return { fanIn: sizeOf(shape.slice(1)), fanOut: shape[0]! * sizeOf(shape.slice(1, -1)) };
}

export interface ScaledInitOptions extends Partial<Fans> {
  readonly gain?: number;
}

function resolveFans(shape: Sizes, options: ScaledInitOptions): Fans {
  const fromShape = options.fanIn !== undefined && options.fanOut !== undefined ? undefined : fans(shape);
  return { fanIn: options.fanIn ?? fromShape!.fanIn, fanOut: options.fanOut ?? fromShape!.fanOut };
}

/** Glorot uniform: U(−b, b), b = gain·√(6 / (fanIn + fanOut)). */
export function xavierUniform<const S extends Sizes>(key: KeyLike, shape: S, options: ScaledInitOptions = {}): Float<Mutable<S>> {
  const { fanIn, fanOut } = resolveFans(shape, options);
  const bound = (options.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(key, shape, -bound, bound);
}

/** Glorot normal: N(0, σ²), σ = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal<const S extends Sizes>(key: KeyLike, shape: S, options: ScaledInitOptions = {}): Float<Mutable<S>> {
  const { fanIn, fanOut } = resolveFans(shape, options);
  return normal(key, shape, (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)));
}

/** He uniform: U(−b, b), b = gain·√(3 / fanIn); gain defaults to √2 (ReLU). */
export function kaimingUniform<const S extends Sizes>(key: KeyLike, shape: S, options: ScaledInitOptions = {}): Float<Mutable<S>> {
  const { fanIn } = resolveFans(shape, { fanOut: 0, ...options });
  const bound = (options.gain ?? Math.SQRT2) * Math.sqrt(3 / fanIn);
  return uniform(key, shape, -bound, bound);
}

/** He normal: N(0, σ²), σ = gain / √fanIn; gain defaults to √2 (ReLU). */
export function kaimingNormal<const S extends Sizes>(key: KeyLike, shape: S, options: ScaledInitOptions = {}): Float<Mutable<S>> {
  const { fanIn } = resolveFans(shape, { fanOut: 0, ...options });
  return normal(key, shape, (options.gain ?? Math.SQRT2) / Math.sqrt(fanIn));
}
