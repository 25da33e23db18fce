/**
 * @file Attention (Vaswani et al., 2017), with PyTorch nn.MultiheadAttention's parameters:
 *   sdpa(Q, K, V) = softmax(s · Q Kᵀ + M) V,   s = 1/√d  (d the per-head dim), M an additive mask
 *   multi-head:   Q = q Wqᵀ + bq,  K = k Wkᵀ + bk,  V = v Wvᵀ + bv   (Wq; Wk; Wv = in_proj_weight)
 *                 heads split C into H × C/H; out = concat_h(sdpa(Q_h, K_h, V_h)) Woᵀ + bo
 * Batch dims come first: query [..., Lq, C], key and value [..., Lk, C] → [..., Lq, C]
 * (PyTorch's batch_first=True); Lq ≠ Lk for cross-attention. Masks are additive floats
 * (0 to attend, −∞ to block) that broadcast against the scores [..., H, Lq, Lk]; a bool
 * mask is refused, since PyTorch's two APIs read `true` in opposite ways.
 *
 * Types: `MultiheadAttentionParams<C>` is inProjWeight [3C, C], inProjBias [3C] and outProj
 * `LinearParams<C, C>`; the result has the query's type. Wrong widths, projections or a
 * `numHeads` that does not divide C are compile errors.
 */
import type { Checked } from "../api/checked.js";
import * as core from "../core.js";
import { DTypeMismatch } from "../errors.js";
import type { AnyTensor, Tensor } from "../tensor.js";
import type { Mul } from "../types/index.js";
import type { Dim, DType, Shape } from "../types/shape.js";
import type { Key } from "../random/threefry.js";
import { softmax } from "./activations.js";
import { fromCore, requireFloat, requireShape, type FloatArg, type Last, type ParamTensor, type ShapeOf, type WithLast } from "./common.js";
import { initLinear, linear, type BiasFlag, type LinearParams, type WithBias } from "./linear.js";
import { xavierUniform, zeros } from "./init.js";
import type { AttentionParamsRule, HeadsRule, KeyRule, OkAll, QueryRule, ValueRule } from "./rules.js";

function checkMask(op: string, mask: AnyTensor | undefined): void {
  if (mask && mask.dtype !== "float32") {
    throw new DTypeMismatch(op, `the mask must be additive float32 (0 to attend, -Infinity to block), got ${mask.dtype}; for a bool mask use core.where(mask, 0, -Infinity) or the reverse`);
  }
}

export interface SdpaOptions {
  /** Score scale; default 1/√d with d the last dim of q. */
  readonly scale?: number;
}

/** [..., Lq, Dv] for q [..., Lq, D] and v [..., Lk, Dv]. */
export type SdpaOut<Q extends AnyTensor, V extends AnyTensor> = Q extends Tensor<infer S, infer D> ? Tensor<WithLast<S, Last<ShapeOf<V>>>, D> : AnyTensor;

/**
 * softmax(s · q kᵀ + mask) v on q [..., Lq, D], k [..., Lk, D], v [..., Lk, Dv] → [..., Lq, Dv]
 * (usually [B, H, L, D]); batch dims broadcast, the mask broadcasts to [..., Lq, Lk].
 */
export function scaledDotProductAttention<Q extends AnyTensor, V extends AnyTensor>(
  q: Q & FloatArg<Q["dtype"]>,
  k: AnyTensor,
  v: V,
  mask?: AnyTensor,
  options: SdpaOptions = {},
): SdpaOut<Q, V> {
  const op = "scaledDotProductAttention";
  requireFloat(op, q, k, v);
  checkMask(op, mask);
  requireShape(op, q.shape.length >= 2 && k.shape.length >= 2 && v.shape.length >= 2, "q, k and v need rank >= 2 ([..., L, D])", q, k, v);
  const d = q.shape[q.shape.length - 1]!;
  requireShape(op, k.shape[k.shape.length - 1] === d, "q and k must share the last dim", q, k);
  requireShape(op, k.shape[k.shape.length - 2] === v.shape[v.shape.length - 2], "k and v must have the same length", k, v);
  const scale = options.scale ?? 1 / Math.sqrt(d);
  const scores = core.matmul(core.mul(q, scale), core.transpose(k)); // [..., Lq, Lk]
  const weights = softmax(mask ? core.add(scores, mask) : scores, -1);
  return fromCore(core.matmul(weights, v));
}

/** `3·C`: the literal for a literal C, `number` for another dim, `Dim` for the default `Dim`. */
export type Times3<C extends Dim> = Dim extends C ? Dim : C extends number ? Mul<3, C> : number;

