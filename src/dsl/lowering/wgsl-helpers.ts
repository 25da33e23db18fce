/**
 * @file WGSL helper functions that ops call and kernels include when used: what WGSL lacks
 * (erf), what some drivers get wrong (tanh of large |x|), and the Threefry RNG.
 */
import { isNanF32 } from "./lowering.js";

/** tanh saturates to ±1 in f32 beyond |x| ≈ 9; clamping keeps exp-based implementations finite. */
export const WG_TANH = `fn wg_tanh(x: f32) -> f32 {
  // clamp(NaN) is a bound on some drivers: keep NaN NaN
  return select(tanh(clamp(x, -15.0, 15.0)), x, ${isNanF32("x")});
}`;

/**
 * erf in f32: the Maclaurin series below |x| = 0.5 (no cancellation there, and exact near 0),
 * else 1 − erfc with the Chebyshev-fitted erfc of Numerical Recipes (`erfcc`), whose relative
 * error is below 1.2e-7 everywhere: a few f32 ulps.
 */
export const WG_ERF = `fn wg_erf(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.5) {
    let x2 = x * x;
    return 1.1283791670955126 * x * (1.0 + x2 * (-0.3333333333 + x2 * (0.1 + x2 * (-0.0238095238 + x2 * (0.0046296296 + x2 * -0.0007575758)))));
  }
  let t = 1.0 / (1.0 + 0.5 * a);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let erfc = t * exp(-a * a + p);
  return sign(x) * (1.0 - erfc);
}`;

/** Threefry-2x32, 20 rounds: the same bits as src/dsl/random/threefry.ts. */
export const WG_THREEFRY = `fn wg_threefry(k0: u32, k1: u32, c0: u32, c1: u32) -> vec2<u32> {
  var ks = array<u32, 3>(k0, k1, 0x1bd11bdau ^ k0 ^ k1);
  var rot = array<u32, 8>(13u, 15u, 26u, 6u, 17u, 29u, 16u, 24u);
  var x0 = c0 + k0;
  var x1 = c1 + k1;
  for (var b = 0u; b < 5u; b++) {
    for (var i = 0u; i < 4u; i++) {
      x0 = x0 + x1;
      let r = rot[(b % 2u) * 4u + i];
      x1 = ((x1 << r) | (x1 >> (32u - r))) ^ x0;
    }
    let s = b + 1u;
    x0 = x0 + ks[s % 3u];
    x1 = x1 + ks[(s + 1u) % 3u] + s;
  }
  return vec2<u32>(x0, x1);
}

fn wg_uniform(k0: u32, k1: u32, i: u32, n: u32) -> f32 {
  let h = (n + 1u) / 2u;
  var bits: u32;
  if (i < h) {
    bits = wg_threefry(k0, k1, i, select(0u, i + h, i + h < n)).x;
  } else {
    bits = wg_threefry(k0, k1, i - h, i).y;
  }
  return f32(bits >> 9u) * exp2(-23.0);
}`;

/** ∞ and NaN at run time (a WGSL constant expression that overflows is a compile error). */
export const WG_SPECIAL_FLOATS = `var<private> wg_inf_bits: u32 = 0x7f800000u;
var<private> wg_nan_bits: u32 = 0x7fc00000u;
fn wg_inf() -> f32 { return bitcast<f32>(wg_inf_bits); }
fn wg_nan() -> f32 { return bitcast<f32>(wg_nan_bits); }`;

/**
 * pow as Math.pow (the CPU interpreter) computes it, where WGSL's pow is undefined (x ≤ 0):
 * x⁰ = 1, 0 to a positive power 0 and to a negative one ∞, a negative base to an integer power
 * with the sign of its parity, to any other power NaN.
 */
export const WG_POW = `fn wg_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (x > 0.0) { return pow(x, y); }
  if (x == 0.0) { return select(0.0, wg_inf(), y < 0.0); }
  if (x < 0.0) {
    if (y != trunc(y)) { return wg_nan(); }
    let r = pow(-x, y);
    return select(r, -r, abs(y) % 2.0 == 1.0);
  }
  return x + y;
}`;
