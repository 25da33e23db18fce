/**
 * @file Affine map over the last dim, in PyTorch's nn.Linear layout (weight [out, in]), so a
 * checkpoint's `weight`/`bias` map over unchanged:
 *   linear(x) = x · Wᵀ + b,   x [..., in] → [..., out]
 *   mlp(x)    = fc2(act(fc1(x)))   (timm's Mlp: fc1 [hidden, in], fc2 [out, hidden])
 * The leading dims are flattened into one matrix row each, so it is one 2-D `dot`.
 *
 * Types: `LinearParams<O, I>` is weight `Tensor<[O, I]>` and an optional bias `Tensor<[O]>`;
 * `linear(Tensor<["B", 3]>, initLinear(key, 3, 4))` is `Tensor<["B", 4]>`, and a mismatch is a
 * compile error such as `linear: input features 3 vs weight [4, 5] in-features 5`.
 */
import * as api from "../api/index.js";
import type { Checked, Ok } from "../api/checked.js";
import * as core from "../core.js";
import { sizeOf } from "../host/view.js";
import type { AnyTensor, Tensor } from "../tensor.js";
import type { Dim, DType, Shape } from "../types/shape.js";
import type { Key } from "../random/threefry.js";
import { gelu, quickGelu, silu } from "./activations.js";
import { fromCore, requireFloat, requireShape, type FloatArg, type ParamTensor } from "./common.js";
import { uniform } from "./init.js";
import type { LinearShape, MlpShape } from "./rules.js";

/** nn.Linear's parameters: weight [O, I] (PyTorch's [out, in]), bias [O] (absent: no bias). */
export interface LinearParams<O extends Dim = Dim, I extends Dim = Dim> {
  /** [out, in] */
  readonly weight: ParamTensor<[O, I]>;
  /** [out]; absent for a bias-free layer. */
  readonly bias?: ParamTensor<[O]> | undefined;
}

/** x · Wᵀ + b over the last dim: x [..., in], weight [out, in], bias [out] → [..., out]. */
export function linear<S extends Shape, P extends LinearParams, D extends DType = "float32">(
  x: Tensor<S, D> & FloatArg<D, "linear">,
  params: Checked<LinearShape<S, P>, P>,
): Tensor<Ok<LinearShape<S, P>>, D>;
export function linear(x: AnyTensor, params: LinearParams): AnyTensor {
  const { weight, bias } = params;
  requireFloat("linear", x, weight, bias);
  requireShape("linear", weight.shape.length === 2, "weight must be [out, in]", x, weight);
  const [outF, inF] = weight.shape as [number, number];
  requireShape("linear", x.shape.length >= 1 && x.shape[x.shape.length - 1] === inF, `input's last dim must be in-features ${inF}`, x, weight);
  requireShape("linear", !bias || (bias.shape.length === 1 && bias.shape[0] === outF), `bias must be [${outF}]`, x, weight, bias);
  const lead = x.shape.slice(0, -1);
  const rows = core.reshape(x, [sizeOf(lead), inF]);
  const y = core.reshape(core.dot(rows, core.transpose(weight)), [...lead, outF]);
  return bias ? core.add(y, bias) : y;
}

export interface InitLinearOptions {
  /** Include a bias (default true). */
  readonly bias?: boolean;
}

/** Whether init options ask for a bias: "required" (default, `bias: true`), "none" (`bias: false`) or "optional" (a wide boolean). */
export type BiasFlag<Opt> = "bias" extends keyof Opt
  ? [Opt["bias" & keyof Opt]] extends [false]
    ? "none"
    : [Opt["bias" & keyof Opt]] extends [true | undefined]
      ? "required"
      : "optional"
  : "required";

/** What an init gives for `options`: `Weights` plus the bias required, absent (`bias: false`), or optional. */
export type WithBias<Opt, Weights, Bias> = BiasFlag<Opt> extends "none"
  ? Weights
  : BiasFlag<Opt> extends "required"
    ? { [K in keyof Weights | "bias"]: K extends keyof Weights ? Weights[K] : Bias }
    : { [K in keyof Weights]: Weights[K] } & { bias?: Bias };