/** nn.MultiheadAttention's parameters for embedding dim C (`batch_first`, packed q/k/v projection). */
export interface MultiheadAttentionParams<C extends Dim = Dim> {
  /** [3C, C]: rows [0, C) project queries, [C, 2C) keys, [2C, 3C) values (`in_proj_weight`). */
  readonly inProjWeight: ParamTensor<[Times3<C>, C]>;
  /** [3C] (`in_proj_bias`). */
  readonly inProjBias?: ParamTensor<[Times3<C>]> | undefined;
  /** weight [C, C], bias [C] (`out_proj.weight`, `out_proj.bias`). */
  readonly outProj: LinearParams<C, C>;
}

export interface MultiheadAttentionOptions<H extends number = number> extends SdpaOptions {
  readonly numHeads: H;
  /** Additive float mask broadcasting to [..., H, Lq, Lk], e.g. [Lq, Lk] or [B, H, Lq, Lk]. */
  readonly mask?: AnyTensor | undefined;
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

/**
 * Multi-head attention: query [..., Lq, C] attends to key/value [..., Lk, C] → [..., Lq, C].
 * When query, key and value are the same tensor the three projections are one packed matmul.
 * The types check the key's and value's shapes, the projections ([3C, C], [3C], [C, C], [C])
 * and that `numHeads` divides C (`multiheadAttention: numHeads 5 does not divide the embedding dim 768`).
 */
export function multiheadAttention<
  S extends Shape,
  K extends Shape,
  V extends Shape,
  P extends MultiheadAttentionParams,
  const H extends number,
  D extends DType = "float32",
  DK extends DType = D,
  DV extends DType = D,
>(
  query: Checked<QueryRule<S, "multiheadAttention">, Tensor<S, D>> & FloatArg<D, "multiheadAttention">,
  key: Checked<KeyRule<S, K, "multiheadAttention">, Tensor<K, DK>> & FloatArg<DK, "multiheadAttention">,
  value: Checked<ValueRule<K, V, "multiheadAttention">, Tensor<V, DV>> & FloatArg<DV, "multiheadAttention">,
  params: Checked<AttentionParamsRule<S, P, "multiheadAttention">, P>,
  options: Checked<HeadsRule<S, H, "multiheadAttention">, MultiheadAttentionOptions<H>>,
): Tensor<
  OkAll<
    [
      QueryRule<S, "multiheadAttention">,
      KeyRule<S, K, "multiheadAttention">,
      ValueRule<K, V, "multiheadAttention">,
      AttentionParamsRule<S, P, "multiheadAttention">,
      HeadsRule<S, H, "multiheadAttention">,
    ],
    S
  >,
  D
>;
export function multiheadAttention(
  query: AnyTensor,
  key: AnyTensor,
  value: AnyTensor,
  params: MultiheadAttentionParams,
  options: MultiheadAttentionOptions,
): AnyTensor {
  return attend("multiheadAttention", query, key, value, params, options);
}

function attend(op: string, query: AnyTensor, key: AnyTensor, value: AnyTensor, params: MultiheadAttentionParams, options: MultiheadAttentionOptions): AnyTensor {
  const { inProjWeight: w, inProjBias: b, outProj } = params;
  const { numHeads: h, mask } = options;
  requireFloat(op, query, key, value, w, b);
  checkMask(op, mask);
  const r = query.shape.length;
  requireShape(op, r >= 2, "query must be [..., Lq, C]", query);
  const c = query.shape[r - 1]!;
  requireShape(op, Number.isInteger(h) && h >= 1 && c % h === 0, `numHeads ${h} must divide the embedding dim ${c}`, query);
  requireShape(op, key.shape.length === r && core.sameShape(key.shape, value.shape), "key and value must be [..., Lk, C] with the query's rank", query, key, value);
  requireShape(op, core.sameShape(key.shape.slice(0, -2), query.shape.slice(0, -2)) && key.shape[r - 1] === c, "key must share the query's batch dims and C", query, key);
  requireShape(op, core.sameShape(w.shape, [3 * c, c]), `inProjWeight must be [${3 * c}, ${c}]`, query, w);
  requireShape(op, !b || core.sameShape(b.shape, [3 * c]), `inProjBias must be [${3 * c}]`, query, b);

  // Projections: rows i·C … (i+1)·C of the packed weight (and bias) for q, k, v.
  const part = (t: AnyTensor, i: number) => core.sliceAxis(t, 0, i * c, (i + 1) * c);
  const project = (x: AnyTensor, i: number) => linear(x, { weight: part(w, i), bias: b && part(b, i) });
  let qkv: [AnyTensor, AnyTensor, AnyTensor];
  if (query === key && key === value) {
    const packed = linear(query, { weight: w, bias: b }); // [..., L, 3C]
    qkv = [0, 1, 2].map((i) => core.sliceAxis(packed, -1, i * c, (i + 1) * c)) as [AnyTensor, AnyTensor, AnyTensor];
  } else {
    qkv = [project(query, 0), project(key, 1), project(value, 2)];
  }

  // [..., L, C] → [..., H, L, C/H] and back.
  const lead = range(r - 2);
  const splitHeads = (t: AnyTensor) =>
    core.permute(core.reshape(t, [...t.shape.slice(0, -1), h, c / h]), [...lead, r - 1, r - 2, r]);
  const mergeHeads = (t: AnyTensor) =>
    core.reshape(core.permute(t, [...lead, r - 1, r - 2, r]), [...t.shape.slice(0, r - 2), t.shape[r - 1]!, c]);

  const [q, k, v] = qkv.map(splitHeads) as [AnyTensor, AnyTensor, AnyTensor];
  const heads = scaledDotProductAttention(q, k, v, mask, options.scale === undefined ? {} : { scale: options.scale });
  return linear(mergeHeads(heads), outProj);
}

/** Self-attention: multiheadAttention(x, x, x) with one packed projection (errors name `selfAttention`). */
export function selfAttention<S extends Shape, P extends MultiheadAttentionParams, const H extends number, D extends DType = "float32">(
  x: Checked<QueryRule<S, "selfAttention">, Tensor<S, D>> & FloatArg<D, "selfAttention">,
  params: Checked<AttentionParamsRule<S, P, "selfAttention">, P>,
  options: Checked<HeadsRule<S, H, "selfAttention">, MultiheadAttentionOptions<H>>,
): Tensor<OkAll<[QueryRule<S, "selfAttention">, AttentionParamsRule<S, P, "selfAttention">, HeadsRule<S, H, "selfAttention">], S>, D>;
export function selfAttention(x: AnyTensor, params: MultiheadAttentionParams, options: MultiheadAttentionOptions): AnyTensor {
  return attend("selfAttention", x, x, x, params, options);
}

export interface InitMultiheadAttentionOptions {
  /** Include the projection biases (default true). */
  readonly bias?: boolean;
}

/**
 * nn.MultiheadAttention(C, …) as PyTorch initializes it: inProjWeight xavier-uniform, outProj.weight
 * U(−1/√C, 1/√C), biases 0. `initMultiheadAttention(key, 768)` is
 * `{ inProjWeight: Tensor<[2304, 768]>; inProjBias: Tensor<[2304]>; outProj: { weight: Tensor<[768, 768]>; bias: Tensor<[768]> } }`.
 */
export function initMultiheadAttention<const C extends number, const Opt extends InitMultiheadAttentionOptions = {}>(
  key: Key,
  embedDim: C,
  options?: Opt,
): BiasFlag<Opt> extends "none"
  ? { inProjWeight: Tensor<[Times3<C>, C]>; outProj: { weight: Tensor<[C, C]> } }
  : BiasFlag<Opt> extends "required"
    ? { inProjWeight: Tensor<[Times3<C>, C]>; inProjBias: Tensor<[Times3<C>]>; outProj: { weight: Tensor<[C, C]>; bias: Tensor<[C]> } }
    : { inProjWeight: Tensor<[Times3<C>, C]>; inProjBias?: Tensor<[Times3<C>]>; outProj: WithBias<Opt, { weight: Tensor<[C, C]> }, Tensor<[C]>> };
export function initMultiheadAttention(key: Key, embedDim: number, options: InitMultiheadAttentionOptions = {}): MultiheadAttentionParams {
  const [kIn, kOut] = key.split(2) as [Key, Key];
  const inProjWeight = xavierUniform(kIn, [3 * embedDim, embedDim], { fanIn: embedDim, fanOut: 3 * embedDim });
  const { weight } = initLinear(kOut, embedDim, embedDim, { bias: false });
  if (options.bias === false) return { inProjWeight, outProj: { weight } };
  return { inProjWeight, inProjBias: zeros([3 * embedDim]), outProj: { weight, bias: zeros([embedDim]) } };
}

/** Additive causal mask [Lq, Lk]: query i may attend to keys j ≤ i (0), later keys get −∞. */
export function causalMask<const Q extends number, const K extends number = Q>(lq: Q, lk?: K): Tensor<[Q, K], "float32"> {
  const cols = lk ?? lq;
  const i = core.iota([lq, cols], 0);
  const j = core.iota([lq, cols], 1);
  return fromCore(core.where(core.greater(j, i), -Infinity, 0));
}