/**
 * Parameters as PyTorch initializes nn.Linear: weight and bias both U(−1/√in, 1/√in)
 * (kaiming_uniform with a = √5 comes to the same bound). `initLinear(key, 3, 4)` is
 * `{ weight: Tensor<[4, 3]>; bias: Tensor<[4]> }`; with `{ bias: false }`, `{ weight: Tensor<[4, 3]> }`.
 */
export function initLinear<const I extends number, const O extends number, const Opt extends InitLinearOptions = {}>(
  key: Key,
  inFeatures: I,
  outFeatures: O,
  options?: Opt,
): WithBias<Opt, { weight: Tensor<[O, I]> }, Tensor<[O]>>;
export function initLinear(key: Key, inFeatures: number, outFeatures: number, options: InitLinearOptions = {}): LinearParams {
  const bound = 1 / Math.sqrt(inFeatures);
  const [kw, kb] = key.split(2) as [Key, Key];
  const weight = uniform(kw, [outFeatures, inFeatures], -bound, bound);
  if (options.bias === false) return { weight };
  return { weight, bias: uniform(kb, [outFeatures], -bound, bound) };
}

/** timm's Mlp: fc1 [H, I], then an activation, then fc2 [O, H]. */
export interface MlpParams<I extends Dim = Dim, H extends Dim = Dim, O extends Dim = I> {
  readonly fc1: LinearParams<H, I>;
  readonly fc2: LinearParams<O, H>;
}

/** The activation between fc1 and fc2: a name, or a shape-keeping function. */
export type MlpActivation = "gelu" | "geluTanh" | "quickGelu" | "relu" | "silu" | (<S extends Shape>(h: Tensor<S>) => Tensor<S>);

export interface MlpOptions {
  /** Default "gelu" (exact, as timm's Mlp); CLIP's blocks use "quickGelu". */
  readonly activation?: MlpActivation;
}

function activate(hidden: AnyTensor, activation: MlpActivation): AnyTensor {
  const h = fromCore<Tensor<Shape>>(hidden); // fc1's output: float32, checked by linear
  switch (activation) {
    case "gelu":
      return gelu(h);
    case "geluTanh":
      return gelu(h, { approximate: "tanh" });
    case "quickGelu":
      return quickGelu(h);
    case "relu":
      return api.relu(h);
    case "silu":
      return silu(h);
    default:
      return activation(h);
  }
}

/** fc2(act(fc1(x))): x [..., I] → [..., O]. */
export function mlp<S extends Shape, P extends MlpParams, D extends DType = "float32">(
  x: Tensor<S, D> & FloatArg<D, "mlp">,
  params: Checked<MlpShape<S, P>, P>,
  options?: MlpOptions,
): Tensor<Ok<MlpShape<S, P>>, D>;
export function mlp(x: AnyTensor, params: MlpParams, options: MlpOptions = {}): AnyTensor {
  requireFloat("mlp", x);
  const h = linear(x, params.fc1);
  return linear(activate(h, options.activation ?? "gelu"), params.fc2);
}

/**
 * An Mlp initialized as PyTorch's two nn.Linear layers: `initMlp(key, 768, 3072)` is
 * `{ fc1: { weight: Tensor<[3072, 768]>; bias: Tensor<[3072]> }; fc2: { weight: Tensor<[768, 3072]>; bias: Tensor<[768]> } }`
 * (out-features default to in-features).
 */
export function initMlp<const I extends number, const H extends number, const O extends number = I, const Opt extends InitLinearOptions = {}>(
  key: Key,
  inFeatures: I,
  hiddenFeatures: H,
  outFeatures?: O,
  options?: Opt,
): { fc1: WithBias<Opt, { weight: Tensor<[H, I]> }, Tensor<[H]>>; fc2: WithBias<Opt, { weight: Tensor<[O, H]> }, Tensor<[O]>> };
export function initMlp(key: Key, inFeatures: number, hiddenFeatures: number, outFeatures?: number, options: InitLinearOptions = {}): MlpParams {
  const [k1, k2] = key.split(2) as [Key, Key];
  return { fc1: initLinear(k1, inFeatures, hiddenFeatures, options), fc2: initLinear(k2, hiddenFeatures, outFeatures ?? inFeatures, options) };
}
